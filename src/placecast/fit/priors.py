"""Priors and fixed structure for fitting rates to published (aggregate) statistics.

Published tables give stocks by placement group and by age band, and yearly starts and ceases,
but never the flows between placements. The aggregate fit therefore keeps a *structure* fixed -
which moves happen at what relative rates, which exit reasons share the exits of an age band, where
children of each age are first placed - and estimates a handful of scale factors on it:

* the entry level, its yearly growth and year-to-year variation;
* the age mix of entrants;
* one exit-rate multiplier per age band, and (by default) a year-to-year change of all of them
  with a drift;
* two entry tilts (towards residential / semi-independent, towards "other" placements) and one
  move tilt (fostering or other into residential / semi-independent).

The structure defaults to the shape of the embedded Hackney calibration (see the "Default
calibration" docs page); the prior means of the scale factors default to "as the structure", and
:func:`placecast.fit.national.national_priors` replaces them with what England's own
published series imply.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts
from placecast.errors import ConfigError
from placecast.rates import Rates


def _default_structure() -> Rates:
    from placecast.data.hackney import hackney_2020

    return hackney_2020().rates


@dataclass(frozen=True)
class AggregatePriors:
    """Priors of :class:`~placecast.fit.aggregate.AggregateModel` (documented defaults).

    Parameters
    ----------
    structure
        Rates whose *shape* is kept (moves, exit reasons by age band, entry placement mix); only
        its first draw is used. Default: the embedded Hackney calibration.
    entry_age_share
        Prior mean of the age mix of entrants (under 1, 1-4, 5-9, 10-15, 16-17). Default: England,
        starts 2015/16-2017/18 (DfE, children looked after in England): 18%, 18%, 18%, 29%, 17%.
    entry_age_concentration
        Dirichlet concentration of that prior (30: a band's share is known to about +-7 points).
    log_exit_scale_mean, log_exit_scale_sd
        Prior mean (per age band) and sd of the log multiplier on the structure's exit rates.
    entry_tilt_mean, entry_tilt_sd
        Prior mean and sd of the log tilts of the entry mix towards residential /
        semi-independent and towards other placements (relative to fostering).
    move_tilt_mean, move_tilt_sd
        Prior mean and sd of the log multiplier on moves into residential / semi-independent.
    entry_growth_sd
        Prior sd of the yearly log-growth of entries (0.1: +-10% a year).
    entry_year_sd
        Prior median of the year-to-year variation of entries around the trend (log scale;
        log-normal prior with sd 0.5, which keeps it away from zero: three to five years cannot
        tell 0.02 from 0.1, and a zero would make the forecast overconfident). The fitted
        variation is carried into the forecast.
    exit_year_sd
        Prior median of the year-to-year change of the level of exit rates (log scale,
        log-normal prior with sd 0.5; used by the random-walk exit model). 0.1: across English
        councils the change in ceases per child in care from 2015/16 to 2016/17 varied with a
        variance of 0.023 on the log scale, of which about 0.013 is Poisson noise of the counts
        (DfE tables), leaving a sd of about 0.1; England's own changed by +0.5% and -3.7%.
    exit_drift_mean, exit_drift_sd
        Prior mean and sd of the yearly drift of that level (random-walk exit model): the
        expected log change of all exit rates per year, carried into the forecast. Default
        0 and 0.03; :meth:`national` centres it on England's own drift, so each council follows
        the national direction unless its own series says otherwise. England's exit level fell
        by 3.7% from 2015/16 to 2016/17 (DfE tables; ceases per child in care).
    residential_drift_mean, residential_drift_sd
        Prior mean and sd of the yearly log drift of the pull of residential /
        semi-independent placements (``AggregateModel(placement_model="drift")`` only). Default
        0 and 0.05; :meth:`national` centres it on England's. England's children in those
        placements were 9.5%, 10.8%, 10.9%, 11.3% and 12.2% of its children in care at 31 March
        2015-2019 (DfE tables).
    pull_year_sd
        Prior median of the year-to-year change of that log pull
        (``AggregateModel(placement_model="random_walk")`` only; log-normal prior with sd 0.5).
        0.15: across English councils the lasting part of the yearly log change of the share in
        those placements - the variance of the 2016/17 change (0.036) plus twice its covariance
        with the 2015/16 change (-0.0067), which removes the counting noise that reverses - has
        a sd of 0.15 (DfE tables to 2017, 140 councils; ``benchmarks/persistence.py``; the
        later pairs, which a backtest from 2017 must not see, give 0.20 and 0.27).
    starts_counted_share, starts_counted_share_sd
        Prior mean and sd (normal) of published starts as a share of the children who join the
        stock in the model. DfE's stock at 31 March grows by more than the year's starts minus
        ceases - in England by 654, 623 and 663 children in 2014/15, 2015/16 and 2016/17, 0.8% of
        the stock at the median council (DfE tables read by :mod:`placecast.data.dfe`) - so
        without this share a fit must bend its entry or exit levels to close the gap. 0.98 and
        0.02: the gap is about 2% of starts in England and at the median council.
    stock_growth_mean, stock_growth_sd
        Prior (normal) on the relative change of children in care in the first forecast year
        that the model's flows imply (joiners minus leavers over the stock at the last 31
        March). Default sd ``None``: no such prior. :meth:`national` centres it on England's
        own yearly growth over the fitted years with sd 0.025: across councils, a council's
        own change in one year says little about its next (DfE tables to 2017: the covariance
        of consecutive yearly log changes of children in care, each year's mean taken out, was
        0.00054 for 2014/15 -> 2015/16 and 0.00063 for 2015/16 -> 2016/17, i.e. a lasting
        council-specific growth with sd 0.023-0.025, against a sd of 0.08 of single years).
        Without it, the forecast year's flows follow the council's last fitted levels, whose
        balance is a noisy difference of two large flows.
    count_cv, count_cv_sd
        Prior median of the extra (beyond Poisson) relative noise of published counts, i.e. the
        model's misfit, shared by children in care, starts and ceases
        (``count_noise="shared"``), and the sd of its log (log-normal; also the sd of the three
        below).
    stock_count_cv, starts_count_cv, ceases_count_cv
        Prior medians of each count's own extra noise (``count_noise="by_measure"``, the
        default), from how much of a council's yearly change reverses the next year, beyond
        what Poisson counting gives, in the DfE tables to 2017 (across councils, the
        covariance of consecutive yearly log changes, each year's mean taken out;
        ``benchmarks/persistence.py``): children in care none (0.02, the floor of a model's
        misfit), starts a sd of about 0.08, ceases none beyond counting (0.03).
    share_concentration
        Prior median of the Dirichlet-multinomial concentration for published mixes (by age band,
        by placement group); larger = the model's mix must match the published one more closely.
    fostering_split
        Split of a published fostering count into in-house, friends-and-family and IFA, used for
        the starting stock (the DfE tables do not split fostering by provider). Assumption,
        roughly national: in-house 48%, friends and family 19%, IFA 33%. Give the council's own.
    semi_independent_share_16_17
        Share of the 16-17s in "secure units, children's homes and semi-independent living" who
        are in semi-independent accommodation (Hackney 2020: 57 of 83, 0.69; assumption 0.7).
    national_exit_years, national_exit_change
        England's published change in ceases per child in care (ceases over the mean of the
        two 31 March stocks; log change from the year before) in each of these years, used by
        fits with ``national_years="england"``; empty otherwise. Set by
        :meth:`with_national_years`.
    national_entry_years, national_entry_change
        The same for England's published starts (log change from the year before).
    source
        Where the prior means come from (cited in results).
    """

    structure: Rates = field(default_factory=_default_structure)
    entry_age_share: tuple[float, ...] = (0.18, 0.18, 0.18, 0.29, 0.17)
    entry_age_concentration: float = 30.0
    log_exit_scale_mean: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)
    log_exit_scale_sd: float = 0.5
    entry_tilt_mean: tuple[float, float] = (0.0, 0.0)
    entry_tilt_sd: float = 0.5
    move_tilt_mean: float = 0.0
    move_tilt_sd: float = 0.5
    entry_growth_mean: float = 0.0
    entry_growth_sd: float = 0.1
    entry_year_sd: float = 0.1
    exit_year_sd: float = 0.1
    exit_drift_mean: float = 0.0
    exit_drift_sd: float = 0.03
    residential_drift_mean: float = 0.0
    residential_drift_sd: float = 0.05
    pull_year_sd: float = 0.15
    starts_counted_share: float = 0.98
    starts_counted_share_sd: float = 0.02
    stock_growth_mean: float = 0.0
    stock_growth_sd: float | None = None
    count_cv: float = 0.05
    count_cv_sd: float = 0.7
    stock_count_cv: float = 0.02
    starts_count_cv: float = 0.08
    ceases_count_cv: float = 0.03
    share_concentration: float = 300.0
    fostering_split: tuple[float, float, float] = (0.48, 0.19, 0.33)
    semi_independent_share_16_17: float = 0.7
    national_exit_years: tuple[int, ...] = ()
    national_exit_change: tuple[float, ...] = ()
    national_entry_years: tuple[int, ...] = ()
    national_entry_change: tuple[float, ...] = ()
    source: str = "default structure (Hackney calibration), England starts by age 2015/16-2017/18"

    def __post_init__(self) -> None:
        space = self.structure.space
        B = space.n_bands
        for name in ("entry_age_share", "log_exit_scale_mean"):
            if len(getattr(self, name)) != B:
                raise ConfigError(f"AggregatePriors.{name}: expected {B} values (one per band)")
        for name, parts in (
            ("entry_age_share", self.entry_age_share),
            ("fostering_split", self.fostering_split),
        ):
            arr = np.asarray(parts, dtype=float)
            if (arr < 0).any() or abs(arr.sum() - 1.0) > 1e-6:
                raise ConfigError(
                    f"AggregatePriors.{name} must be shares summing to 1, got {parts}"
                )
        for name in (
            "entry_age_concentration",
            "log_exit_scale_sd",
            "entry_tilt_sd",
            "move_tilt_sd",
            "entry_growth_sd",
            "entry_year_sd",
            "exit_year_sd",
            "exit_drift_sd",
            "residential_drift_sd",
            "pull_year_sd",
            "starts_counted_share",
            "starts_counted_share_sd",
            "count_cv",
            "count_cv_sd",
            "stock_count_cv",
            "starts_count_cv",
            "ceases_count_cv",
            "share_concentration",
        ):
            if not getattr(self, name) > 0:
                raise ConfigError(f"AggregatePriors.{name} must be > 0, got {getattr(self, name)}")
        if self.stock_growth_sd is not None and not self.stock_growth_sd > 0:
            raise ConfigError(
                f"AggregatePriors.stock_growth_sd must be > 0 or None, got {self.stock_growth_sd}"
            )
        if not 0 <= self.semi_independent_share_16_17 <= 1:
            raise ConfigError("AggregatePriors.semi_independent_share_16_17 must be in [0, 1]")
        for kind in ("exit", "entry"):
            years, change = (getattr(self, f"national_{kind}_{n}") for n in ("years", "change"))
            if len(years) != len(change) or not np.isfinite(np.asarray(change, float)).all():
                raise ConfigError(
                    f"AggregatePriors.national_{kind}_change: one finite change per year of "
                    f"national_{kind}_years ({len(years)}), got {change}"
                )

    def national_change(self, kind: str, years: np.ndarray) -> np.ndarray:
        """England's published change (``kind`` ``"exit"`` or ``"entry"``) in each of
        ``years``, less its mean change over the years held up to the last of them: what
        England moved that year beyond its own trend.

        The trend is taken from the same published series, not from England's fitted drift
        (``exit_drift_mean``): the fitted exit level moves the exits the rates drive, 18th
        birthdays apart, while the published change is in all ceases per child, so the two
        differ in scale (to 2019 England's exit level fitted -7.4% a year, its ceases per
        child -4.1% a year). Subtracting one from the other would add that difference, a
        trend, to every year.

        Raises
        ------
        ConfigError
            A year has no national change in these priors.
        """
        published, change = self._national_series(kind)
        if len(years) == 0:  # a fit with too few years for this kind of step
            return np.zeros(0)
        known = dict(zip(published.tolist(), change.tolist(), strict=True))
        missing = [int(y) for y in years if int(y) not in known]
        if missing:
            raise ConfigError(
                f"national_years='england': the priors have no national {kind} change for "
                f"{missing}; build them with AggregatePriors.with_national_years from England's "
                "series covering the fitted years, or set national_years='none'"
            )
        trend = change[published <= max(int(y) for y in years)].mean()
        return np.array([known[int(y)] for y in years]) - trend

    def national_spread(self, kind: str, last_year: int) -> float:
        """The standard deviation of England's published changes (``kind`` ``"exit"`` or
        ``"entry"``) up to ``last_year``: how much England moves in a year beyond its trend
        (what a forecast draws England's future changes from; their mean beyond the trend is
        0, and the trend is the council's drift's).

        Raises
        ------
        ConfigError
            Fewer than two changes up to ``last_year``.
        """
        years, change = self._national_series(kind)
        change = change[years <= last_year]
        if change.size < 2:
            raise ConfigError(
                f"national_years='england': the priors give {change.size} national {kind} "
                f"change(s) up to {last_year}; a forecast needs at least two for their spread"
            )
        return float(change.std(ddof=1))

    def _national_series(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """England's years and published changes of ``kind`` (``"exit"``: ceases per child,
        ``"entry"``: starts)."""
        years, change = (getattr(self, f"national_{kind}_{n}") for n in ("years", "change"))
        return np.asarray(years, dtype=int), np.asarray(change, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """Every prior as plain values, except the structure (saved with a fit as rates)."""
        return {
            f.name: list(v) if isinstance(v, tuple) else v
            for f in fields(self)
            if f.name != "structure"
            for v in [getattr(self, f.name)]
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any], structure: Rates) -> AggregatePriors:
        """Priors written by :meth:`to_dict`, on ``structure``."""
        read: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in values.items()
        }
        return cls(structure=structure, **read)

    def with_national_years(self, england: PublishedCounts) -> AggregatePriors:
        """The same priors with England's published yearly changes (for
        ``national_years="england"``): in ceases per child in care (ceases over the mean of
        the two 31 March stocks) and in starts, log change from the year before, every year
        ``england`` gives them for (cut it to the fit's last year: a backtest must not see
        later years).

        Examples
        --------
        >>> from placecast.data.dfe import published_counts
        >>> from placecast.data.published import published_tables
        >>> england = published_counts(published_tables(), "England").upto(2019)
        >>> p = AggregatePriors().with_national_years(england)
        >>> p.national_exit_years, [round(c, 3) for c in p.national_exit_change]
        ((2016, 2017, 2018, 2019), [0.005, -0.037, -0.078, -0.053])
        """
        years = england.years
        stock = england.children_in_care
        mean_stock = np.r_[np.nan, (stock[1:] + stock[:-1]) / 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            per_child = np.log(england.ceases / mean_stock)
            starts = np.log(england.starts)
        exits, entries = np.r_[np.nan, np.diff(per_child)], np.r_[np.nan, np.diff(starts)]
        keep_exit, keep_entry = np.isfinite(exits), np.isfinite(entries)
        span = f"{years[keep_exit].min()}-{years[keep_exit].max()}" if keep_exit.any() else "none"
        return replace(
            self,
            source=f"{self.source}; England's published yearly changes in ceases per child "
            f"and starts ({span})",
            national_exit_years=tuple(int(y) for y in years[keep_exit]),
            national_exit_change=tuple(float(v) for v in exits[keep_exit]),
            national_entry_years=tuple(int(y) for y in years[keep_entry]),
            national_entry_change=tuple(float(v) for v in entries[keep_entry]),
        )

    def with_stock_growth(self, mean: float | None, sd: float | None) -> AggregatePriors:
        """The same priors with the first forecast year's stock-growth prior set by the user.

        ``sd=None`` removes that prior (``mean`` is then ignored). The change is appended to
        :attr:`source`, so reports citing the priors say what was set.
        """
        if sd is None:
            return replace(
                self, stock_growth_sd=None, source=f"{self.source}; no stock-growth prior"
            )
        if mean is None:
            raise ConfigError("AggregatePriors.with_stock_growth: give a mean with the sd")
        return replace(
            self,
            stock_growth_mean=mean,
            stock_growth_sd=sd,
            source=f"{self.source}; stock growth of the first forecast year {mean:+.1%} "
            f"(sd {sd:.3f}), set by the user",
        )


def structure_arrays(priors: AggregatePriors) -> dict[str, np.ndarray]:
    """The priors' fixed structure as arrays: moves (B, P, P), exits (B, P, R), entry mix
    (B, P) and the published placement group of each placement (P,)."""
    ds = priors.structure.data.isel(draw=0)
    space = priors.structure.space
    group = np.zeros(space.n_placements, dtype=int)
    for g, members in enumerate(PLACEMENT_GROUPS.values()):
        for placement in members:
            group[space.index(placement)] = g
    return {
        "move": ds["move_rate_per_year"].values,  # (B, P, P)
        "exit": ds["exit_rate_per_year"].values,  # (B, P, R)
        "mix": ds["entry_placement_share"].values,  # (B, P)
        "group": group,
    }
