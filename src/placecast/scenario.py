"""What-if scenarios and their comparison with the baseline on common random numbers.

A :class:`Scenario` is a set of levers; :func:`compare` forecasts the baseline and every scenario
on the same seed, so all of them see the same rate draws, the same entries and the same carer
supply noise. Differences between them are then driven by the levers, not by chance, and the
intervals on savings are much tighter than the intervals on either forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from placecast.costs import interval_summary
from placecast.errors import ConfigError
from placecast.forecast import CouncilInputs, Forecast, forecast
from placecast.simulate import Drivers
from placecast.states import MONTHS_PER_YEAR


@dataclass(frozen=True)
class Scenario:
    """Levers applied from a given forecast month.

    Parameters
    ----------
    name
        Label used in tables and charts.
    extra_approvals_per_year
        Additional mainstream carer households approved per year (recruitment).
    deregistration_rate_per_year
        Replaces the deregistration rate (retention); ``None`` keeps the baseline.
    places_per_household
        Replaces places per household; ``None`` keeps the baseline.
    entry_multiplier
        Multiplies the entry intensity (1.1 = 10% more children entering care).
    from_month
        First forecast month (1 = the month after the stock date) the levers apply to.
    cost_per_recruited_household_gbp
        One-off cost of recruiting and approving each extra household (adverts, assessment,
        training), counted as scenario cost in the financial year of approval.

    Examples
    --------
    >>> Scenario("recruit 10 more a year", extra_approvals_per_year=10).name
    'recruit 10 more a year'
    """

    name: str
    extra_approvals_per_year: float = 0.0
    deregistration_rate_per_year: float | None = None
    places_per_household: float | None = None
    entry_multiplier: float = 1.0
    from_month: int = 1
    cost_per_recruited_household_gbp: float = 0.0

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ConfigError("Scenario.name must be a non-empty string")
        for lever in (
            "extra_approvals_per_year",
            "deregistration_rate_per_year",
            "places_per_household",
            "entry_multiplier",
            "cost_per_recruited_household_gbp",
        ):
            value = getattr(self, lever)
            if value is not None and (not np.isfinite(value) or value < 0):
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be >= 0, got {value}")
        if self.from_month < 1:
            raise ConfigError(
                f"Scenario {self.name!r}: from_month must be >= 1, got {self.from_month}"
            )

    def active(self, months: int) -> np.ndarray:
        """Boolean by forecast month 1..months: do the levers apply?"""
        if self.from_month > months:
            raise ConfigError(
                f"Scenario {self.name!r}: from_month={self.from_month} is after the forecast "
                f"horizon of {months} months"
            )
        return np.arange(1, months + 1) >= self.from_month

    def drivers(self, inputs: CouncilInputs, months: int) -> Drivers:
        """The baseline drivers with this scenario's levers applied."""
        base = Drivers.constant(inputs.supply, months)
        on = self.active(months)

        def lever(baseline: np.ndarray, value: float | None) -> np.ndarray:
            return baseline if value is None else np.where(on, value, baseline)

        return Drivers(
            entry_multiplier=np.where(on, self.entry_multiplier, base.entry_multiplier),
            approvals_per_year=base.approvals_per_year + on * self.extra_approvals_per_year,
            deregistration_rate_per_year=lever(
                base.deregistration_rate_per_year, self.deregistration_rate_per_year
            ),
            places_per_household=lever(base.places_per_household, self.places_per_household),
        )

    def extra_cost_by_year(self, data: xr.Dataset, financial_years: np.ndarray) -> xr.DataArray:
        """Recruitment cost of the extra approvals, by financial year (expected number), GBP."""
        months = data.sizes["month"] - 1
        per_month = self.active(months) * self.extra_approvals_per_year / MONTHS_PER_YEAR
        cost = (
            pd.Series(per_month * self.cost_per_recruited_household_gbp)
            .groupby(data["financial_year"].values[1:])
            .sum()
        )
        return xr.DataArray(
            cost.reindex(financial_years, fill_value=0.0).to_numpy(),
            dims="financial_year",
            coords={"financial_year": financial_years},
            name="extra_cost_gbp",
        )


@dataclass
class Comparison:
    """A baseline and scenarios forecast on common random numbers.

    Attributes
    ----------
    baseline
        The baseline forecast.
    scenarios
        Forecasts under each scenario, in the order given.
    """

    baseline: Forecast
    scenarios: list[Forecast]

    @property
    def forecasts(self) -> list[Forecast]:
        return [self.baseline, *self.scenarios]

    def savings(self) -> xr.DataArray:
        """Baseline total cost minus scenario total cost, by (scenario, path, financial_year).

        Positive = the scenario saves money (after its own costs, e.g. recruitment).
        """
        base = self.baseline.total_cost
        return xr.concat(
            [base - fc.total_cost for fc in self.scenarios],
            dim=pd.Index([fc.name for fc in self.scenarios], name="scenario"),
        ).rename("saving_gbp")

    def savings_summary(self) -> pd.DataFrame:
        """Savings per scenario and financial year, with intervals and P(saving > 0)."""
        frame = interval_summary(self.savings(), probability_above_zero=True)
        return frame.rename(columns={"probability_above_zero": "probability_of_saving"})

    def table(self) -> pd.DataFrame:
        """One row per (forecast, financial year): children at its 31 March, cost, overspend."""
        rows = []
        for fc in self.forecasts:
            by_placement = fc.children_by_placement()
            dates = pd.DatetimeIndex(by_placement["date"].values)
            spend, over = fc.total_cost, fc.overspend
            for fy in spend["financial_year"].values:
                # Costs cover complete financial years only, so their 31 March is in the horizon.
                march = int(np.flatnonzero((dates.month == 3) & (dates.year == fy + 1))[0])
                at_march = by_placement.isel(month=march)
                cost, over_fy = spend.sel(financial_year=fy), over.sel(financial_year=fy)
                rows.append(
                    {
                        "scenario": fc.name,
                        "financial_year": f"{fy}/{str(fy + 1)[-2:]}",
                        "children_31_march_mean": float(at_march.sum("placement").mean()),
                        "in_ifa_31_march_mean": float(
                            at_march.sel(placement=fc.inputs.space.overflow_placement).mean()
                        ),
                        "cost_mean_gbp": float(cost.mean()),
                        "cost_p05_gbp": float(cost.quantile(0.05)),
                        "cost_p95_gbp": float(cost.quantile(0.95)),
                        "overspend_mean_gbp": float(over_fy.mean()),
                        "probability_of_overspend": float((over_fy > 0).mean()),
                    }
                )
        return pd.DataFrame(rows)

    def break_even(self) -> pd.DataFrame:
        """Cumulative scenario spend (e.g. recruitment) against cumulative placement savings."""
        rows = []
        base = self.baseline.spend.sum("placement")
        for fc in self.scenarios:
            placement_saving = (
                (base - fc.spend.sum("placement")).mean("path").cumsum("financial_year")
            )
            scenario_cost = fc.extra_cost.cumsum("financial_year")
            for fy in placement_saving["financial_year"].values:
                saved = float(placement_saving.sel(financial_year=fy))
                spent = float(scenario_cost.sel(financial_year=fy))
                rows.append(
                    {
                        "scenario": fc.name,
                        "financial_year": int(fy),
                        "cumulative_scenario_cost_gbp": spent,
                        "cumulative_placement_saving_gbp": saved,
                        "cumulative_net_saving_gbp": saved - spent,
                    }
                )
        return pd.DataFrame(rows)


def compare(
    inputs: CouncilInputs,
    scenarios: Sequence[Scenario],
    *,
    months: int = 60,
    paths: int = 2000,
    seed: int = 0,
    batch_paths: int = 500,
    workers: int | None = None,
) -> Comparison:
    """Forecast the baseline and each scenario on common random numbers.

    Examples
    --------
    >>> import placecast as pc
    >>> cmp = pc.compare(pc.hackney_2020(), [pc.Scenario("recruit", extra_approvals_per_year=10)],
    ...                  months=24, paths=50, seed=3)
    >>> list(cmp.savings_summary().index.get_level_values("scenario").unique())
    ['recruit']
    """
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names) or "baseline" in names:
        raise ConfigError(f"scenario names must be unique and not 'baseline', got {names}")
    kwargs = dict(months=months, paths=paths, seed=seed, batch_paths=batch_paths, workers=workers)
    baseline = forecast(inputs, **kwargs)  # type: ignore[arg-type]
    return Comparison(
        baseline=baseline,
        scenarios=[forecast(inputs, scenario=s, **kwargs) for s in scenarios],  # type: ignore[arg-type]
    )
