"""What-if levers: a :class:`Scenario` and what it changes in one run.

Each lever is a field of :class:`Scenario` whose metadata says how it is checked; the list of
levers, the checks and the TOML keys all come from those fields. :meth:`Scenario.apply` turns
the levers into one :class:`~placecast.forecasting.ScenarioEffects` for a horizon: drivers and
rate changes for the engine, cost and budget overrides, own-home beds and scenario costs for
pricing. To add a lever: add a field with ``_lever(...)`` here, use it in :meth:`Scenario.apply`,
and test it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_of, month_end_dates
from placecast.costs import Budget, CostSubtype
from placecast.engine import Drivers
from placecast.errors import ConfigError, InputError, is_number
from placecast.forecasting import ScenarioEffects, extra_cost_by_year
from placecast.inputs import CouncilInputs
from placecast.rates import Rates
from placecast.scenario.rate_changes import RateChange, apply_rate_changes
from placecast.states import MONTHS_PER_YEAR

__all__ = ["LEVERS", "Scenario", "lever_bounds"]

#: How a lever's value is checked (the ``check`` of its field metadata).
_CHECKS = (
    "non_negative",
    "whole",
    "growth",
    "flag",
    "by_placement",
    "by_financial_year",
    "rate_changes",
    "cost_subtypes",
)


def _lever(default: Any, check: str, most: float | None = None, why: str = "") -> Any:
    """A lever field: ``check`` is one of :data:`_CHECKS`; ``most`` its largest value and
    ``why`` that bound's reason (values beyond it overflow counts or exhaust memory)."""
    assert check in _CHECKS, check
    meta = {"lever": True, "check": check, "most": most, "why": why}
    return field(default=default, metadata=meta)


_COUNCIL = "far beyond any council's"
#: Terminal escape sequences (colours, cursor moves) in a name.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")


def lever_bounds() -> dict[str, tuple[float, str]]:
    """Each bounded lever's largest allowed value and why."""
    return {
        f.name: (f.metadata["most"], f.metadata["why"])
        for f in fields(Scenario)
        if f.metadata.get("most") is not None
    }


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
    step_down_cost_per_child_gbp
        One-off cost of the step-down programme for each child it moves (support, matching),
        in the price base year and inflating like residential: charged on each path's expected
        step-downs (the extra rate times its children in residential care each month).
    foster_care_first
        No new semi-independent placements for under-18s: entries and moves that would go to
        semi-independent accommodation go to in-house fostering (capacity permitting) instead.
    foster_care_first_weekly_cost_per_child_gbp
        What foster care first costs beyond the placements: an extra weekly amount for each
        child aged 16-17 in in-house fostering while the lever is on (an enhanced fee or support
        for the carers of older teenagers), in the price base year and inflating like in-house
        fostering.
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
    rate_changes
        Per-rate levers: :class:`~placecast.scenario.rate_changes.RateChange` items (or tables
        with the same keys, as in TOML), each multiplying or adding to entry, move or exit
        rates by age band and placement, applied in order; a change's programme cost a year is
        a scenario cost.

    Examples
    --------
    >>> Scenario("recruit 10 more a year", extra_approvals_per_year=10).name
    'recruit 10 more a year'
    """

    name: str
    from_month: int = 1
    from_date: str | None = None
    extra_approvals_per_year: float = _lever(
        0.0, "non_negative", 1_000, f"households a year, {_COUNCIL} recruitment"
    )
    deregistration_rate_per_year: float | None = _lever(
        None, "non_negative", 12, "a rate per household-year (12: every household in a month)"
    )
    places_per_household: float | None = _lever(None, "non_negative", 10, "places per household")
    cost_per_recruited_household_gbp: float = _lever(0.0, "non_negative", 1e7, "GBP a household")
    residential_step_down_per_year: float = _lever(
        0.0, "non_negative", 12, "a rate per child-year (12: every child in a month)"
    )
    step_down_cost_per_child_gbp: float = _lever(0.0, "non_negative", 1e7, "GBP a child")
    foster_care_first: bool = _lever(False, "flag")
    foster_care_first_weekly_cost_per_child_gbp: float = _lever(
        0.0, "non_negative", 1e6, "GBP a child a week"
    )
    own_home_beds: int = _lever(0, "whole", 1_000, f"beds, {_COUNCIL} residential care")
    own_home_weekly_cost_per_bed_gbp: float = _lever(0.0, "non_negative", 1e6, "GBP a bed a week")
    entry_multiplier: float = _lever(
        1.0, "non_negative", 10, "times the entries (1e6 needed 21.8 GB of memory)"
    )
    entry_growth_per_year: float = _lever(0.0, "growth", 1, "a share a year (1 = doubling)")
    inflation_per_year: Mapping[str, float] | None = _lever(None, "by_placement")
    budget_gbp: Mapping[int, float] | None = _lever(
        None, "by_financial_year", 1e10, f"GBP a year, {_COUNCIL} budget"
    )
    rate_changes: tuple[RateChange, ...] = _lever((), "rate_changes")
    cost_subtypes: tuple[CostSubtype, ...] = _lever((), "cost_subtypes")

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ConfigError(f"Scenario.name must be text, got {self.name!r}")
        # Control characters (ANSI colour codes, newlines) would reach terminals and reports
        # raw; surrounding spaces would make "s1" and "s1 " two scenarios.
        plain = _ANSI.sub("", self.name)
        clean = "".join(c for c in plain if c.isprintable()).strip()
        if not clean:
            raise ConfigError("Scenario.name must be a non-empty string")
        object.__setattr__(self, "name", clean)
        rate_example = '[{rate = "entries", multiply = 0.9, age_band = "10_15"}]'
        cost_example = (
            '[{name = "in_house", placement = "residential", share = 0.3, uplift = -0.1}]'
        )
        for lever, kind, what, example in (
            ("rate_changes", RateChange, "rate changes", rate_example),
            ("cost_subtypes", CostSubtype, "cost sub-types", cost_example),
        ):
            object.__setattr__(
                self, lever, self._items(lever, getattr(self, lever), kind, what, example)
            )
        for f in fields(self):
            if f.metadata.get("lever"):
                self._check(f.name, f.metadata["check"], getattr(self, f.name))
                self._bound(f.name, f.metadata, getattr(self, f.name))
        if isinstance(self.from_month, bool) or not isinstance(self.from_month, int | np.integer):
            raise ConfigError(
                f"Scenario {self.name!r}: from_month must be a whole number of months, "
                f"got {self.from_month!r}"
            )
        if self.from_month < 1:
            raise ConfigError(
                f"Scenario {self.name!r}: from_month must be >= 1, got {self.from_month}"
            )
        if self.from_date is not None and self.from_month != 1:
            raise ConfigError(f"Scenario {self.name!r}: give from_month or from_date, not both")
        if self.from_date is not None:
            object.__setattr__(self, "from_date", self._month_text(self.from_date))
        if self.own_home_beds and not self.own_home_weekly_cost_per_bed_gbp:
            # A home with no running cost "saved" £0.8m a year at P = 100% in the audit.
            raise ConfigError(
                f"Scenario {self.name!r}: own_home_beds={self.own_home_beds} needs "
                "own_home_weekly_cost_per_bed_gbp, the home's running cost per bed a week "
                "(staff, premises, overheads; e.g. 4000): without it the home would cost nothing"
            )

    def _items(self, lever: str, given: Any, kind: Any, what: str, example: str) -> tuple:
        """A list lever (``rate_changes``, ``cost_subtypes``) as a tuple of ``kind``: tables, as
        from TOML or a saved comparison, are built with ``kind.from_dict``, errors naming the
        scenario, the lever and the item."""
        if isinstance(given, Mapping | str) or not hasattr(given, "__iter__"):
            raise ConfigError(
                f"Scenario {self.name!r}: {lever} must be a list of {what}, e.g. {example}; got "
                + repr(given)
            )
        return tuple(
            c
            if isinstance(c, kind)
            else kind.from_dict(c, where=f"Scenario {self.name!r}: {lever}[{i}]")
            for i, c in enumerate(given)
        )

    def _month_text(self, when: Any) -> str:
        """``from_date`` as "YYYY-MM": text such as "2021-04" or "2021-04-01", or a date (a TOML
        date, ``datetime.date``); anything else is refused here, before any run."""
        if isinstance(when, str | datetime.date | pd.Period):
            try:
                return str(pd.Period(when, freq="M"))
            except (ValueError, TypeError):
                pass
        raise ConfigError(
            f"Scenario {self.name!r}: from_date={when!r} is not a month (use e.g. '2021-04')"
        )

    def _bound(self, lever: str, meta: Mapping[str, Any], value: Any) -> None:
        """Refuse a value beyond the lever's documented bound, naming both."""
        most = meta.get("most")
        values = list(value.values()) if isinstance(value, Mapping) else [value]
        if most is not None and any(v is not None and v > most for v in values):
            raise ConfigError(
                f"Scenario {self.name!r}: {lever} must be at most {most:,g} ({meta['why']}); "
                f"got {max(v for v in values if v is not None):,g}"
            )

    def _check(self, lever: str, check: str, value: Any) -> None:
        """Refuse a lever value its check does not allow, naming the scenario and the lever."""
        numeric = check in ("non_negative", "whole", "growth")
        if numeric and value is not None:
            if not is_number(value):
                raise ConfigError(
                    f"Scenario {self.name!r}: {lever} must be a number, got {value!r}"
                )
        if check in ("non_negative", "whole"):
            if value is not None and (not np.isfinite(value) or value < 0):
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be >= 0, got {value}")
            if check == "whole" and value != int(value):
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be a whole number")
        elif check == "growth":
            if not np.isfinite(value) or value <= -1:
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be > -1")
        elif check == "flag":
            if not isinstance(value, bool):
                raise ConfigError(f"Scenario {self.name!r}: {lever} must be true or false")
        elif check == "by_financial_year":
            for year, amount in (value or {}).items():
                if isinstance(amount, bool) or not np.isfinite(amount) or amount < 0:
                    raise ConfigError(f"Scenario {self.name!r}: {lever}[{year}] must be >= 0")
        elif check == "by_placement" and value is not None:
            # Which placements exist is checked against the council's by UnitCosts.
            example = "e.g. {ifa = 0.05, residential = 0.07}"
            if not isinstance(value, Mapping):
                raise ConfigError(
                    f"Scenario {self.name!r}: {lever} must be a table of placement = rate a "
                    f"year, {example}; got {value!r}"
                )
            for placement, rate in value.items():
                if not is_number(rate) or not -1 < rate <= 1:
                    raise ConfigError(
                        f"Scenario {self.name!r}: {lever}[{placement!r}] must be a rate a year "
                        f"above -1 and at most 1 (0.05 is 5%), {example}; got {rate!r}"
                    )

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, source: str = "scenario") -> Scenario:
        """Build from a mapping (e.g. a TOML table); unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(
                f"unknown lever(s) {unknown}; known levers: {', '.join(sorted(known))}",
                file=source,
            )
        if "name" not in values:
            raise InputError("every scenario needs a name", file=source)
        given = dict(values)
        for f in fields(cls):
            if f.metadata.get("check") == "by_financial_year" and f.name in given:
                try:
                    amounts = dict(given[f.name].items())
                    if any(isinstance(v, bool | str) for v in amounts.values()):
                        raise TypeError("amounts must be numbers")  # "1" or true is not £1
                    given[f.name] = {int(k): float(v) for k, v in amounts.items()}
                except (TypeError, ValueError, AttributeError) as err:
                    raise InputError(
                        f"{f.name} must be a table of financial year = amount, e.g. 2021 = 2.1e7",
                        file=source,
                        column=f.name,
                    ) from err
        try:
            return cls(**given)
        except TypeError as err:
            raise InputError(f"scenario {values.get('name')!r}: {err}", file=source) from err
        except ConfigError as err:  # a lever's value: say which file and table it is in
            raise ConfigError(f"{source}: {err}") from None

    # -- timing ------------------------------------------------------------------------------
    def start_month(self, inputs: CouncilInputs, months: int) -> int:
        """First forecast month the levers apply to, checked against the horizon."""
        month = self.from_month
        if self.from_date is not None:  # a month, checked when the scenario was made
            month = (pd.Period(self.from_date, freq="M") - pd.Period(inputs.start, freq="M")).n
        if not 1 <= month <= months:
            raise ConfigError(
                f"Scenario {self.name!r}: levers start at month {month}, outside the forecast "
                f"horizon 1..{months} (stock date {inputs.start})"
            )
        return month

    def validate(self, inputs: CouncilInputs, months: int) -> CouncilInputs:
        """Check the levers against a council and horizon before any run; returns the priced
        inputs (:meth:`priced_inputs`).

        Raises
        ------
        ConfigError
            The levers start outside the horizon, an inflation rate names a placement the
            council does not have, or a budget is given for a financial year the forecast does
            not reach (it would be ignored), or a rate change names an age band, placement or
            exit reason the council does not have or would make a rate invalid.
        """
        self.start_month(inputs, months)
        if self.rate_changes:
            apply_rate_changes(
                inputs.rates.data, inputs.space, self.rate_changes, scenario=self.name
            )
        priced = self.priced_inputs(inputs)
        if self.budget_gbp:
            covered = sorted(set(financial_year_of(month_end_dates(inputs.start, months)[1:])))
            outside = sorted(int(y) for y in self.budget_gbp if int(y) not in covered)
            if outside:
                raise ConfigError(
                    f"Scenario {self.name!r}: budget_gbp gives financial year(s) "
                    f"{', '.join(map(str, outside))}, which the forecast does not reach (it "
                    f"covers {covered[0]} to {covered[-1]}, by the year a financial year "
                    "starts: 2023 is 2023/24); drop them or use a longer horizon"
                )
        return priced

    # -- what the levers change -------------------------------------------------------------
    def apply(self, inputs: CouncilInputs, months: int) -> ScenarioEffects:
        """Everything this scenario changes in a run of ``months`` months, computed once."""
        from_month = self.start_month(inputs, months)
        on = np.arange(1, months + 1) >= from_month
        priced = self.validate(inputs, months)
        beds = None
        if self.own_home_beds:
            beds = np.concatenate([[0.0], on * float(self.own_home_beds)])
        return ScenarioEffects(
            name=self.name,
            inputs=priced,
            drivers=self._drivers(inputs, months, on, from_month),
            own_home_beds=beds,
            extra_cost_gbp=extra_cost_by_year(self._extra_cost_by_month(priced, on), inputs.start),
            cost_per_child_month_gbp=self._cost_per_child_month(priced, on),
        )

    def drivers(self, inputs: CouncilInputs, months: int) -> Drivers:
        """The baseline drivers with this scenario's levers applied."""
        return self.apply(inputs, months).drivers

    def _drivers(
        self, inputs: CouncilInputs, months: int, on: np.ndarray, from_month: int
    ) -> Drivers:
        base = Drivers.constant(inputs.supply, months)
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
            lever_from_month=from_month,
        )

    def lever_rates(self, inputs: CouncilInputs) -> Rates | None:
        """The council's rates changed by step-down, foster-care-first and the rate changes (in
        that order), or ``None`` if the scenario changes no rate."""
        if not (self.residential_step_down_per_year or self.foster_care_first or self.rate_changes):
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
        ds = apply_rate_changes(ds, space, self.rate_changes, scenario=self.name)
        return Rates.build(space, **{str(k): ds[k] for k in ds.data_vars})

    def priced_inputs(self, inputs: CouncilInputs) -> CouncilInputs:
        """The council's inputs with this scenario's inflation and budget overrides."""
        costs, budget = inputs.costs, inputs.budget
        if self.inflation_per_year:
            base = {p: costs.inflation(p) for p in inputs.space.placement_names}
            costs = replace(costs, inflation_per_year={**base, **self.inflation_per_year})
        if self.budget_gbp:
            budget = Budget({**budget.placement_budget_gbp, **self.budget_gbp})
        if self.cost_subtypes:
            merged = {(t.placement, t.name): t for t in costs.subtypes}
            merged.update({(t.placement, t.name): t for t in self.cost_subtypes})
            costs = replace(costs, subtypes=tuple(merged.values()))
        try:
            return replace(inputs, costs=costs, budget=budget)
        except ConfigError as err:  # e.g. inflation for a placement the council lacks
            raise ConfigError(f"Scenario {self.name!r}: {err}") from None

    def _cost_per_child_month(self, priced: CouncilInputs, on: np.ndarray) -> xr.DataArray | None:
        """Programme costs charged per child, by month, placement and age band: the step-down's
        cost per child times the chance a residential child steps down in the month (the
        lever's extra rate); foster care first's weekly cost for each 16-17-year-old in in-house
        fostering."""
        step_down = self.step_down_cost_per_child_gbp and self.residential_step_down_per_year
        first = self.foster_care_first and self.foster_care_first_weekly_cost_per_child_gbp
        if not (step_down or first):
            return None
        space = priced.space
        dates = month_end_dates(priced.start, on.size)[1:]
        fy = financial_year_of(dates)

        def inflated(placement: str) -> np.ndarray:  # (month,) price index from the base year
            return (1.0 + priced.costs.inflation(placement)) ** (
                fy - priced.costs.price_base_financial_year
            )

        cost = np.zeros((on.size, space.n_placements, len(space.age_band_labels)))
        if step_down:
            chance = -np.expm1(-self.residential_step_down_per_year / MONTHS_PER_YEAR)
            cost[:, space.index("residential"), :] = (
                on * self.step_down_cost_per_child_gbp * chance * inflated("residential")
            )[:, None]
        if first:
            cap = space.capacity_placement
            weeks = dates.days_in_month.to_numpy() / 7.0
            # The ages semi-independent accommodation takes (16-17 in the default space).
            from_age = space.placements[space.index("semi_independent")].min_age_years
            older = np.asarray(space.age_band_edges_years[:-1]) >= from_age
            weekly = on * self.foster_care_first_weekly_cost_per_child_gbp * weeks * inflated(cap)
            cost[:, space.index(cap), older] = weekly[:, None]
        return xr.DataArray(
            cost,
            dims=("month", "placement", "age_band"),
            coords={
                "placement": list(space.placement_names),
                "age_band": list(space.age_band_labels),
            },
        )

    def _extra_cost_by_month(self, priced: CouncilInputs, on: np.ndarray) -> np.ndarray:
        """Scenario costs outside placement fees by forecast month, GBP: recruitment of the
        extra households (expected number), the running cost of an own children's home and the
        rate changes' programme costs (cash, a twelfth of a year's each month)."""
        dates = month_end_dates(priced.start, on.size)[1:]
        fy = financial_year_of(dates)
        recruitment = on * self.extra_approvals_per_year / MONTHS_PER_YEAR
        recruitment = recruitment * self.cost_per_recruited_household_gbp
        days = dates.days_in_month.to_numpy()
        # The home's running cost inflates like residential placements.
        inflation = (1.0 + priced.costs.inflation("residential")) ** (
            fy - priced.costs.price_base_financial_year
        )
        home = on * self.own_home_beds * self.own_home_weekly_cost_per_bed_gbp * days / 7.0
        programmes = sum(c.programme_cost_per_year_gbp for c in self.rate_changes)
        return recruitment + home * inflation + on * programmes / MONTHS_PER_YEAR


#: Levers a scenario may set (the names accepted in TOML files and by :class:`Scenario`).
LEVERS = tuple(f.name for f in fields(Scenario) if f.metadata.get("lever"))
