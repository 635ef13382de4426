"""How many foster-carer households to recruit: the whole curve, a goal-seek and a break-even.

:func:`recruitment_curve` forecasts the council at each candidate number of extra approvals a
year, all on the baseline's random numbers (so the differences between candidates come from the
recruitment, not from chance), and keeps each path's placement cost by financial year. The cost
of recruiting is linear in the cost per household, so it is applied afterwards: one set of
forecasts answers every cost per household, and the break-even cost needs no search.

The answers a commissioning team asks for are methods of :class:`RecruitmentCurve`: the whole
curve (:meth:`~RecruitmentCurve.table`), the best number for expected cost or for a risk
measure (:meth:`~RecruitmentCurve.best`; CVaR, the mean of the worst paths), the least
recruitment that meets the budget with a chosen probability
(:meth:`~RecruitmentCurve.least_meeting_budget`) and the highest cost per household at which
recruitment still pays for itself within the horizon (:meth:`~RecruitmentCurve.break_even`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_label
from placecast.errors import ConfigError
from placecast.forecasting import SEED, forecast
from placecast.inputs import CouncilInputs
from placecast.scenario.levers import Scenario

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
    """

    placement_cost: xr.DataArray
    households_recruited: xr.DataArray
    budget: xr.DataArray
    cost_per_household_gbp: float

    def total_cost(self, cost_per_household_gbp: float | None = None) -> xr.DataArray:
        """Placement spend plus recruitment, by (approvals_per_year, path, financial_year)."""
        given = cost_per_household_gbp
        each = self.cost_per_household_gbp if given is None else _cost_each(given)
        return self.placement_cost + each * self.households_recruited

    def saving(self, cost_per_household_gbp: float | None = None) -> xr.DataArray:
        """Saving against no extra recruitment, by (approvals_per_year, path, financial_year):
        positive saves money, after the recruitment's cost."""
        total = self.total_cost(cost_per_household_gbp)
        return total.sel(approvals_per_year=0) - total

    def table(self) -> pd.DataFrame:
        """The whole curve over the horizon: for each candidate, the total cost and the saving
        against no extra recruitment summed over the forecast's financial years (mean and 90%
        interval, GBP), the probability of saving, the CVaR (mean of the worst 10% of paths) of
        the total cost, and the break-even cost per household."""
        total = self.total_cost().sum("financial_year")
        saving = self.saving().sum("financial_year")
        even = self.break_even()
        rows = []
        for n in total["approvals_per_year"].values:
            t, s = total.sel(approvals_per_year=n).values, saving.sel(approvals_per_year=n).values
            rows.append(
                {
                    "approvals_per_year": float(n),
                    "total_cost_mean_gbp": t.mean(),
                    "total_cost_p05_gbp": np.quantile(t, 0.05),
                    "total_cost_p95_gbp": np.quantile(t, 0.95),
                    "total_cost_cvar90_gbp": _cvar(t, 0.9),
                    "saving_mean_gbp": s.mean(),
                    "saving_p05_gbp": np.quantile(s, 0.05),
                    "saving_p95_gbp": np.quantile(s, 0.95),
                    "probability_of_saving": float((s > 0).mean()) if n > 0 else np.nan,
                    "break_even_cost_per_household_gbp": even.get(float(n), np.nan),
                }
            )
        return pd.DataFrame(rows)

    def best(self, objective: str = "expected", level: float = 0.9) -> float:
        """The candidate with the lowest expected total cost over the horizon
        (``objective="expected"``) or the lowest CVaR at ``level`` (``"cvar"``: the mean of the
        worst ``1 - level`` of paths, for a council that fears the bad years most)."""
        total = self.total_cost().sum("financial_year")
        if objective == "expected":
            score = total.mean("path").values
        elif objective == "cvar":
            if not 0 < level < 1:
                raise ConfigError(f"CVaR level must be in (0, 1), got {level!r}")
            score = np.array([_cvar(row, level) for row in total.transpose(..., "path").values])
        else:
            raise ConfigError(f"objective must be 'expected' or 'cvar', got {objective!r}")
        return float(total["approvals_per_year"].values[int(np.argmin(score))])

    def least_meeting_budget(self, financial_year: int, probability: float) -> float | None:
        """The fewest extra approvals a year among the candidates whose total cost in
        ``financial_year`` (the year it starts: 2024 is 2024/25) stays within the budget with
        at least ``probability``; ``None`` when no candidate does."""
        if not 0 < probability <= 1:
            raise ConfigError(f"probability must be in (0, 1], got {probability!r}")
        years = self.placement_cost["financial_year"].values
        if financial_year not in years:
            labels = ", ".join(financial_year_label(int(y)) for y in years)
            raise ConfigError(
                f"financial year {financial_year_label(financial_year)} is not in the forecast "
                f"({labels}); give one of them, by the year it starts"
            )
        total = self.total_cost().sel(financial_year=financial_year)
        within = (total <= float(self.budget.sel(financial_year=financial_year))).mean("path")
        meets = within["approvals_per_year"].values[within.values >= probability]
        return float(meets.min()) if meets.size else None

    def break_even(self) -> dict[float, float]:
        """For each candidate above 0, the highest cost per household at which its expected
        placement saving over the horizon pays for the households it recruits (GBP): above
        it, recruiting that many costs more than it saves within the horizon."""
        placement = self.placement_cost.sum("financial_year").mean("path")
        saved = placement.sel(approvals_per_year=0) - placement
        households = self.households_recruited.sum("financial_year")
        out = {}
        for n in placement["approvals_per_year"].values:
            if n > 0:
                out[float(n)] = float(saved.sel(approvals_per_year=n)) / float(
                    households.sel(approvals_per_year=n)
                )
        return out


def _cost_each(value: float) -> float:
    """A cost per household, checked: a number of pounds >= 0."""
    each = float(value)
    if not np.isfinite(each) or each < 0:
        raise ConfigError(f"cost per household must be a number >= 0 GBP, got {each!r}")
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
    spends, recruited = [], []
    for n in candidates:
        # At one pound a household the scenario's own cost counts the households it approves
        # (expected, by financial year); the curve prices them at any cost afterwards.
        scenario = (
            None
            if n == 0
            else Scenario(
                f"{n:g} more a year", extra_approvals_per_year=n, cost_per_recruited_household_gbp=1
            )
        )
        # (Scenario's frozen name does not match the protocol's settable one, as in compare.)
        fc = forecast(inputs, months=months, paths=paths, seed=seed, scenario=scenario)  # type: ignore[arg-type]
        spends.append(fc.spend.sum("placement").reset_coords(drop=True))
        recruited.append(fc.extra_cost.reset_coords(drop=True))
    index = pd.Index(candidates, name="approvals_per_year")
    placement_cost = xr.concat(spends, dim=index).transpose("approvals_per_year", "path", ...)
    households = xr.concat(recruited, dim=index)
    budget = inputs.budget.as_dataarray(placement_cost["financial_year"].values)
    return RecruitmentCurve(
        placement_cost=placement_cost.rename("placement_cost_gbp"),
        households_recruited=households.rename("households_recruited"),
        budget=budget,
        cost_per_household_gbp=cost_each,
    )
