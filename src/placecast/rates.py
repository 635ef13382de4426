"""Entry, move and exit rates, and the monthly transition probabilities they imply.

Rates are continuous-time intensities (events per child-year, or entries per year). For each age
band they form a generator matrix ``Q`` over the placements plus one absorbing state per exit
reason; the monthly transition probabilities are ``expm(Q / 12)``. Probabilities therefore always
agree with the rates, and a child can move and then leave within the same month.

Every array carries a leading ``draw`` dimension: one set of rates per posterior draw (or a single
draw for point estimates). The engine runs simulated path ``i`` on draw ``i % n_draws``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import xarray as xr

from placecast.errors import ConfigError
from placecast.states import MONTHS_PER_YEAR, N_AGE_MONTHS, StateSpace

_SHARE_TOL = 1e-6

#: The variables of a :class:`Rates` dataset and their dimensions after ``draw``.
RATE_DIMS: dict[str, tuple[str, ...]] = {
    "entries_per_year": (),
    "entry_growth_per_year": (),
    "exit_change_per_year": (),
    "pull_change_per_year": ("placement",),
    "entry_level_by_year": ("forecast_year",),
    "exit_level_by_year": ("forecast_year",),
    "pull_level_by_year": ("forecast_year", "placement"),
    "entry_age_band_share": ("age_band",),
    "entry_placement_share": ("age_band", "placement"),
    "move_rate_per_year": ("age_band", "from_placement", "to_placement"),
    "exit_rate_per_year": ("age_band", "placement", "exit_reason"),
}


#: Relative yearly changes: may be negative (but > -1).
_CHANGES = ("entry_growth_per_year", "exit_change_per_year", "pull_change_per_year")
#: Multipliers by forecast year (a fitted path of levels); the last year's holds after it.
_LEVELS = ("entry_level_by_year", "exit_level_by_year", "pull_level_by_year")


def _coords(space: StateSpace) -> dict[str, tuple[Any, ...]]:
    return {
        "age_band": space.age_band_labels,
        "placement": space.placement_names,
        "from_placement": space.placement_names,
        "to_placement": space.placement_names,
        "exit_reason": space.exit_reasons,
    }


def _as_draws(name: str, value: Any, dims: tuple[str, ...], space: StateSpace) -> xr.DataArray:
    """Turn an array-like (with or without a leading draw axis) into a DataArray with named dims."""
    coords = _coords(space)
    if "forecast_year" in dims:  # any number of years, counted from the stock date
        if isinstance(value, xr.DataArray):
            n = value.sizes.get("forecast_year", 0)
        else:
            shape = np.shape(value)
            at = len(shape) - len(dims) + dims.index("forecast_year")
            n = shape[at] if at >= 0 else 0
        if n < 1:
            raise ConfigError(
                f"Rates.{name}: expected dims {dims} (after an optional draw axis) with at least "
                f"one forecast year, got shape {np.shape(value)}"
            )
        coords = {**coords, "forecast_year": tuple(range(n))}
    if isinstance(value, xr.DataArray):
        if "draw" not in value.dims:
            value = value.expand_dims(draw=1)
        missing = set(dims) - set(value.dims)
        if missing:
            raise ConfigError(f"Rates.{name}: missing dimensions {sorted(missing)}")
        value = value.transpose("draw", *dims)
        for d in dims:
            got = tuple(str(c) for c in value.coords[d].values) if d in value.coords else None
            if got is not None and d != "forecast_year" and got != coords[d]:
                raise ConfigError(f"Rates.{name}: coordinate {d} is {got}, expected {coords[d]}")
        arr = np.asarray(value.values, dtype=float)
    else:
        arr = np.asarray(value, dtype=float)
        shape = tuple(len(coords[d]) for d in dims)
        if arr.shape == shape:
            arr = arr[None, ...]
        if arr.shape[1:] != shape:
            raise ConfigError(
                f"Rates.{name}: expected shape {shape} (dims {dims}) with an optional leading "
                f"draw axis, got {np.shape(value)}"
            )
    return xr.DataArray(
        arr,
        dims=("draw", *dims),
        coords={"draw": np.arange(arr.shape[0]), **{d: list(coords[d]) for d in dims}},
        name=name,
    )


def _where(da: xr.DataArray, mask: np.ndarray) -> str:
    """Name the first offending coordinates of a boolean mask, for error messages."""
    idx = np.argwhere(mask)[0]
    return ", ".join(
        f"{d}={da.coords[d].values[i].item()!r}" for d, i in zip(da.dims, idx, strict=True)
    )


@dataclass(frozen=True)
class Rates:
    """Rates of the cohort model, possibly one set per posterior draw.

    Build with :meth:`Rates.build`; the constructor expects an already validated dataset.

    Attributes
    ----------
    space
        The state space the rates refer to.
    data
        ``xarray.Dataset`` with variables ``entries_per_year`` (draw),
        ``entry_growth_per_year`` (draw; relative change of the entry intensity per year),
        ``exit_change_per_year`` (draw; relative change of all exit rates from one forecast year
        to the next - the engine's year k from the stock date uses ``exit_rate_per_year`` times
        ``(1 + exit_change_per_year) ** k``), ``pull_change_per_year`` (draw, placement;
        relative change per year of the pull of each placement: in year k its weight in the
        entry mix is times ``(1 + c) ** k``, the mix renormalised, and moves from p to q are
        times ``((1 + c_q) / (1 + c_p)) ** k``), ``entry_level_by_year``, ``exit_level_by_year``
        (draw, forecast_year) and ``pull_level_by_year`` (draw, forecast_year, placement):
        multipliers of the entry intensity, of all exit rates and of each placement's pull in
        forecast year k, on top of the changes per year (a fitted path: damped trends and a fresh
        shock each year; all 1 by default, and a path's last year holds after it),
        ``entry_age_band_share`` (draw, age_band),
        ``entry_placement_share`` (draw, age_band, placement), ``move_rate_per_year``
        (draw, age_band, from_placement, to_placement) and ``exit_rate_per_year``
        (draw, age_band, placement, exit_reason). Rates are events per child-year.
    """

    space: StateSpace
    data: xr.Dataset

    @classmethod
    def build(
        cls,
        space: StateSpace,
        *,
        entries_per_year: Any,
        entry_age_band_share: Any,
        entry_placement_share: Any,
        move_rate_per_year: Any,
        exit_rate_per_year: Any,
        entry_growth_per_year: Any = 0.0,
        exit_change_per_year: Any = 0.0,
        pull_change_per_year: Any = 0.0,
        entry_level_by_year: Any = 1.0,
        exit_level_by_year: Any = 1.0,
        pull_level_by_year: Any = 1.0,
    ) -> Rates:
        """Validate array-likes (or DataArrays) and assemble a :class:`Rates`.

        Each argument may have a leading ``draw`` axis; arguments without one are shared by all
        draws. See the class docstring for the dimensions.

        Raises
        ------
        ConfigError
            Negative or non-finite values, shares that do not sum to one, a move from a
            placement to itself, or any entry or move into a placement below its minimum age.

        Examples
        --------
        >>> import numpy as np
        >>> from placecast.states import StateSpace
        >>> s = StateSpace()
        >>> P, B, R = s.n_placements, s.n_bands, len(s.exit_reasons)
        >>> mix = np.zeros((B, P)); mix[:, 0] = 1.0
        >>> r = Rates.build(s, entries_per_year=100, entry_age_band_share=np.full(B, 1 / B),
        ...                 entry_placement_share=mix, move_rate_per_year=np.zeros((B, P, P)),
        ...                 exit_rate_per_year=np.full((B, P, R), 0.1))
        >>> r.n_draws
        1
        """
        if (
            not isinstance(pull_change_per_year, xr.DataArray)
            and np.ndim(pull_change_per_year) == 0
        ):
            pull_change_per_year = np.full(space.n_placements, float(pull_change_per_year))
        levels = {
            "entry_level_by_year": entry_level_by_year,
            "exit_level_by_year": exit_level_by_year,
            "pull_level_by_year": pull_level_by_year,
        }
        for name, value in levels.items():  # a number: the same multiplier in every year
            if not isinstance(value, xr.DataArray) and np.ndim(value) == 0:
                shape = (1, space.n_placements) if name == "pull_level_by_year" else (1,)
                levels[name] = np.full(shape, float(value))
        raw = {
            "entries_per_year": entries_per_year,
            "entry_growth_per_year": entry_growth_per_year,
            "exit_change_per_year": exit_change_per_year,
            "pull_change_per_year": pull_change_per_year,
            **levels,
            "entry_age_band_share": entry_age_band_share,
            "entry_placement_share": entry_placement_share,
            "move_rate_per_year": move_rate_per_year,
            "exit_rate_per_year": exit_rate_per_year,
        }
        arrays = {k: _as_draws(k, v, RATE_DIMS[k], space) for k, v in raw.items()}
        n_draws = {k: a.sizes["draw"] for k, a in arrays.items()}
        n = max(n_draws.values())
        for k, a in arrays.items():
            if a.sizes["draw"] not in (1, n):
                raise ConfigError(f"Rates: {k} has {a.sizes['draw']} draws, others have {n}")
            if a.sizes["draw"] == 1 and n > 1:
                arrays[k] = xr.concat([a] * n, dim="draw").assign_coords(draw=np.arange(n))
        years = max(arrays[k].sizes["forecast_year"] for k in _LEVELS)
        for k in _LEVELS:  # one year given: that multiplier in every year
            got = arrays[k].sizes["forecast_year"]
            if got == 1 and years > 1:
                arrays[k] = arrays[k].isel(forecast_year=[0] * years)
                arrays[k] = arrays[k].assign_coords(forecast_year=np.arange(years))
            elif got != years:
                raise ConfigError(
                    f"Rates: {k} has {got} forecast years, others have {years} (give one, "
                    "for every year, or the same number)"
                )
        rates = cls(space, xr.Dataset(arrays))
        rates.validate()
        return rates

    def validate(self) -> None:
        """Check the rates; raise :class:`ConfigError` naming the first offending entry."""
        space, ds = self.space, self.data
        for name in RATE_DIMS:
            da = ds[name]
            bad = ~np.isfinite(da.values)
            if bad.any():
                raise ConfigError(f"Rates.{name}[{_where(da, bad)}] is not finite")
            if name not in _CHANGES:
                bad = da.values < 0
                if bad.any():
                    raise ConfigError(
                        f"Rates.{name}[{_where(da, bad)}] is negative; rates and shares must be"
                        " >= 0"
                    )
        for name in _CHANGES:
            if (ds[name].values <= -1).any():
                raise ConfigError(f"Rates.{name} must be > -1 (a fall of under 100%)")
        for name in _LEVELS:
            bad = ds[name].values <= 0
            if bad.any():
                raise ConfigError(
                    f"Rates.{name}[{_where(ds[name], bad)}] must be > 0 (a multiplier)"
                )
        for name, dim in (
            ("entry_age_band_share", "age_band"),
            ("entry_placement_share", "placement"),
        ):
            total = ds[name].sum(dim)
            bad = np.abs(total.values - 1.0) > _SHARE_TOL
            if bad.any():
                raise ConfigError(
                    f"Rates.{name} must sum to 1 over {dim}; at [{_where(total, bad)}] it sums "
                    f"to {float(total.values[bad][0]):.6g}"
                )
        move = ds["move_rate_per_year"].values
        diag = np.einsum("dbpp->dbp", move)
        if (diag != 0).any():
            raise ConfigError(
                "Rates.move_rate_per_year: a move from a placement to itself must be 0"
            )
        # No entry or move into a placement below its minimum age (e.g. semi-independent under 16).
        min_band = space.min_age_band
        too_young = np.arange(space.n_bands)[:, None] < min_band[None, :]  # (band, placement)
        for name, values in (
            ("entry_placement_share", ds["entry_placement_share"].values),
            ("move_rate_per_year", move.sum(axis=2)),  # summed over from_placement
        ):
            bad = (values > 0) & too_young[None]
            if bad.any():
                _, b, p = np.argwhere(bad)[0]
                raise ConfigError(
                    f"Rates.{name}: placement {space.placement_names[p]!r} is only allowed "
                    "from age "
                    f"{space.placements[p].min_age_years}, but age band "
                    f"{space.age_band_labels[b]!r} has a positive rate into it"
                )

    # -- access ------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The rates a forecast uses, as a reader checks them: each rate's mean and 90% interval
        over the draws (the interval is a single value for point estimates).

        Rows: entries a year, their growth a year, the exit rates' change a year, the entrants'
        age mix, and by age band and placement the exit rate (all reasons) and the rate of
        moving to another placement, per child-year; when fitted, each placement's pull's change
        a year and the entries' and exit rates' levels by forecast year (the fitted path the
        forecast extrapolates). Rates with no child at risk (a placement not open to an age
        band) are left out.

        Returns
        -------
        pandas.DataFrame
            Columns ``rate``, ``forecast_year``, ``age_band``, ``placement`` (empty where not
            by them), ``unit``, ``rate_mean``, ``rate_p05``, ``rate_p95``.

        Examples
        --------
        >>> from placecast.data.hackney import hackney_2022
        >>> table = hackney_2022().rates.summary()
        >>> table.loc[0, ["rate", "unit"]].tolist()
        ['entries', 'children a year']
        """
        ds = self.data
        space = self.space
        moves = ds["move_rate_per_year"].copy()
        for p in space.placement_names:  # a move to the same placement is not a move
            moves.loc[{"from_placement": p, "to_placement": p}] = 0.0
        pieces: list[tuple[str, str, xr.DataArray]] = [
            ("entries", "children a year", ds["entries_per_year"]),
            ("entry growth", "change a year", ds["entry_growth_per_year"]),
            ("exit rates' change", "change a year", ds["exit_change_per_year"]),
            ("share of entrants", "share", ds["entry_age_band_share"]),
            (
                "exit rate",
                "per child-year (before 18)",
                ds["exit_rate_per_year"].sum("exit_reason"),
            ),
            (
                "move rate",
                "per child-year",
                moves.sum("to_placement").rename(from_placement="placement"),
            ),
        ]
        if bool((ds["pull_change_per_year"] != 0).any()):
            pieces.append(("pull's change", "change a year", ds["pull_change_per_year"]))
        for name, level in (
            ("entries' level", "entry_level_by_year"),
            ("exit rates' level", "exit_level_by_year"),
        ):
            if bool((ds[level] != 1).any()):  # a fitted path: damped trend and shocks
                pieces.append((name, "times the rates above", ds[level]))
        frames = []
        for name, unit, da in pieces:
            q = da.quantile([0.05, 0.95], dim="draw")
            stats = xr.Dataset(
                {
                    "rate_mean": da.mean("draw"),
                    "rate_p05": q.sel(quantile=0.05, drop=True),
                    "rate_p95": q.sel(quantile=0.95, drop=True),
                }
            )
            # One row for a rate of its own (entries), a row per label for one by band etc.
            frame = stats.to_dataframe().reset_index() if stats.dims else stats.to_pandas()
            frame = pd.DataFrame([frame]) if isinstance(frame, pd.Series) else frame
            frames.append(frame.assign(rate=name, unit=unit))
        by = ["forecast_year", "age_band", "placement"]
        table = pd.concat(frames, ignore_index=True).reindex(columns=[*frames[0].columns, *by])
        table["forecast_year"] = table["forecast_year"].map(
            lambda k: "" if pd.isna(k) else f"year {int(k) + 1}"
        )
        table[by] = table[by].fillna("")
        # A placement a band cannot be in (semi-independent under 16) has no rate to show.
        closed = {
            (band, p.name)
            for b, band in enumerate(space.age_band_labels)
            for p in space.placements
            if space.age_band_edges_years[b + 1] <= p.min_age_years
        }
        keep = [
            (b, p) not in closed for b, p in zip(table["age_band"], table["placement"], strict=True)
        ]
        table = table.loc[keep]
        columns = ["rate", *by, "unit", "rate_mean", "rate_p05", "rate_p95"]
        return table[columns].reset_index(drop=True)

    @property
    def n_draws(self) -> int:
        return int(self.data.sizes["draw"])

    def select_draws(self, draws: Any) -> Rates:
        """Rates restricted to some draws (renumbered 0..n-1)."""
        ds = self.data.isel(draw=np.asarray(draws))
        return Rates(self.space, ds.assign_coords(draw=np.arange(ds.sizes["draw"])))

    @property
    def n_forecast_years(self) -> int:
        """Forecast years the ``*_level_by_year`` paths give (later years keep the last)."""
        return int(self.data.sizes["forecast_year"])

    def in_year(self, k: int) -> Rates:
        """The rates of forecast year ``k`` (0 = the first year after the stock date): exit rates
        times ``(1 + exit_change_per_year) ** k`` and that year's ``exit_level_by_year``; each
        placement's weight in the entry mix times its ``(1 + pull_change_per_year) ** k`` and
        ``pull_level_by_year``, and moves from p to q times q's factor over p's; the entry
        intensity times that year's ``entry_level_by_year``. The entry intensity's growth is
        monthly and stays in ``entry_growth_per_year``."""
        ds = self.data
        year = min(k, self.n_forecast_years - 1)
        exit_factor = (1.0 + ds["exit_change_per_year"]) ** k * ds["exit_level_by_year"].isel(
            forecast_year=year, drop=True
        )
        pull = (1.0 + ds["pull_change_per_year"]) ** k * ds["pull_level_by_year"].isel(
            forecast_year=year, drop=True
        )  # (draw, placement)
        weights = ds["entry_placement_share"] * pull
        ds = ds.assign(
            entries_per_year=ds["entries_per_year"]
            * ds["entry_level_by_year"].isel(forecast_year=year, drop=True),
            exit_rate_per_year=ds["exit_rate_per_year"] * exit_factor,
            move_rate_per_year=ds["move_rate_per_year"]
            * pull.rename(placement="to_placement")
            / pull.rename(placement="from_placement"),
            entry_placement_share=weights / weights.sum("placement"),
        )
        return Rates(self.space, ds)

    @property
    def exits_change(self) -> bool:
        """Whether exit rates change from one forecast year to the next in any draw."""
        level = self.data["exit_level_by_year"].values
        return bool((self.data["exit_change_per_year"].values != 0).any()) or bool(
            (level != level[:, :1]).any()
        )

    @property
    def changes_by_year(self) -> bool:
        """Whether any rate changes from one forecast year to the next in any draw (exit rates,
        the pull of a placement, or the entry level); the entry intensity's monthly growth is
        separate."""
        pull, entry = (self.data[k].values for k in ("pull_level_by_year", "entry_level_by_year"))
        return (
            self.exits_change
            or bool((self.data["pull_change_per_year"].values != 0).any())
            or bool((pull != pull[:, :1]).any())
            or bool((entry != entry[:, :1]).any())
        )

    def generator(self) -> np.ndarray:
        """Generator matrices, shape (draw, age_band, K, K) with K = placements + exit reasons.

        Rows are placements then exit reasons (absorbing); units are per month.
        """
        P = self.space.n_placements
        R = len(self.space.exit_reasons)
        move = self.data["move_rate_per_year"].values / MONTHS_PER_YEAR
        exit_ = self.data["exit_rate_per_year"].values / MONTHS_PER_YEAR
        D, B = move.shape[:2]
        q = np.zeros((D, B, P + R, P + R))
        q[:, :, :P, :P] = move
        q[:, :, :P, P:] = exit_
        q[:, :, np.arange(P), np.arange(P)] = -(move.sum(axis=-1) + exit_.sum(axis=-1))
        return q

    def monthly_probabilities(self) -> np.ndarray:
        """Monthly transition probabilities from each placement, shape (draw, band, P, P + R).

        Column ``j < P`` is "in placement j at the end of the month", column ``P + r`` is
        "left care for exit reason r during the month". Rows sum to one.
        """
        P = self.space.n_placements
        probs = scipy.linalg.expm(self.generator())[:, :, :P, :]
        # expm is accurate to ~1e-15; clip the round-off so probabilities are valid.
        probs = np.clip(probs, 0.0, 1.0)
        return probs / probs.sum(axis=-1, keepdims=True)

    def steady_state_stock(self) -> xr.DataArray:
        """Children in care by placement and age month once these rates have held for 18 years.

        The stock at 31 March of a council whose entries (growing at ``entry_growth_per_year``)
        and move and exit rates never changed, as the engine's mean-field model would leave it
        (age month 0 is empty at a month's end); mean over draws. ``exit_change_per_year`` and
        ``pull_change_per_year`` are not applied: this is the stock of the rates as they stand
        in the first forecast year. Its use is the *shape* within each age band: a council's
        published stock says how many children of 16-17 are in semi-independent accommodation,
        not how many are about to turn 18, and spreading them evenly over the band puts too few
        near 18 (see :meth:`InitialStock.from_band_table`).

        Computed cohort by cohort: the children aged ``a + 1`` months are those aged ``a`` a
        month earlier, after a month's moves and exits at age ``a``, plus the month's entrants
        of age ``a + 1``; with entries growing, each older cohort entered when entries were
        fewer (a pass over the 216 age months, vectorised over draws).
        """
        s = self.space
        P = s.n_placements
        band = s.band_of_age_month
        ds = self.data
        stay = self.monthly_probabilities()[..., :P]  # (draw, band, P, P)
        per_month = ds["entries_per_year"].values / MONTHS_PER_YEAR  # (draw,)
        age_share = ds["entry_age_band_share"].values / s.band_width_months  # (draw, band)
        entering = (
            per_month[:, None, None]
            * (age_share[:, :, None] * ds["entry_placement_share"].values)[:, band, :]
        )  # (draw, age month, P)
        earlier = (1.0 + ds["entry_growth_per_year"].values) ** (-1.0 / MONTHS_PER_YEAR)
        during = np.zeros_like(entering)  # stock during the month at each age, after moves
        during[:, 0] = entering[:, 0]
        for a in range(1, N_AGE_MONTHS):  # over ages, not children or paths
            aged_in = np.einsum("dp,dpq->dq", during[:, a - 1], stay[:, band[a]])
            during[:, a] = aged_in * earlier[:, None] + entering[:, a]
        at_month_end = np.zeros_like(during)
        at_month_end[:, 1:] = during[:, :-1]  # everyone ages a month; those of 18 leave
        return xr.DataArray(
            at_month_end.mean(axis=0).T,
            dims=("placement", "age_month"),
            coords={"placement": list(s.placement_names), "age_month": np.arange(N_AGE_MONTHS)},
            name="children",
        )

    def monthly_probabilities_da(self) -> xr.DataArray:
        """:meth:`monthly_probabilities` with named dimensions."""
        s = self.space
        return xr.DataArray(
            self.monthly_probabilities(),
            dims=("draw", "age_band", "from_placement", "to_state"),
            coords={
                "draw": self.data["draw"].values,
                "age_band": list(s.age_band_labels),
                "from_placement": list(s.placement_names),
                "to_state": [*s.placement_names, *s.exit_reasons],
            },
        )
