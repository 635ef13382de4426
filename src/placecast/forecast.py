"""One council's inputs and the forecast built from them.

``CouncilInputs`` bundles what the model needs (stock, rates, carer supply, unit costs, budget);
:func:`forecast` runs the engine and prices the result; :class:`Forecast` holds the simulated
numbers and answers the questions a finance officer asks of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from placecast.costs import Budget, UnitCosts, interval_summary, placement_spend
from placecast.errors import ConfigError
from placecast.rates import Rates
from placecast.simulate import Drivers, InitialStock, simulate
from placecast.states import StateSpace
from placecast.supply import CarerSupply

if TYPE_CHECKING:
    from placecast.scenario import Scenario


@dataclass(frozen=True)
class CouncilInputs:
    """Everything placecast needs about one council.

    Parameters
    ----------
    name
        Council (and calibration) name, shown in reports.
    space, initial, rates, supply, costs, budget
        State space, starting stock, rates, foster-carer supply, unit costs and budget.
    start
        Month of the starting stock (``"2020-03"`` = 31 March 2020).
    sources
        Where the numbers came from, cited in reports.
    """

    name: str
    space: StateSpace
    initial: InitialStock
    rates: Rates
    supply: CarerSupply
    costs: UnitCosts
    budget: Budget
    start: str = "2020-03"
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.initial.space != self.space or self.rates.space != self.space:
            raise ConfigError("CouncilInputs: stock, rates and space must share one StateSpace")
        self.costs.validate(self.space)

    def with_rates(self, rates: Rates) -> CouncilInputs:
        """The same inputs with other rates (e.g. posterior draws from a fit)."""
        return replace(self, rates=rates)


@dataclass
class Forecast:
    """A simulated forecast: numbers by placement and their cost against budget.

    Attributes
    ----------
    inputs
        The council inputs the forecast was run on (with the scenario's cost and budget
        overrides applied).
    scenario
        The scenario applied (``None`` = baseline).
    data
        The engine's output (see :func:`placecast.simulate.simulate`).
    spend
        Placement spend by (path, financial_year, placement), GBP, complete financial years only.
    """

    inputs: CouncilInputs
    scenario: Scenario | None
    data: xr.Dataset
    spend: xr.DataArray

    @property
    def name(self) -> str:
        return "baseline" if self.scenario is None else self.scenario.name

    @property
    def extra_cost(self) -> xr.DataArray:
        """Scenario costs outside placements (e.g. recruitment), by financial year, GBP."""
        years = self.spend["financial_year"].values
        if self.scenario is None:
            return xr.DataArray(
                np.zeros(len(years)),
                dims="financial_year",
                coords={"financial_year": years},
                name="extra_cost_gbp",
            )
        return self.scenario.extra_cost_by_year(self.inputs, self.data, years)

    @property
    def total_cost(self) -> xr.DataArray:
        """Placement spend plus scenario costs, by (path, financial_year), GBP."""
        return (self.spend.sum("placement") + self.extra_cost).rename("total_cost_gbp")

    @property
    def overspend(self) -> xr.DataArray:
        """Total cost minus budget, by (path, financial_year), GBP."""
        budget = self.inputs.budget
        total = self.total_cost
        return (total - budget.as_dataarray(total["financial_year"].values)).rename("overspend_gbp")

    def children_by_placement(self) -> xr.DataArray:
        """Children in care by (path, month, placement)."""
        return self.data["children"].sum("age_band")

    def children_summary(self, at: str = "march") -> pd.DataFrame:
        """Children by placement at each 31 March (``at="march"``) or every month (``"all"``).

        Returns a tidy frame indexed by (date, placement) with mean, median and 50%/90% intervals.
        """
        da = self.children_by_placement()
        total = da.sum("placement").expand_dims(placement=["total"])
        da = xr.concat([da, total], dim="placement")
        if at == "march":
            da = da.isel(month=np.flatnonzero(pd.DatetimeIndex(da["date"].values).month == 3))
        elif at != "all":
            raise ConfigError(f"children_summary(at=...) must be 'march' or 'all', got {at!r}")
        da = da.swap_dims(month="date").drop_vars(["month", "financial_year"], errors="ignore")
        return interval_summary(da)

    def spend_summary(self) -> pd.DataFrame:
        """Spend by financial year and placement (plus scenario costs and total), with intervals."""
        spend = self.spend.reset_coords(drop=True)
        parts = {str(p): spend.sel(placement=p, drop=True) for p in spend["placement"].values}
        extra = self.extra_cost
        if float(np.abs(extra).sum()) > 0:
            parts["scenario_costs"] = extra.broadcast_like(parts[next(iter(parts))])
        parts["total"] = self.total_cost.reset_coords(drop=True)
        da = xr.concat(list(parts.values()), dim=pd.Index(list(parts), name="placement"))
        return interval_summary(da)

    def overspend_summary(self) -> pd.DataFrame:
        """Overspend by financial year: mean, median, intervals and probability of overspending."""
        frame = interval_summary(self.overspend, probability_above_zero=True)
        frame = frame.rename(columns={"probability_above_zero": "probability_of_overspend"})
        budget = self.inputs.budget.as_dataarray(frame.index.values).to_series()
        frame.insert(0, "budget", budget.reindex(frame.index).to_numpy())
        return frame


def forecast(
    inputs: CouncilInputs,
    *,
    months: int = 60,
    paths: int = 2000,
    seed: int = 0,
    scenario: Scenario | None = None,
    batch_paths: int = 500,
    workers: int | None = None,
) -> Forecast:
    """Forecast children in care and placement spend for one council.

    Parameters
    ----------
    inputs
        The council (e.g. :func:`placecast.hackney_2020`).
    months
        Horizon in months from the stock date.
    paths
        Simulated paths (more paths = smoother intervals).
    seed
        Random seed; the forecast is reproducible from (inputs, scenario, seed).
    scenario
        Levers to apply; ``None`` for the baseline.
    batch_paths, workers
        See :func:`placecast.simulate.simulate`.

    Examples
    --------
    >>> import placecast as pc
    >>> fc = pc.forecast(pc.hackney_2020(), months=24, paths=50, seed=1)
    >>> list(fc.overspend_summary().index)
    [2020, 2021]
    """
    if scenario is None:
        drivers, beds = Drivers.constant(inputs.supply, months), None
    else:
        drivers = scenario.drivers(inputs, months)
        beds = scenario.own_home_beds_by_month(inputs, months)
        inputs = scenario.priced_inputs(inputs)
    # One seed feeds the engine and (separately) the per-child cost draws, so that scenarios run
    # on the same seed share both sets of random numbers.
    engine_seed, cost_seed = np.random.SeedSequence(seed).spawn(2)
    data = simulate(
        inputs.initial,
        inputs.rates,
        inputs.supply,
        months=months,
        paths=paths,
        seed=engine_seed,
        start=inputs.start,
        drivers=drivers,
        batch_paths=batch_paths,
        workers=workers,
    )
    data.attrs["seed"] = seed
    spend = placement_spend(data, inputs.costs, inputs.space, seed=cost_seed, own_home_beds=beds)
    if spend.sizes["financial_year"] == 0:
        raise ConfigError(
            f"the forecast covers no complete financial year (start {inputs.start}, "
            f"{months} months); use a longer horizon"
        )
    return Forecast(inputs=inputs, scenario=scenario, data=data, spend=spend)


__all__ = ["CouncilInputs", "Forecast", "forecast"]


def placeholder_inputs(
    name: str,
    initial: InitialStock,
    rates: Rates,
    *,
    start: str,
    sources: tuple[str, ...] = (),
    years: int = 6,
) -> CouncilInputs:
    """Inputs for a fitted council whose carer supply, unit costs and budget are not known yet.

    Placeholders, to be replaced with the council's own figures (edit ``inputs.json``):

    * carer supply sized to the starting in-house stock: as many households as the children in
      in-house fostering need at the default places per household and unusable share, the
      national 13% a year leaving and as many approvals as leave (a steady state);
    * the default (Hackney 2019/20) unit costs and inflation;
    * a budget equal to the starting stock's run-rate at those costs, rising with inflation
      (a budget that keeps pace with prices, not with demand).
    """
    from placecast.data.hackney import COSTS, SUPPLY

    space = initial.space
    in_house = float(initial.by_band().loc[[space.capacity_placement]].to_numpy().sum())
    usable = SUPPLY.places_per_household * (1.0 - SUPPLY.unusable_place_share)
    households = max(in_house / usable, 1.0)
    supply = CarerSupply(
        households=households,
        places_per_household=SUPPLY.places_per_household,
        approvals_per_year=0.13 * households,
        deregistration_rate_per_year=0.13,
        unusable_place_share=SUPPLY.unusable_place_share,
    )
    first = pd.Period(start, freq="M") + 1  # first forecast month; financial years from April
    first_fy = first.year if first.month >= 4 else first.year - 1
    fys = np.arange(first_fy, first_fy + years)
    weekly = COSTS.weekly_cost(space, fys)  # (financial_year, placement)
    stock = initial.by_band().sum(axis=1).to_numpy(dtype=float)
    run_rate = (weekly * stock[None, :]).sum("placement") * 365.25 / 7
    budget = Budget({int(y): float(v) for y, v in zip(fys, run_rate.values, strict=True)})
    return CouncilInputs(
        name=name,
        space=space,
        initial=initial,
        rates=rates,
        supply=supply,
        costs=COSTS,
        budget=budget,
        start=start,
        sources=sources,
    )
