"""How many foster-carer households to recruit: the whole curve, a goal-seek and a break-even.

:func:`recruitment_curve` forecasts the council at each candidate number of extra approvals a
year, all on the baseline's random numbers (so the differences between candidates come from the
recruitment, not from chance), and keeps each path's placement cost by financial year. The cost
of recruiting is linear in the cost per household, so it is applied afterwards: one set of
forecasts answers every cost per household, and the break-even cost needs no search.

With ``deregistration_rates``, each number of approvals is also tried with each deregistration
rate a retention offer might buy, priced at a cost per household a year: a grid of options with
a ``deregistration_rate_per_year`` dimension, the baseline being no extra approvals at the
council's own rate.

The answers a commissioning team asks for are methods of :class:`RecruitmentCurve`: the whole
curve (:meth:`~RecruitmentCurve.table`), the best number for expected cost or for a risk
measure (:meth:`~RecruitmentCurve.best`; CVaR, the mean of the worst paths), the least
recruitment that meets the budget with a chosen probability
(:meth:`~RecruitmentCurve.least_meeting_budget`) and the highest cost per household at which
recruitment still pays for itself within the horizon (:meth:`~RecruitmentCurve.break_even`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_label
from placecast.errors import ConfigError
from placecast.forecasting import SEED, Forecast, forecast
from placecast.inputs import CouncilInputs
from placecast.scenario.levers import Scenario
from placecast.states import MONTHS_PER_YEAR

__all__ = ["RecruitmentCurve", "recruitment_curve"]

#: The candidates tried when none are given: extra households approved a year.
DEFAULT_APPROVALS = (0, 2.5, 5, 7.5, 10, 15, 20, 30)


@dataclass(frozen=True)
class RecruitmentCurve:
    """Placement cost at each candidate number of extra approvals a year, path by path.

    Attributes
    ----------
    placement_cost
        Placement spend by (approvals_per_year, path, financial_year), GBP, on common random
        numbers: the baseline's paths at every candidate.
    households_recruited
        Extra households approved by financial year at each candidate (expected numbers,
        before any leave), by (approvals_per_year, financial_year).
    budget
        The placement budget by financial year, GBP.
    cost_per_household_gbp
        The one-off cost of recruiting and approving one extra household, GBP.
    household_years
        With a retention grid: carer household-years held by (approvals_per_year,
        deregistration_rate_per_year, path, financial_year), which the retention offer is paid
        on; ``None`` without one.
    retention_cost_per_household_year_gbp
        What the retention offer costs for each household a year, GBP, at every deregistration
        rate other than the council's own.
    own_deregistration_rate
        The council's own deregistration rate a year (the baseline's), with a retention grid.

    With a retention grid every array also has a ``deregistration_rate_per_year`` dimension
    (the candidates' rates, the council's own among them) and savings are against no extra
    approvals at the council's own rate.
    """

    placement_cost: xr.DataArray
    households_recruited: xr.DataArray
    budget: xr.DataArray
    cost_per_household_gbp: float
    household_years: xr.DataArray | None = None
    retention_cost_per_household_year_gbp: float = 0.0
    own_deregistration_rate: float | None = None

    @property
    def retention(self) -> bool:
        """Whether the curve tries deregistration rates (a retention grid) as well."""
        return "deregistration_rate_per_year" in self.placement_cost.dims

    def _baseline(self, da: xr.DataArray) -> xr.DataArray:
        """``da`` at no extra approvals (and, with a retention grid, the council's own rate)."""
        at = da.sel(approvals_per_year=0)
        if self.retention:
            at = at.sel(deregistration_rate_per_year=self.own_deregistration_rate)
        return at

    def _options(self, da: xr.DataArray) -> xr.DataArray:
        """``da`` with one ``option`` dimension over every (approvals[, rate]) candidate; its
        ``approvals_per_year`` (and ``deregistration_rate_per_year``) say which."""
        dims = ("approvals_per_year", "deregistration_rate_per_year")
        return da.stack(option=[d for d in dims if d in da.dims])

    def total_cost(self, cost_per_household_gbp: float | None = None) -> xr.DataArray:
        """Placement spend plus recruitment (plus, with a retention grid, the retention offer),
        by (approvals_per_year, [deregistration_rate_per_year,] path, financial_year)."""
        given = cost_per_household_gbp
        each = self.cost_per_household_gbp if given is None else _cost_each(given)
        total = self.placement_cost + each * self.households_recruited
        if self.retention and self.household_years is not None:
            rate = self.household_years["deregistration_rate_per_year"]
            offered = rate != self.own_deregistration_rate
            cost = self.retention_cost_per_household_year_gbp * self.household_years * offered
            total = total + cost
        return total.transpose("approvals_per_year", ..., "path", "financial_year")

    def saving(self, cost_per_household_gbp: float | None = None) -> xr.DataArray:
        """Saving against no extra recruitment (at the council's own deregistration rate), by
        (approvals_per_year, [deregistration_rate_per_year,] path, financial_year): positive
        saves money, after the recruitment's (and any retention offer's) cost."""
        total = self.total_cost(cost_per_household_gbp)
        return self._baseline(total) - total

    def table(self) -> pd.DataFrame:
        """The whole curve over the horizon: for each candidate, the total cost and the saving
        against no extra recruitment summed over the forecast's financial years (mean and 90%
        interval, GBP), the probability of saving, the CVaR (mean of the worst 10% of paths) of
        the total cost, and the break-even cost per household."""
        total = self._options(self.total_cost().sum("financial_year"))
        saving = self._options(self.saving().sum("financial_year"))
        even = self.break_even()
        rows = []
        for k in range(total.sizes["option"]):
            t = total.isel(option=k).values
            s = saving.isel(option=k).values
            n = float(_level(total, "approvals_per_year")[k])
            row: dict[str, float] = {"approvals_per_year": n}
            if self.retention:
                rate = float(_level(total, "deregistration_rate_per_year")[k])
                row["deregistration_rate_per_year"] = rate
                baseline = n == 0 and rate == self.own_deregistration_rate
            else:
                rate, baseline = np.nan, n == 0
            row |= {
                "total_cost_mean_gbp": t.mean(),
                "total_cost_p05_gbp": np.quantile(t, 0.05),
                "total_cost_p95_gbp": np.quantile(t, 0.95),
                "total_cost_cvar90_gbp": _cvar(t, 0.9),
                "saving_mean_gbp": s.mean(),
                "saving_p05_gbp": np.quantile(s, 0.05),
                "saving_p95_gbp": np.quantile(s, 0.95),
                "probability_of_saving": np.nan if baseline else float((s > 0).mean()),
                "break_even_cost_per_household_gbp": (
                    even.get(n, np.nan)
                    if not self.retention or rate == self.own_deregistration_rate
                    else np.nan
                ),
            }
            rows.append(row)
        return pd.DataFrame(rows)

    def best(self, objective: str = "expected", level: float = 0.9) -> float:
        """The candidate with the lowest expected total cost over the horizon
        (``objective="expected"``) or the lowest CVaR at ``level`` (``"cvar"``: the mean of the
        worst ``1 - level`` of paths, for a council that fears the bad years most): its extra
        approvals a year (with a retention grid, see :meth:`best_option` for its rate too)."""
        return self.best_option(objective, level)["approvals_per_year"]

    def best_option(self, objective: str = "expected", level: float = 0.9) -> dict[str, float]:
        """As :meth:`best`, the whole option: ``approvals_per_year`` and, with a retention grid,
        ``deregistration_rate_per_year``."""
        total = self._options(self.total_cost().sum("financial_year"))
        if objective == "expected":
            score = total.mean("path").values
        elif objective == "cvar":
            if not 0 < level < 1:
                raise ConfigError(f"CVaR level must be in (0, 1), got {level!r}")
            score = np.array(
                [_cvar(row, level) for row in total.transpose("option", "path").values]
            )
        else:
            raise ConfigError(f"objective must be 'expected' or 'cvar', got {objective!r}")
        k = int(np.argmin(score))
        names = total.indexes["option"].names
        return {str(name): float(_level(total, str(name))[k]) for name in names}

    def least_meeting_budget(self, financial_year: int, probability: float) -> float | None:
        """The fewest extra approvals a year among the candidates whose total cost in
        ``financial_year`` (the year it starts: 2024 is 2024/25) stays within the budget with
        at least ``probability`` (with a retention grid, at any of its rates); ``None`` when no
        candidate does."""
        if not 0 < probability <= 1:
            raise ConfigError(f"probability must be in (0, 1], got {probability!r}")
        years = self.placement_cost["financial_year"].values
        if financial_year not in years:
            labels = ", ".join(financial_year_label(int(y)) for y in years)
            raise ConfigError(
                f"financial year {financial_year_label(financial_year)} is not in the forecast "
                f"({labels}); give one of them, by the year it starts"
            )
        total = self._options(self.total_cost().sel(financial_year=financial_year))
        within = (total <= float(self.budget.sel(financial_year=financial_year))).mean("path")
        meets = _level(within, "approvals_per_year")[within.values >= probability]
        return float(meets.min()) if meets.size else None

    def break_even(self) -> dict[float, float]:
        """For each candidate above 0, the highest cost per household at which its expected
        placement saving over the horizon pays for the households it recruits (GBP): above
        it, recruiting that many costs more than it saves within the horizon."""
        placement = self.placement_cost.sum("financial_year").mean("path")
        households = self.households_recruited.sum("financial_year")
        if self.retention:  # recruitment alone: at the council's own rate
            placement = placement.sel(deregistration_rate_per_year=self.own_deregistration_rate)
            households = households.sel(deregistration_rate_per_year=self.own_deregistration_rate)
        saved = placement.sel(approvals_per_year=0) - placement
        out = {}
        for n in placement["approvals_per_year"].values:
            if n > 0:
                out[float(n)] = float(saved.sel(approvals_per_year=n)) / float(
                    households.sel(approvals_per_year=n)
                )
        return out


def _level(da: xr.DataArray, name: str) -> np.ndarray:
    """The candidates' values of ``name`` along a curve's stacked ``option`` dimension."""
    return np.asarray(da.indexes["option"].get_level_values(name), dtype=float)


def _cost_each(value: float, per: str = "household") -> float:
    """A cost per household (or ``per`` whatever else), checked: a number of pounds >= 0."""
    each = float(value)
    if not np.isfinite(each) or each < 0:
        raise ConfigError(f"cost per {per} must be a number >= 0 GBP, got {each!r}")
    return each


def _cvar(values: np.ndarray, level: float) -> float:
    """Mean of the values at or above their ``level`` quantile (the worst ``1 - level``)."""
    values = np.asarray(values, dtype=float)
    return float(values[values >= np.quantile(values, level)].mean())


def recruitment_curve(
    inputs: CouncilInputs,
    approvals_per_year: Sequence[float] = DEFAULT_APPROVALS,
    *,
    cost_per_household_gbp: float = 10_000.0,
    deregistration_rates: Sequence[float] | None = None,
    retention_cost_per_household_year_gbp: float = 0.0,
    refine: int = 0,
    months: int = 60,
    paths: int = 1000,
    seed: int = SEED,
) -> RecruitmentCurve:
    """Forecast each candidate number of extra approvals a year on common random numbers.

    Parameters
    ----------
    inputs
        The council.
    approvals_per_year
        Candidates: extra mainstream carer households approved a year from the first forecast
        month (0, no extra recruitment, is always added: it is what savings are against).
    cost_per_household_gbp
        One-off cost of recruiting and approving one extra household (an assumption: use your
        own); any other cost can be applied afterwards (:meth:`RecruitmentCurve.total_cost`).
    deregistration_rates
        Optional retention candidates: deregistration rates a year (households leaving per
        household-year) that a retention offer might buy; each is tried with every number of
        approvals, and the council's own rate is always added (it is the baseline's).
    retention_cost_per_household_year_gbp
        What the retention offer costs for each carer household a year, paid at every rate but
        the council's own (an assumption: use your own).
    refine
        Rounds of refinement between the grid's points: each adds the midpoints between the
        number with the lowest expected cost and its neighbours (forecasting only those), so
        the optimum is found to half the grid's spacing per round, not only on the grid.
    months, paths, seed
        As for :func:`placecast.forecast`; every candidate runs on the same seed.

    Returns
    -------
    RecruitmentCurve

    Examples
    --------
    >>> import placecast as pc
    >>> curve = recruitment_curve(pc.hackney_2020(), [0, 10, 20], months=24, paths=40)
    >>> list(curve.table()["approvals_per_year"])
    [0.0, 10.0, 20.0]
    """
    candidates = sorted({0.0, *(float(n) for n in approvals_per_year)})
    cost_each = _cost_each(cost_per_household_gbp)
    retention_each = _cost_each(retention_cost_per_household_year_gbp, "household a year")
    own = float(inputs.supply.deregistration_rate_per_year)
    rates = None
    if deregistration_rates is not None:
        rates = sorted({own, *(float(d) for d in deregistration_rates)})
        bad = [d for d in rates if not np.isfinite(d) or d < 0 or d > 12]
        if bad:
            raise ConfigError(
                f"deregistration rates must be between 0 and 12 a year (12: every household in "
                f"a month); got {bad}"
            )
    if isinstance(refine, bool) or not isinstance(refine, int) or not 0 <= refine <= 10:
        raise ConfigError(f"refine must be a whole number of rounds from 0 to 10, got {refine!r}")
    runs: dict[tuple[float, float], tuple[xr.DataArray, xr.DataArray, xr.DataArray | None]] = {}

    def curve_of(numbers: list[float]) -> RecruitmentCurve:
        """Forecast the options not run yet; the curve over ``numbers`` x rates."""
        for rate in [own] if rates is None else rates:
            for n in numbers:
                if (n, rate) not in runs:
                    fc = _forecast_option(
                        inputs, n, None if rate == own else rate, months, paths, seed
                    )
                    runs[n, rate] = (
                        fc.spend.sum("placement").reset_coords(drop=True),
                        fc.extra_cost.reset_coords(drop=True),
                        None if rates is None else _household_years(fc),
                    )
        index = pd.Index(numbers, name="approvals_per_year")

        def gathered(part: int) -> xr.DataArray:
            by_rate: list[xr.DataArray] = []
            for rate in [own] if rates is None else rates:
                items = [runs[n, rate][part] for n in numbers]
                by_rate.append(xr.concat([a for a in items if a is not None], dim=index))
            if rates is None:
                return by_rate[0]
            return xr.concat(by_rate, dim=pd.Index(rates, name="deregistration_rate_per_year"))

        placement_cost = gathered(0).transpose("approvals_per_year", ..., "path", "financial_year")
        return RecruitmentCurve(
            placement_cost=placement_cost.rename("placement_cost_gbp"),
            households_recruited=gathered(1)
            .transpose("approvals_per_year", ...)
            .rename("households_recruited"),
            budget=inputs.budget.as_dataarray(placement_cost["financial_year"].values),
            cost_per_household_gbp=cost_each,
            household_years=None if rates is None else gathered(2).rename("household_years"),
            retention_cost_per_household_year_gbp=retention_each,
            own_deregistration_rate=None if rates is None else own,
        )

    curve = curve_of(candidates)
    for _ in range(refine):
        # Halve the gaps either side of the best number (lowest expected cost), as a
        # bisection would, on the same random numbers.
        best = curve.best()
        i = candidates.index(best)
        around = candidates[max(i - 1, 0) : i + 2]
        middles = [(a + b) / 2 for a, b in itertools.pairwise(around)]
        new = [m for m in middles if m not in candidates]
        if not new:
            break
        candidates = sorted({*candidates, *new})
        curve = curve_of(candidates)
    return curve


def _forecast_option(
    inputs: CouncilInputs, n: float, rate: float | None, months: int, paths: int, seed: int
) -> Forecast:
    """One candidate's forecast. At one pound a household the scenario's own cost counts the
    households it approves (expected, by financial year); the curve prices them afterwards."""
    scenario = (
        None
        if n == 0 and rate is None
        else Scenario(
            f"{n:g} more a year" + ("" if rate is None else f", deregistration {rate:g}"),
            extra_approvals_per_year=n,
            cost_per_recruited_household_gbp=1,
            deregistration_rate_per_year=rate,
        )
    )
    return forecast(inputs, months=months, paths=paths, seed=seed, scenario=scenario)


def _household_years(fc: Forecast) -> xr.DataArray:
    """Carer household-years held by (path, financial_year), over the forecast's complete
    financial years (the months' households at their start, a twelfth of a year each)."""
    households = fc.data["carer_households"].isel(month=slice(0, -1)).values  # (path, month)
    fy = fc.data["financial_year"].values[1:]
    years = fc.spend["financial_year"].values
    by_year = pd.DataFrame(households.T / MONTHS_PER_YEAR).groupby(fy).sum().reindex(years)
    return xr.DataArray(
        by_year.to_numpy().T,
        dims=("path", "financial_year"),
        coords={"path": fc.data["path"].values, "financial_year": years},
    )
