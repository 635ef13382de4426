"""The published stock at 31 March as a starting stock: margins joined, suppressions filled.

Published tables give children in care by age band and by placement group, never both together;
these functions join the two margins into a table by placement and age band for the aggregate
fit and the engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts
from placecast.data.margins import ipf, round_preserving
from placecast.errors import InputError
from placecast.fit.priors import AggregatePriors, structure_arrays
from placecast.rates import Rates
from placecast.stock import InitialStock

__all__ = ["published_initial_stock", "published_stock"]

#: Relative propensity of each placement group by age band (under 1 ... 16-17), used only to join
#: the two published margins of the stock; the shape of the Hackney calibration's joint table.
_GROUP_AGE_PATTERN = np.array(
    [
        [2.6, 2.8, 3.0, 3.0, 2.0],  # fostering
        [0.0, 0.05, 0.2, 1.0, 2.0],  # residential and semi-independent
        [3.0, 2.0, 1.0, 0.3, 0.2],  # other: placed with parents / for adoption, mostly young
    ]
)


def _complete(values: np.ndarray, total: float, shares: np.ndarray) -> np.ndarray:
    """Fill suppressed (NaN) parts of a margin from the total, then scale to the total."""
    out = np.asarray(values, dtype=float).copy()
    missing = np.isnan(out)
    if missing.any():
        rest = max(total - np.nansum(out), 0.0)
        w = shares[missing]
        out[missing] = rest * (w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size))
    s = out.sum()
    return out * (total / s) if s > 0 else np.full(out.size, total / out.size)


def published_stock(
    counts: PublishedCounts,
    year: int,
    priors: AggregatePriors | None = None,
    pattern: np.ndarray | None = None,
    age_shares: np.ndarray | None = None,
) -> pd.DataFrame:
    """Children in care at 31 March ``year`` by placement and age band, from published margins.

    Suppressed parts of a margin are filled from the total. Without ``pattern``, the age bands and
    placement groups are joined by iterative proportional fitting and fostering and residential /
    semi-independent are split into the model's placements with ``priors.fostering_split`` and
    ``priors.semi_independent_share_16_17``. With ``pattern`` (placement, age band), e.g. a fitted
    model's expected stock, that table is scaled to the published age bands and placement groups
    instead. With ``age_shares`` (one per age band), the age bands are the published total in
    those shares instead of the published bands (e.g. a fitted model's own ages, see
    :meth:`~placecast.fit.aggregate.AggregateModel.initial_stock`). Whole children, margins
    kept (groups to within rounding).

    Raises
    ------
    InputError
        When the total for ``year`` is missing.
    """
    priors = AggregatePriors() if priors is None else priors
    space = priors.structure.space
    where = np.flatnonzero(counts.years == year)
    if where.size == 0 or np.isnan(counts.children_in_care[where[0]]):
        raise InputError(f"{counts.council}: no published children in care at 31 March {year}")
    i = int(where[0])
    total = float(counts.children_in_care[i])
    if age_shares is not None and float(np.sum(age_shares)) > 0:
        bands = total * np.asarray(age_shares, dtype=float) / float(np.sum(age_shares))
    else:
        bands = _complete(counts.stock_by_age_band[i], total, np.asarray(priors.entry_age_share))
    group_of = structure_arrays(priors)["group"]
    if pattern is not None:
        pattern = np.asarray(pattern, dtype=float)
        share = np.bincount(group_of, weights=pattern.sum(axis=1), minlength=3)
        share = share / share.sum() if share.sum() > 0 else np.full(3, 1 / 3)
        groups = _complete(counts.stock_by_group[i], total, share)
        allowed = np.arange(space.n_bands)[None, :] >= space.min_age_band[:, None]
        table = pattern + 1e-9 * (pattern.sum() + 1.0) * allowed
        with np.errstate(invalid="ignore", divide="ignore"):  # empty bands or groups: 0 / 0
            for _ in range(200):  # IPF on (placement groups, age bands)
                table *= np.nan_to_num(bands / table.sum(axis=0))[None, :]
                by_group = np.bincount(group_of, weights=table.sum(axis=1), minlength=3)
                table *= np.nan_to_num(groups / by_group)[group_of][:, None]
    else:
        group_share = _GROUP_AGE_PATTERN @ bands
        groups = _complete(counts.stock_by_group[i], total, group_share / group_share.sum())
        joint = ipf(_GROUP_AGE_PATTERN, groups, bands)
        table = np.zeros((space.n_placements, space.n_bands))
        names = list(PLACEMENT_GROUPS)
        for g, members in enumerate(PLACEMENT_GROUPS.values()):
            for placement in members:
                p = space.index(placement)
                if names[g] == "fostering":
                    split = np.full(space.n_bands, priors.fostering_split[members.index(placement)])
                elif names[g] == "residential_semi_independent":
                    semi = (
                        space.min_age_band[space.index("semi_independent")]
                        <= np.arange(space.n_bands)
                    ) * priors.semi_independent_share_16_17
                    split = semi if placement == "semi_independent" else 1.0 - semi
                else:
                    split = np.ones(space.n_bands)
                table[p] = joint[g] * split
    rows = table.sum(axis=1)
    whole_rows = _round_sum(rows)
    whole = round_preserving(table, whole_rows, _round_sum(bands))
    return pd.DataFrame(
        whole,
        index=pd.Index(space.placement_names, name="placement"),
        columns=pd.Index(space.age_band_labels, name="age_band"),
    )


def published_initial_stock(
    counts: PublishedCounts,
    year: int,
    priors: AggregatePriors | None = None,
    *,
    pattern: np.ndarray | None = None,
    rates: Rates | None = None,
    age_shares: np.ndarray | None = None,
) -> InitialStock:
    """The published stock at 31 March ``year`` as a starting stock for the engine.

    :func:`published_stock` by placement and age band (``pattern``, ``age_shares`` as there),
    spread over the age months of each band like the steady state of ``rates`` (default: the
    priors' structure; :meth:`Rates.steady_state_stock`) rather than evenly: the tables do not
    say how many of a council's 16-17s are about to turn 18, and evenly spread too few are,
    which made the first forecast year's residential / semi-independent stock jump and the next
    fall back.
    """
    priors = AggregatePriors() if priors is None else priors
    table = published_stock(counts, year, priors, pattern=pattern, age_shares=age_shares)
    profile = (priors.structure if rates is None else rates).steady_state_stock()
    return InitialStock.from_band_table(priors.structure.space, table, age_profile=profile)


def _round_sum(values: np.ndarray) -> np.ndarray:
    """Whole numbers with the same (rounded) total, by largest remainder."""
    out = np.floor(values).astype(int)
    short = round(float(values.sum())) - int(out.sum())
    out[np.argsort(-(values - out), kind="stable")[:short]] += 1
    return out
