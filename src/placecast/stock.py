"""Children in care at the start of a forecast, by placement and age in months."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast.errors import ConfigError
from placecast.states import N_AGE_MONTHS, StateSpace

__all__ = ["InitialStock"]


@dataclass(frozen=True)
class InitialStock:
    """Children in care at the start of the forecast, by placement and age in months.

    Parameters
    ----------
    space
        The state space.
    counts
        Array (placement, age month) of non-negative whole numbers.

    Examples
    --------
    >>> from placecast.states import StateSpace
    >>> s = StateSpace()
    >>> stock = InitialStock.from_band_table(s, {"ifa": {"10_15": 12}})
    >>> int(stock.counts.sum()), stock.by_band().loc["ifa", "10_15"]
    (12, np.int64(12))
    """

    space: StateSpace
    counts: np.ndarray

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        shape = (self.space.n_placements, N_AGE_MONTHS)
        if counts.shape != shape:
            raise ConfigError(f"InitialStock.counts must have shape {shape}, got {counts.shape}")
        if (counts < 0).any() or not np.all(np.floor(counts) == counts):
            raise ConfigError("InitialStock.counts must be whole numbers >= 0")
        bad = (counts > 0) & ~self.space.allowed
        if bad.any():
            p, a = np.argwhere(bad)[0]
            raise ConfigError(
                f"InitialStock: {int(counts[p, a])} children in "
                f"{self.space.placement_names[p]!r} at age {a // 12}y{a % 12}m, below that "
                f"placement's minimum age of {self.space.placements[p].min_age_years}"
            )
        object.__setattr__(self, "counts", counts.astype(np.int64))

    @classmethod
    def from_band_table(
        cls, space: StateSpace, table: Any, *, age_profile: Any = None
    ) -> InitialStock:
        """Spread counts by (placement, age band) over the age months of each band.

        ``table`` is a DataFrame (index placement, columns age bands) or a nested mapping
        ``{placement: {age_band: count}}``; missing entries are zero. By default children are
        spread over the months of a band as evenly as whole numbers allow (evenly spaced ages).
        ``age_profile`` (placement, age month), e.g. :meth:`Rates.steady_state_stock`, instead
        spreads each placement's count in a band in proportion to the profile's months of that
        band (evenly where the profile has none there). It matters most at 16-17: under the
        default rates, children in semi-independent accommodation are mostly 17, and spread
        evenly too few of them turn 18 in the first year, so the first year's stock is too high.
        """
        frame = pd.DataFrame(table).T if isinstance(table, dict) else pd.DataFrame(table)
        frame = frame.fillna(0)
        for name in frame.index:
            space.index(str(name))
        unknown = set(map(str, frame.columns)) - set(space.age_band_labels)
        if unknown:
            raise ConfigError(
                f"InitialStock: unknown age bands {sorted(unknown)}; use {space.age_band_labels}"
            )
        full = frame.reindex(
            index=list(space.placement_names), columns=list(space.age_band_labels), fill_value=0
        ).to_numpy(dtype=float)
        if (full < 0).any() or not np.all(np.floor(full) == full):
            raise ConfigError(
                "InitialStock: counts by placement and age band must be whole numbers >= 0"
            )
        profile = np.ones((space.n_placements, N_AGE_MONTHS))
        if age_profile is not None:
            if isinstance(age_profile, xr.DataArray) and set(age_profile.dims) == {
                "placement",
                "age_month",
            }:
                age_profile = age_profile.transpose("placement", "age_month")
            profile = np.asarray(age_profile, dtype=float)
            shape = (space.n_placements, N_AGE_MONTHS)
            if profile.shape != shape or not np.isfinite(profile).all() or (profile < 0).any():
                raise ConfigError(
                    f"InitialStock: age_profile must be finite, >= 0 and of shape {shape} "
                    f"(placement, age month), got shape {profile.shape}"
                )
        counts = np.zeros((space.n_placements, N_AGE_MONTHS), dtype=np.int64)
        for b, (start, width) in enumerate(
            zip(space.band_start_months, space.band_width_months, strict=True)
        ):
            weight = profile[:, start : start + width].copy()
            empty = weight.sum(axis=1) <= 0
            weight[empty] = 1.0  # nothing in the profile here: evenly
            # Whole children by cumulative share: with even weights child i of c sits at
            # (i + 0.5) / c of the band (filling the youngest months first would make a small
            # council's residential 16-17s all 16, and none would turn 18 in the first year).
            share = np.concatenate([np.zeros((weight.shape[0], 1)), weight.cumsum(axis=1)], axis=1)
            share /= share[:, -1:]
            cum = np.floor(full[:, b, None] * share + 0.5)
            counts[:, start : start + width] = np.diff(cum, axis=1).astype(np.int64)
        return cls(space, counts)

    def by_band(self) -> pd.DataFrame:
        """Counts by placement (rows) and age band (columns)."""
        return pd.DataFrame(
            self.space.to_bands(self.counts),
            index=pd.Index(self.space.placement_names, name="placement"),
            columns=pd.Index(self.space.age_band_labels, name="age_band"),
        )

    @property
    def total(self) -> int:
        return int(self.counts.sum())
