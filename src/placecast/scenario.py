"""What-if scenarios and their comparison with the baseline on common random numbers.

A :class:`Scenario` is a set of levers; :func:`compare` forecasts the baseline and every scenario
on the same seed, so all of them see the same rate draws, the same entries and the same carer
supply noise. Differences between them are then driven by the levers, not by chance, and the
intervals on savings are much tighter than the intervals on either forecast.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from placecast.costs import Budget, interval_summary
from placecast.errors import ConfigError, InputError
from placecast.forecast import CouncilInputs, Forecast, forecast
from placecast.rates import Rates
from placecast.simulate import Drivers
from placecast.states import MONTHS_PER_YEAR

#: Levers a scenario may set (the names accepted in TOML files and by :class:`Scenario`).
LEVERS = (
    "extra_approvals_per_year",
    "deregistration_rate_per_year",
    "places_per_household",
    "cost_per_recruited_household_gbp",
    "residential_step_down_per_year",
    "foster_care_first",
    "own_home_beds",
    "own_home_weekly_cost_per_bed_gbp",
    "entry_multiplier",
    "entry_growth_per_year",
    "inflation_per_year",
    "budget_gbp",
)


@dataclass(frozen=True)
class Scenario:
    """A named set of levers, applied from a given month.

    Parameters
    ----------
    name
        Label used in tables and charts.
    from_month, from_date
        When the levers start: forecast month (1 = the month after the stock date) or a month
        such as ``"2021-04"``. Give one of them; the default is month 1.
    extra_approvals_per_year
        Recruitment: additional mainstream carer households approved per year.
    deregistration_rate_per_year
        Retention: replaces the carers' deregistration rate (``None`` keeps the baseline).
    places_per_household
        Replaces approved places per household (``None`` keeps the baseline).
    cost_per_recruited_household_gbp
        One-off cost of recruiting and approving each extra household, counted in the financial
        year of approval (expected number of approvals).
    residential_step_down_per_year
        Extra rate per child-year of moves from residential to in-house fostering (a child who
        finds no in-house place steps down to IFA instead).
    foster_care_first
        No new semi-independent placements for under-18s: entries and moves that would go to
        semi-independent accommodation go to in-house fostering (capacity permitting) instead.
    own_home_beds, own_home_weekly_cost_per_bed_gbp
        A council-run children's home: its beds take children in residential care first at no
        external fee; its running cost (per bed per week, occupied or not, in the price base year
        and inflating like residential) is a scenario cost.
    entry_multiplier
        Demand shock: multiplies the entry intensity (1.1 = 10% more children entering care).
    entry_growth_per_year
        Demand trend: entries grow by this share a year from the start of the levers.
    inflation_per_year
        Unit-cost inflation by placement category, replacing the baseline's for those categories.
    budget_gbp
        Placement budget by financial year, replacing the baseline's for those years.

    Examples
    --------
    >>> Scenario("recruit 10 more a year", extra_approvals_per_year=10).name
    'recruit 10 more a year'
    """

    name: str
    from_month: int = 1
    from_date: str | None = None
    extra_approvals_per_year: float = 0.0
    deregistration_rate_per_year: float | None = None
    places_per_household: float | None = None
    cost_per_recruited_household_gbp: float = 0.0
    residential_step_down_per_year: float = 0.0
    foster_care_first: bool = False
    own_home_beds: int = 0
    own_home_weekly_cost_per_bed_gbp: float = 0.0
    entry_multiplier: float = 1.0
    entry_growth_per_year: float = 0.0
    inflation_per_year: Mapping[str, float] | None = None
    budget_gbp: Mapping[int, float] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError("Scenario.name must be a non-empty string")
        for lever in (
            "extra_approvals_per_year",
            "deregistration_rate_per_year",
            "places_per_household",
            "cost_per_recruited_household_gbp",
            "residential_step_down_per_year",
            "own_home_beds",
            "own_home_weekly_cost_per_bed_gbp",
            "entry_multiplier",
        ):
            value = getattr(self, lever)
            if value is not None and (not np.isfinite(value) or value < 0):
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be >= 0, got {value}")
        if not np.isfinite(self.entry_growth_per_year) or self.entry_growth_per_year <= -1:
            raise ConfigError(f"Scenario {self.name!r}: entry_growth_per_year must be > -1")
        if self.own_home_beds != int(self.own_home_beds):
            raise ConfigError(f"Scenario {self.name!r}: own_home_beds must be a whole number")
        if not isinstance(self.foster_care_first, bool):
            raise ConfigError(f"Scenario {self.name!r}: foster_care_first must be true or false")
        if self.from_month < 1:
            raise ConfigError(
                f"Scenario {self.name!r}: from_month must be >= 1, got {self.from_month}"
            )
        if self.from_date is not None and self.from_month != 1:
            raise ConfigError(f"Scenario {self.name!r}: give from_month or from_date, not both")
        for year, value in (self.budget_gbp or {}).items():
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"Scenario {self.name!r}: budget_gbp[{year}] must be >= 0")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Build from a mapping (e.g. a TOML table); unknown keys are refused by name."""
        known = {"name", "from_month", "from_date", *LEVERS}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(
                f"unknown lever(s) {unknown}; known levers: {', '.join(sorted(known))}",
                file=source,
            )
        if "name" not in values:
            raise InputError("every scenario needs a name", file=source)
        fields = dict(values)
        if "budget_gbp" in fields:
            try:
                fields["budget_gbp"] = {int(k): float(v) for k, v in fields["budget_gbp"].items()}
            except (TypeError, ValueError, AttributeError) as err:
                raise InputError(
                    "budget_gbp must be a table of financial year = amount, e.g. 2021 = 2.1e7",
                    file=source,
                    column="budget_gbp",
                ) from err
        try:
            return cls(**fields)
        except TypeError as err:
            raise InputError(f"scenario {values.get('name')!r}: {err}", file=source) from err

    # -- timing ------------------------------------------------------------------------------
    def start_month(self, inputs: CouncilInputs, months: int) -> int:
        """First forecast month the levers apply to, checked against the horizon."""
        month = self.from_month
        if self.from_date is not None:
            try:
                when = pd.Period(self.from_date, freq="M")
            except (ValueError, TypeError) as err:
                raise ConfigError(
                    f"Scenario {self.name!r}: from_date={self.from_date!r} is not a month "
                    "(use e.g. '2021-04')"
                ) from err
            month = (when - pd.Period(inputs.start, freq="M")).n
        if not 1 <= month <= months:
            raise ConfigError(
                f"Scenario {self.name!r}: levers start at month {month}, outside the forecast "
                f"horizon 1..{months} (stock date {inputs.start})"
            )
        return month

    def active(self, inputs: CouncilInputs, months: int) -> np.ndarray:
        """Boolean by forecast month 1..months: do the levers apply?"""
        return np.arange(1, months + 1) >= self.start_month(inputs, months)

    # -- what the levers change -------------------------------------------------------------
    def drivers(self, inputs: CouncilInputs, months: int) -> Drivers:
        """The baseline drivers with this scenario's levers applied."""
        base = Drivers.constant(inputs.supply, months)
        on = self.active(inputs, months)
        months_on = np.cumsum(on) - 1  # 0 in the first month of the levers
        trend = np.where(
            on, (1.0 + self.entry_growth_per_year) ** (months_on / MONTHS_PER_YEAR), 1.0
        )

        def lever(baseline: np.ndarray, value: float | None) -> np.ndarray:
            return baseline if value is None else np.where(on, value, baseline)

        return Drivers(
            entry_multiplier=np.where(on, self.entry_multiplier, 1.0) * trend,
            approvals_per_year=base.approvals_per_year + on * self.extra_approvals_per_year,
            deregistration_rate_per_year=lever(
                base.deregistration_rate_per_year, self.deregistration_rate_per_year
            ),
            places_per_household=lever(base.places_per_household, self.places_per_household),
            lever_rates=self.lever_rates(inputs),
            lever_from_month=self.start_month(inputs, months),
        )

    def lever_rates(self, inputs: CouncilInputs) -> Rates | None:
        """The council's rates changed by step-down and foster-care-first, or ``None``."""
        if not self.residential_step_down_per_year and not self.foster_care_first:
            return None
        space = inputs.space
        ds = inputs.rates.data.copy(deep=True)
        cap = space.index(space.capacity_placement)
        move = ds["move_rate_per_year"].values
        if self.residential_step_down_per_year:
            move[:, :, space.index("residential"), cap] += self.residential_step_down_per_year
        if self.foster_care_first:
            si = space.index("semi_independent")
            move[:, :, :, cap] += move[:, :, :, si]
            move[:, :, :, si] = 0.0
            move[:, :, cap, cap] = 0.0  # in-house -> semi-independent becomes "stays in-house"
            share = ds["entry_placement_share"].values
            share[:, :, cap] += share[:, :, si]
            share[:, :, si] = 0.0
        return Rates.build(space, **{str(k): ds[k] for k in ds.data_vars})

    def priced_inputs(self, inputs: CouncilInputs) -> CouncilInputs:
        """The council's inputs with this scenario's inflation and budget overrides."""
        costs, budget = inputs.costs, inputs.budget
        if self.inflation_per_year:
            base = {p: costs.inflation(p) for p in inputs.space.placement_names}
            costs = replace(costs, inflation_per_year={**base, **self.inflation_per_year})
        if self.budget_gbp:
            budget = Budget({**budget.placement_budget_gbp, **self.budget_gbp})
        return replace(inputs, costs=costs, budget=budget)

    def own_home_beds_by_month(self, inputs: CouncilInputs, months: int) -> np.ndarray | None:
        """Beds in the council's own home by month 0..months, or ``None`` without a home."""
        if not self.own_home_beds:
            return None
        return np.concatenate([[0.0], self.active(inputs, months) * float(self.own_home_beds)])

    def extra_cost_by_year(
        self, inputs: CouncilInputs, data: xr.Dataset, financial_years: np.ndarray
    ) -> xr.DataArray:
        """Scenario costs outside placement fees, by financial year, GBP: recruitment of the
        extra households (expected number) and the running cost of an own children's home."""
        months = data.sizes["month"] - 1
        on = self.active(inputs, months)
        fy = data["financial_year"].values[1:]
        recruitment = on * self.extra_approvals_per_year / MONTHS_PER_YEAR
        recruitment = recruitment * self.cost_per_recruited_household_gbp
        days = pd.DatetimeIndex(data["date"].values[1:]).days_in_month.to_numpy()
        # The home's running cost inflates like residential placements.
        inflation = (1.0 + inputs.costs.inflation("residential")) ** (
            fy - inputs.costs.price_base_financial_year
        )
        home = on * self.own_home_beds * self.own_home_weekly_cost_per_bed_gbp * days / 7.0
        home = home * inflation
        cost = pd.Series(recruitment + home).groupby(fy).sum()
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
    progress: bool = False,
) -> Comparison:
    """Forecast the baseline and each scenario on common random numbers.

    With ``progress``, a progress bar on standard error counts the forecasts done.

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
    runs = tqdm([None, *scenarios], desc="forecasts", unit="scenario", disable=not progress)
    done = [forecast(inputs, scenario=s, **kwargs) for s in runs]  # type: ignore[arg-type]
    return Comparison(baseline=done[0], scenarios=done[1:])


@dataclass(frozen=True)
class ScenarioFile:
    """Scenarios read from a TOML file, with optional run settings.

    Attributes
    ----------
    scenarios
        The scenarios, in file order.
    months, paths, seed
        Run settings from the file's ``[run]`` table (``None`` where not given).
    """

    scenarios: list[Scenario]
    months: int | None = None
    paths: int | None = None
    seed: int | None = None


def load_scenarios(path: str | Path) -> ScenarioFile:
    """Read scenarios from a TOML file.

    The file holds an optional ``[run]`` table (``months``, ``paths``, ``seed``) and one
    ``[[scenario]]`` table per scenario with a ``name`` and any of the levers in :data:`LEVERS`,
    plus ``from_month`` or ``from_date``::

        [run]
        months = 60

        [[scenario]]
        name = "recruit 10 more households a year"
        extra_approvals_per_year = 10
        cost_per_recruited_household_gbp = 10000
        from_date = "2020-10"

    Raises
    ------
    InputError
        The file is missing or not valid TOML, or holds an unknown table, setting or lever; the
        message names the file and the offending key.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise InputError("scenario file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"not valid TOML: {err}", file=str(path)) from None
    unknown = sorted(set(raw) - {"run", "scenario"})
    if unknown:
        raise InputError(
            f"unknown table(s) {unknown}; expected [run] and [[scenario]]", file=str(path)
        )
    run = raw.get("run", {})
    bad = sorted(set(run) - {"months", "paths", "seed"})
    if bad:
        raise InputError(
            f"unknown [run] setting(s) {bad}; expected months, paths, seed", file=str(path)
        )
    for key, value in run.items():
        if not isinstance(value, int) or value < (0 if key == "seed" else 1):
            raise InputError(
                f"[run] {key} must be a positive whole number, got {value!r}",
                file=str(path),
                column=key,
            )
    tables = raw.get("scenario", [])
    if not isinstance(tables, list) or not tables:
        raise InputError("no [[scenario]] tables found", file=str(path))
    scenarios = [
        Scenario.from_dict(t, source=f"{path} [[scenario]] #{i + 1}") for i, t in enumerate(tables)
    ]
    return ScenarioFile(scenarios, run.get("months"), run.get("paths"), run.get("seed"))
