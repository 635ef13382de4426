"""Unit costs, inflation, financial years, budget and overspend.

Spend in a month is child-weeks in placement x weekly unit cost. Child-weeks are counted with the
trapezoid rule on the month-end stocks (the average of the stocks at the start and the end of the
month, times the days in the month / 7), so a child who arrives mid-month costs about half a month.
Unit costs are in the prices of ``price_base_financial_year`` and inflate once per financial year
(1 April - 31 March; year 2020 means 2020/21).

Heavy-tailed costs (residential: bespoke packages of 10,000+ GBP a week) are optional: with a
coefficient of variation ``cv`` for the weekly cost of one child, the year's spend on ``k``
child-years is drawn as a gamma variable with mean ``k x mean cost`` and variance
``k x (cv x mean cost)^2``, i.e. the sum of ``k`` independent child-years. It is drawn by inversion
from a uniform that is common to all scenarios on the same seed, so scenario differences stay tight.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from placecast.errors import ConfigError, is_number
from placecast.states import StateSpace

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 365.25 / 7.0


#: What each UnitCosts mapping holds, for messages.
_EXPECTED = {
    "weekly_cost_gbp": "pounds a week, e.g. 1050, without a £ sign or commas",
    "inflation_per_year": "a rate a year, e.g. 0.03 for 3%",
    "cost_cv": "a coefficient of variation, e.g. 0.5",
}


@dataclass(frozen=True)
class UnitCosts:
    """Weekly unit cost of one placement in each category.

    Parameters
    ----------
    weekly_cost_gbp
        Average weekly cost per child, by placement category, in prices of the base year.
    price_base_financial_year
        Financial year of the prices (2019 = 2019/20).
    inflation_per_year
        Yearly increase in unit costs, one number for all categories or one per category.
    cost_cv
        Coefficient of variation of one child's weekly cost, by category (0 or missing = every
        child costs the average). Used for residential's heavy tail.

    Examples
    --------
    >>> from placecast.states import StateSpace
    >>> c = UnitCosts({"in_house_fostering": 453, "friends_family_fostering": 453, "ifa": 927,
    ...                "residential": 3575, "semi_independent": 1208, "other": 0},
    ...               price_base_financial_year=2019, inflation_per_year=0.03)
    >>> round(float(c.weekly_cost(StateSpace(), [2020]).sel(placement="ifa")[0]), 2)
    954.81
    """

    weekly_cost_gbp: Mapping[str, float]
    price_base_financial_year: int = 2019
    inflation_per_year: float | Mapping[str, float] = 0.0
    cost_cv: Mapping[str, float] = field(default_factory=dict)

    def validate(self, space: StateSpace) -> None:
        """Check that every category has a cost and every number is sensible."""
        names = set(space.placement_names)
        missing = names - set(self.weekly_cost_gbp)
        if missing:
            raise ConfigError(f"UnitCosts.weekly_cost_gbp: no cost for {sorted(missing)}")
        inflation = (
            self.inflation_per_year
            if isinstance(self.inflation_per_year, Mapping)
            else dict.fromkeys(names, self.inflation_per_year)
        )
        for field_name, mapping in (
            ("weekly_cost_gbp", self.weekly_cost_gbp),
            ("inflation_per_year", inflation),
            ("cost_cv", self.cost_cv),
        ):
            unknown = set(mapping) - names
            if unknown:
                raise ConfigError(
                    f"UnitCosts.{field_name}: unknown placements {sorted(unknown)}; "
                    f"known: {space.placement_names}"
                )
            for name, value in mapping.items():
                low = -1.0 if field_name == "inflation_per_year" else 0.0
                if not is_number(value):
                    raise ConfigError(
                        f"UnitCosts.{field_name}[{name!r}] must be a number "
                        f"({_EXPECTED[field_name]}); got {value!r}"
                    )
                if not np.isfinite(value) or value < low or (low < 0 and value <= low):
                    raise ConfigError(f"UnitCosts.{field_name}[{name!r}] = {value} is not valid")
        if isinstance(self.inflation_per_year, Mapping):
            no_rate = sorted(names - set(self.inflation_per_year))
            if no_rate:  # they used to get 0% a year without a word
                raise ConfigError(
                    f"UnitCosts.inflation_per_year: no rate for {no_rate}; give every placement "
                    "a rate a year (0 holds its prices) or one rate for all"
                )
        year = self.price_base_financial_year
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise ConfigError(
                "UnitCosts.price_base_financial_year must be a whole year, the year the prices' "
                f"financial year starts (2022 = 2022/23); got {year!r}"
            )

    def inflation(self, placement: str) -> float:
        if isinstance(self.inflation_per_year, Mapping):
            return float(self.inflation_per_year.get(placement, 0.0))
        return float(self.inflation_per_year)

    def weekly_cost(self, space: StateSpace, financial_years: object) -> xr.DataArray:
        """Weekly cost per child by (financial_year, placement), inflated from the base year."""
        self.validate(space)
        years = np.asarray(financial_years, dtype=int)
        base = np.array([self.weekly_cost_gbp[p] for p in space.placement_names], dtype=float)
        growth = np.array([1.0 + self.inflation(p) for p in space.placement_names])
        factor = growth[None, :] ** (years[:, None] - self.price_base_financial_year)
        return xr.DataArray(
            base[None, :] * factor,
            dims=("financial_year", "placement"),
            coords={"financial_year": years, "placement": list(space.placement_names)},
            name="weekly_cost_gbp",
        )


@dataclass(frozen=True)
class Budget:
    """Placement budget per financial year.

    Parameters
    ----------
    placement_budget_gbp
        Budget in GBP by financial year (2020 = 2020/21).
    """

    placement_budget_gbp: Mapping[int, float]

    def __post_init__(self) -> None:
        if not isinstance(self.placement_budget_gbp, Mapping):
            raise ConfigError(
                "Budget.placement_budget_gbp must map financial years to pounds, e.g. "
                f"{{2022: 19_200_000}}; got {self.placement_budget_gbp!r:.80}"
            )
        for year, value in self.placement_budget_gbp.items():
            if not is_number(value):
                raise ConfigError(
                    f"Budget.placement_budget_gbp[{year}] must be a number of pounds, e.g. "
                    f"19200000, without a £ sign or commas; got {value!r}"
                )
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"Budget.placement_budget_gbp[{year}] = {value} must be >= 0")

    def as_dataarray(self, financial_years: object) -> xr.DataArray:
        """Budget by financial year; a year with no budget raises a clear error."""
        years = [int(y) for y in np.asarray(financial_years)]
        missing = [y for y in years if y not in self.placement_budget_gbp]
        if missing:
            raise ConfigError(
                f"Budget: no placement budget for financial years {missing}; "
                f"budgets given for {sorted(self.placement_budget_gbp)}"
            )
        return xr.DataArray(
            [float(self.placement_budget_gbp[y]) for y in years],
            dims="financial_year",
            coords={"financial_year": years},
            name="placement_budget_gbp",
        )


def child_weeks(ds: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Child-weeks in placement during each month (month 0 = 0), by path and placement."""
    children = ds["children"] if isinstance(ds, xr.Dataset) else ds
    by_placement = children.sum("age_band")
    mean_stock = (by_placement + by_placement.shift(month=1)) / 2.0
    days = xr.DataArray(
        pd.DatetimeIndex(children["date"].values).days_in_month.to_numpy(), dims="month"
    )
    weeks = (mean_stock * days / DAYS_PER_WEEK).fillna(0.0)
    return weeks.rename("child_weeks")


def months_in_financial_year(ds: xr.Dataset) -> pd.Series:
    """How many forecast months (excluding month 0) fall in each financial year."""
    fy = ds["financial_year"].values[1:]
    return pd.Series(fy).value_counts().sort_index().rename("months")


def placement_spend(
    ds: xr.Dataset,
    costs: UnitCosts,
    space: StateSpace,
    *,
    seed: int | np.random.SeedSequence | None = None,
    complete_years_only: bool = True,
    own_home_beds: np.ndarray | None = None,
) -> xr.DataArray:
    """Spend on placements by (path, financial_year, placement), in GBP.

    Parameters
    ----------
    ds
        Output of :func:`placecast.simulate`.
    costs
        Unit costs.
    space
        The state space of ``ds``.
    seed
        Seed for per-child cost variation (only used for categories with ``cost_cv``).
        ``None`` uses average costs throughout.
    complete_years_only
        Drop financial years the forecast covers only in part.
    own_home_beds
        Beds in the council's own children's home by month (length ``months + 1``). Children
        in residential care fill them first and cost no external fee there (the home's running
        cost is a scenario cost, see :class:`placecast.Scenario`).
    """
    weeks = child_weeks(ds)
    if own_home_beds is not None:
        i = space.index("residential")
        days = pd.DatetimeIndex(ds["date"].values).days_in_month.to_numpy()
        res = weeks.isel(placement=i)
        at_home = np.minimum(res, xr.DataArray(own_home_beds * days / DAYS_PER_WEEK, dims="month"))
        weeks = weeks.copy()
        weeks[{"placement": i}] = res - at_home
    fy = ds["financial_year"]
    weekly = costs.weekly_cost(space, np.unique(fy.values))
    spend_month = weeks * weekly.sel(financial_year=fy).drop_vars("financial_year")
    order = ("path", "financial_year", "placement")
    spend = (
        spend_month.isel(month=slice(1, None))
        .groupby("financial_year")
        .sum("month")
        .transpose(*order)
    )
    if seed is not None and costs.cost_cv:
        years_weeks = (
            weeks.isel(month=slice(1, None))
            .groupby("financial_year")
            .sum("month")
            .transpose(*order)
        )
        import scipy.stats  # here, not at import: it is half of placecast's start-up

        rng = np.random.default_rng(seed)
        u = rng.random(years_weeks.shape)
        for name, cv in costs.cost_cv.items():
            if cv <= 0:
                continue
            i = space.index(name)
            k = years_weeks.isel(placement=i).values / WEEKS_PER_YEAR  # child-years
            mean = spend.isel(placement=i).values
            drawn = np.zeros_like(mean)
            pos = k > 0
            # Sum of k child-years with mean m/k and CV cv: gamma(shape k/cv^2, scale (m/k) cv^2).
            drawn[pos] = (
                scipy.stats.gamma.ppf(u[..., i][pos], k[pos] / cv**2) * (mean[pos] / k[pos]) * cv**2
            )
            spend.values[..., i] = drawn
    if complete_years_only:
        months = months_in_financial_year(ds)
        spend = spend.sel(financial_year=[y for y, m in months.items() if m == 12])
    spend = spend.rename("placement_spend_gbp")
    spend.attrs = {"units": "GBP", "description": "placement spend by financial year"}
    return spend
