"""Per-rate levers: multiply or add to any entry, move or exit rate, by age band and placement.

The levers councils use in the regional demand model ("reduce entries of 10-15s by 10%", "move
two more children a year from residential to fostering"), as :class:`RateChange` items of a
:class:`~placecast.scenario.levers.Scenario`'s ``rate_changes``. Each is applied to every
posterior draw of the council's rates, from the scenario's start month.

Rates stay valid:

* exit and move rates are hazards (events per child-year) with no implied complement, so a
  change is refused only if it would make one negative;
* an entry placement share has a complement (the shares of an age band's entrants sum to one),
  so the other placements' shares are rescaled to make room, and a share outside 0..1 is
  refused;
* entries (children entering care a year) may be changed by age band and placement; the total
  and both entry mixes are recomputed from the changed counts.

Moves or entries into a placement below its minimum age (semi-independent accommodation under
16) are never created: a change that names one is refused, and a change over all placements
or bands leaves those cells at zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import xarray as xr

from placecast.errors import ConfigError, is_number
from placecast.states import StateSpace

__all__ = ["RATE_KINDS", "RateChange", "apply_rate_changes"]

#: What a :class:`RateChange` changes, and the unit of its ``add``.
RATE_KINDS: dict[str, str] = {
    "exit": "exits per child-year",
    "move": "moves per child-year",
    "entry_placement": "share of the age band's entrants (0.05 = 5 points)",
    "entries": "children entering care a year",
}


@dataclass(frozen=True)
class RateChange:
    """One change to the council's rates: ``new = old * multiply + add`` on the chosen cells.

    Parameters
    ----------
    rate
        One of :data:`RATE_KINDS`: ``"exit"`` (rates of leaving care), ``"move"`` (rates of
        moving between placements), ``"entry_placement"`` (where an age band's entrants are
        placed) or ``"entries"`` (how many children enter care).
    multiply, add
        ``new = old * multiply + add`` on every chosen cell; ``add`` is in the unit of
        :data:`RATE_KINDS` (for ``"entries"`` it is shared over the chosen cells in proportion
        to their entries, or evenly if they have none).
    age_band
        An age band label such as ``"10_15"``; default every band.
    placement
        The placement left (exit, move), entered (entry_placement, entries); default every
        placement, except for ``entry_placement``, which must name one.
    to
        For ``"move"``: the placement moved to; default every other placement.
    exit_reason
        For ``"exit"``: one exit reason; default every reason.
    programme_cost_per_year_gbp
        What the programme behind the change costs a year while it is on (e.g. an edge-of-care
        team), in cash, counted with the scenario's other costs; 0 if it costs nothing extra.

    Examples
    --------
    >>> RateChange("entries", multiply=0.9, age_band="10_15").multiply
    0.9
    """

    rate: str
    multiply: float = 1.0
    add: float = 0.0
    age_band: str | None = None
    placement: str | None = None
    to: str | None = None
    exit_reason: str | None = None
    programme_cost_per_year_gbp: float = 0.0

    def __post_init__(self) -> None:
        if self.rate not in RATE_KINDS:
            raise ConfigError(
                f"rate change: rate must be one of {', '.join(RATE_KINDS)}; got {self.rate!r}"
            )
        for name in ("multiply", "add", "programme_cost_per_year_gbp"):
            value = getattr(self, name)
            if not is_number(value) or not np.isfinite(value):
                raise ConfigError(
                    f"rate change ({self.rate}): {name} must be a number; got {value!r}"
                )
        if self.multiply < 0:
            raise ConfigError(
                f"rate change ({self.rate}): multiply must be >= 0 (0.9 is 10% fewer); "
                f"got {self.multiply}"
            )
        if self.programme_cost_per_year_gbp < 0:
            raise ConfigError(
                f"rate change ({self.rate}): programme_cost_per_year_gbp must be >= 0"
            )
        if self.multiply == 1 and self.add == 0:
            raise ConfigError(
                f"rate change ({self.rate}): give multiply (other than 1) or add (other than 0); "
                "as it stands it changes nothing"
            )
        for name in ("age_band", "placement", "to", "exit_reason"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"rate change ({self.rate}): {name} must be text; got {value!r}")
        if self.to is not None and self.rate != "move":
            raise ConfigError(f"rate change ({self.rate}): 'to' is for moves only")
        if self.exit_reason is not None and self.rate != "exit":
            raise ConfigError(f"rate change ({self.rate}): exit_reason is for exits only")
        if self.rate == "entry_placement" and self.placement is None:
            raise ConfigError(
                "rate change (entry_placement): name the placement whose share changes; the "
                "others make room"
            )

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "rate change") -> RateChange:
        """Build from a mapping (a TOML table); unknown keys are refused by name."""
        if not isinstance(values, Mapping):
            raise ConfigError(f'{where}: must be a table such as {{rate = "exit", multiply = 1.1}}')
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}; known keys: {', '.join(known)}")
        if "rate" not in values:
            raise ConfigError(f"{where}: needs rate, one of {', '.join(RATE_KINDS)}")
        try:
            return cls(**values)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None

    def describe(self) -> str:
        """A short line for reports: what changes, where."""
        how = []
        if self.multiply != 1:
            how.append(f"x{self.multiply:g}")
        if self.add:
            how.append(f"{self.add:+g} {RATE_KINDS[self.rate]}")
        where = [
            f"{k} {v}"
            for k, v in (
                ("age", self.age_band),
                ("from" if self.rate in ("exit", "move") else "into", self.placement),
                ("to", self.to),
                ("reason", self.exit_reason),
            )
            if v is not None
        ]
        cost = self.programme_cost_per_year_gbp
        where += [f"programme GBP {cost:,.0f} a year"] if cost else []
        return f"{self.rate} {' '.join(how)}" + (f" ({', '.join(where)})" if where else "")


def _pick(labels: list[str], value: str | None, what: str, change: RateChange) -> np.ndarray:
    """A mask over ``labels``: all of them, or the one named (refused if unknown)."""
    if value is None:
        return np.ones(len(labels), dtype=bool)
    if value not in labels:
        raise ConfigError(
            f"rate change ({change.describe()}): no {what} {value!r}; the council's are "
            f"{', '.join(labels)}"
        )
    return np.asarray(labels) == value


def apply_rate_changes(
    data: xr.Dataset, space: StateSpace, changes: tuple[RateChange, ...], *, scenario: str = ""
) -> xr.Dataset:
    """The rates' dataset (see :class:`~placecast.rates.Rates`) with ``changes`` applied in
    order, every draw alike; a copy.

    Raises
    ------
    ConfigError
        A name the council's state space does not have, a change that would make a rate
        negative or a share leave 0..1, or one into a placement below its minimum age.
    """
    ds = data.copy(deep=True)
    allowed = np.arange(space.n_bands)[:, None] >= space.min_age_band[None, :]  # (band, P)
    bands, placements = list(space.age_band_labels), list(space.placement_names)
    prefix = f"Scenario {scenario!r}: " if scenario else ""
    for change in changes:
        try:
            _apply(ds, space, change, allowed, bands, placements)
        except ConfigError as err:
            raise ConfigError(prefix + str(err)) from None
    return ds


def _apply(
    ds: xr.Dataset,
    space: StateSpace,
    change: RateChange,
    allowed: np.ndarray,
    bands: list[str],
    placements: list[str],
) -> None:
    band = _pick(bands, change.age_band, "age band", change)
    place = _pick(placements, change.placement, "placement", change)
    m, a = change.multiply, change.add
    named = f"rate change ({change.describe()})"

    def refuse_below_min_age(cells: np.ndarray, target: str, named_target: str | None) -> None:
        # cells: (band, P) chosen. Only a named band with a named placement is refused; "all"
        # leaves out the cells below a placement's minimum age.
        if change.age_band is None or named_target is None:
            return
        if (cells & ~allowed).any():
            p = placements[int(np.flatnonzero((cells & ~allowed).any(axis=0))[0])]
            raise ConfigError(
                f"{named}: {target} {p!r} is not allowed at age band {change.age_band} (its "
                f"minimum age is {space.placements[space.index(p)].min_age_years})"
            )

    if change.rate == "exit":
        reason = _pick(list(space.exit_reasons), change.exit_reason, "exit reason", change)
        rate = ds["exit_rate_per_year"].values  # (draw, band, P, R)
        cells = band[:, None, None] & place[None, :, None] & reason[None, None, :]
        new = np.where(cells[None], rate * m + a, rate)
        _non_negative(new, named, "an exit rate")
        ds["exit_rate_per_year"].values[...] = new
    elif change.rate == "move":
        to = _pick(placements, change.to, "placement", change)
        if change.to is not None and change.to == change.placement:
            raise ConfigError(f"{named}: a move goes to another placement")
        refuse_below_min_age(band[:, None] & to[None, :], "moves into", change.to)
        rate = ds["move_rate_per_year"].values  # (draw, band, from, to)
        not_self = ~np.eye(len(placements), dtype=bool)
        cells = band[:, None, None] & place[None, :, None] & to[None, None, :] & not_self
        cells &= allowed[:, None, :]  # never a move into a placement below its minimum age
        new = np.where(cells[None], rate * m + a, rate)
        _non_negative(new, named, "a move rate")
        ds["move_rate_per_year"].values[...] = new
    elif change.rate == "entry_placement":
        refuse_below_min_age(band[:, None] & place[None, :], "entries into", change.placement)
        share = ds["entry_placement_share"].values  # (draw, band, P)
        cells = band[:, None] & place[None, :] & allowed
        changed = np.where(cells[None], share * m + a, 0.0).sum(axis=2)  # (draw, band)
        before = np.where(cells[None], share, 0.0).sum(axis=2)
        if ((changed < -1e-12) | (changed > 1 + 1e-12))[:, band].any():
            raise ConfigError(
                f"{named}: the share would leave 0..1 (from {before[:, band].min():.3f} to "
                f"{changed[:, band].min():.3f}..{changed[:, band].max():.3f}); use a smaller change"
            )
        others = np.where(cells[None], 0.0, share)
        room = others.sum(axis=2)
        rows = np.broadcast_to(band, changed.shape)  # (draw, band): the bands changed
        stuck = rows & (room <= 0) & (changed < 1 - 1e-12)
        if stuck.any():
            raise ConfigError(
                f"{named}: the age band's entrants all go to {change.placement!r}, so no other "
                "placement can take the share it gives up"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(room > 0, (1.0 - changed) / room, 0.0)
        new = np.where(cells[None], share * m + a, others * scale[..., None])
        new = np.where(rows[..., None], new, share)
        ds["entry_placement_share"].values[...] = np.clip(new, 0.0, 1.0)
    else:  # entries
        refuse_below_min_age(band[:, None] & place[None, :], "entries into", change.placement)
        total = ds["entries_per_year"].values  # (draw,)
        age = ds["entry_age_band_share"].values  # (draw, band)
        mix = ds["entry_placement_share"].values  # (draw, band, P)
        counts = total[:, None, None] * age[:, :, None] * mix
        cells = band[:, None] & place[None, :] & allowed
        chosen = np.where(cells[None], counts, 0.0)
        weight = chosen.sum(axis=(1, 2), keepdims=True)
        spread = np.where(
            weight > 0, chosen / np.where(weight > 0, weight, 1.0), cells / cells.sum()
        )
        new = np.where(cells[None], counts * m + a * spread, counts)
        _non_negative(new, named, "entries")
        new_total = new.sum(axis=(1, 2))
        if (new_total <= 0).any():
            raise ConfigError(f"{named}: no child would enter care at all")
        by_band = new.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            new_mix = np.where(by_band[..., None] > 0, new / by_band[..., None], mix)
        ds["entries_per_year"].values[...] = new_total
        ds["entry_age_band_share"].values[...] = by_band / new_total[:, None]
        ds["entry_placement_share"].values[...] = new_mix


def _non_negative(values: np.ndarray, named: str, what: str) -> None:
    if (values < 0).any():
        raise ConfigError(
            f"{named}: would make {what} negative (lowest {values.min():.3g}); subtract less, or "
            "use multiply"
        )
