"""The forecast of one council: the engine run on its inputs, priced against its budget.

:func:`forecast` runs the engine and prices the result; :class:`Forecast` holds the simulated
numbers and answers the questions a finance officer asks of them. A scenario reaches a forecast
as one :class:`ScenarioEffects` (what :meth:`placecast.Scenario.apply` returns): the drivers and
rate changes the engine takes, the cost and budget overrides and own-home beds pricing takes, and
the scenario's own costs. This module does not know what a scenario is made of.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_of, month_end_dates
from placecast.costs import STANDARD, placement_spend, spend_by_cost_type
from placecast.engine import Branch, Drivers, simulate_with_branches
from placecast.errors import ConfigError
from placecast.inputs import CouncilInputs, inputs_fingerprint
from placecast.summary import gbp_m, gbp_m_interval, interval_summary

__all__ = ["SEED", "Forecast", "ScenarioEffects", "SupportsApply", "forecast"]

#: The seed forecasts and comparisons use unless told otherwise, in Python and on the command
#: line alike, so the README's snippet and ``placecast forecast`` give the same numbers.
SEED = 1


@dataclass(frozen=True)
class ScenarioEffects:
    """Everything one run takes from a scenario, computed once for a horizon.

    Attributes
    ----------
    name
        The scenario's label (``"baseline"`` for none).
    inputs
        The council's inputs with the scenario's unit-cost inflation and budget overrides: what
        the forecast is priced on.
    drivers
        Month-by-month drivers of the engine, including any rate changes (``lever_rates``) and
        the month they start.
    own_home_beds
        Beds in a council-run children's home by month 0..months, or ``None``.
    extra_cost_gbp
        Scenario costs outside placement fees (recruitment, running an own home) by financial
        year, for every financial year the horizon touches, GBP.
    cost_per_child_month_gbp
        A programme's cost for each child in a placement and age band, by forecast month
        1..months, placement and age band (e.g. a residential step-down programme's cost per
        child stepped down, times the chance a residential child steps down that month), GBP;
        the forecast charges it on each path's children at the start of the month. ``None``: no
        such cost.
    """

    name: str
    inputs: CouncilInputs
    drivers: Drivers
    own_home_beds: np.ndarray | None
    extra_cost_gbp: xr.DataArray
    cost_per_child_month_gbp: xr.DataArray | None = None

    @classmethod
    def baseline(cls, inputs: CouncilInputs, months: int) -> ScenarioEffects:
        """No levers: constant drivers, no own home, no scenario costs."""
        drivers = Drivers.constant(inputs.supply, months)
        return cls(
            name="baseline",
            inputs=inputs,
            drivers=drivers,
            own_home_beds=None,
            extra_cost_gbp=extra_cost_by_year(np.zeros(months), inputs.start),
        )


class SupportsApply(Protocol):
    """What :func:`forecast` needs of a scenario: a name and ``apply``."""

    @property
    def name(self) -> str: ...

    def apply(self, inputs: CouncilInputs, months: int) -> ScenarioEffects: ...


def extra_cost_by_year(monthly_gbp: np.ndarray, start: str) -> xr.DataArray:
    """Scenario costs by forecast month 1..months summed by financial year, GBP."""
    dates = month_end_dates(start, len(monthly_gbp))
    fy = financial_year_of(dates)[1:]
    cost = pd.Series(np.asarray(monthly_gbp, dtype=float)).groupby(fy).sum()
    return xr.DataArray(
        cost.to_numpy(),
        dims="financial_year",
        coords={"financial_year": cost.index.to_numpy()},
        name="extra_cost_gbp",
    )


_T = TypeVar("_T")


@dataclass
class Forecast:
    """A simulated forecast: numbers by placement and their cost against budget.

    Attributes
    ----------
    scenario
        The scenario applied (``None`` = baseline).
    data
        The engine's output (see :func:`placecast.simulate`).
    spend
        Placement spend by (path, financial_year, placement), GBP, complete financial years only.
    effects
        What the scenario changed in this run (see :class:`ScenarioEffects`); its ``inputs``
        (the council's, with the scenario's cost and budget overrides) are :attr:`inputs`.
    branches
        The engine's state at the months asked for (:func:`forecast`, ``keep``), from which
        forecasts that differ only later carry on; empty unless asked for.
    """

    scenario: SupportsApply | None
    data: xr.Dataset
    spend: xr.DataArray
    effects: ScenarioEffects
    branches: dict[int, Branch] = field(default_factory=dict, repr=False, compare=False)
    # Summaries already made: a report asks for the same ones many times (its CSV, workbook,
    # HTML and console text), and a forecast's numbers never change once made.
    _made: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _once(self, key: Any, make: Callable[[], _T]) -> _T:
        if key not in self._made:
            self._made[key] = make()
        made = self._made[key]
        return cast(_T, made.copy() if isinstance(made, pd.DataFrame) else made)  # may be edited

    @property
    def inputs(self) -> CouncilInputs:
        """The council inputs the forecast was priced on (scenario overrides applied)."""
        return self.effects.inputs

    @property
    def name(self) -> str:
        return self.effects.name

    @property
    def extra_cost(self) -> xr.DataArray:
        """Scenario costs outside placements (e.g. recruitment), by financial year, GBP; by
        (path, financial_year) when a programme costs per child (each path's own children)."""
        return self._once("extra_cost", self._extra_cost)

    def _extra_cost(self) -> xr.DataArray:
        years = self.spend["financial_year"].values
        fixed = self.effects.extra_cost_gbp.reindex(financial_year=years, fill_value=0.0)
        per_child = self.effects.cost_per_child_month_gbp
        if per_child is None:
            return fixed
        at_start = self.data["children"].isel(month=slice(0, -1))  # each month's start
        children = at_start.transpose("path", "month", "placement", "age_band").values
        monthly = (children * per_child.values[None]).sum(axis=(2, 3))  # (path, month)
        fy = self.data["financial_year"].values[1:]
        by_year = pd.DataFrame(monthly).T.groupby(fy).sum().reindex(years, fill_value=0.0)
        programme = xr.DataArray(
            by_year.to_numpy().T,
            dims=("path", "financial_year"),
            coords={"path": self.data["path"].values, "financial_year": years},
        )
        return (fixed + programme).transpose("path", "financial_year").rename("extra_cost_gbp")

    @property
    def total_cost(self) -> xr.DataArray:
        """Placement spend plus scenario costs, by (path, financial_year), GBP."""
        return self._once(
            "total_cost",
            lambda: (self.spend.sum("placement") + self.extra_cost).rename("total_cost_gbp"),
        )

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
        if at not in ("march", "all"):
            raise ConfigError(f"children_summary(at=...) must be 'march' or 'all', got {at!r}")
        return self._once(("children_summary", at), lambda: self._children_summary(at))

    def _children_summary(self, at: str) -> pd.DataFrame:
        da = self.children_by_placement()
        total = da.sum("placement").expand_dims(placement=["total"])
        da = xr.concat([da, total], dim="placement")
        if at == "march":
            da = da.isel(month=np.flatnonzero(pd.DatetimeIndex(da["date"].values).month == 3))
        da = da.swap_dims(month="date").drop_vars(["month", "financial_year"], errors="ignore")
        return interval_summary(da)

    def sufficiency(self) -> pd.DataFrame:
        """Places needed by placement type and age band at each 31 March of the forecast, set
        against in-house foster supply: the table a sufficiency strategy needs.

        Rows (a tidy frame indexed by ``date``, ``item``, ``age_band``; ``kind`` says which):

        * ``need``: children in each placement type (one place each) by age band and for
          ``"all ages"``: in-house foster places, IFA places, residential beds, supported
          accommodation and the others, as the council's placement labels name them;
        * ``supply``: usable in-house foster places (approved carer households' places);
        * ``gap``: in-house places left after the children placed in-house (``unused in-house
          places``), and in-house places less every child in in-house fostering or the overflow
          placement (IFA), i.e. how far in-house supply is from covering all mainstream
          fostering (negative: a shortfall).

        Columns: mean, median and 50% / 90% intervals over paths (each path's own need, supply
        and gap, so a gap's interval is not the difference of two intervals).

        Examples
        --------
        >>> import placecast as pc
        >>> table = pc.forecast(pc.hackney_2020(), months=24, paths=20).sufficiency()
        >>> sorted(table["kind"].unique())
        ['gap', 'need', 'supply']
        """
        return self._once("sufficiency", self._sufficiency)

    def _sufficiency(self) -> pd.DataFrame:
        space = self.inputs.space
        march = np.flatnonzero(pd.DatetimeIndex(self.data["date"].values).month == 3)
        march = march[march > 0]  # forecast years (a forecast covers at least one), not the stock
        at = self.data.isel(month=march).swap_dims(month="date")
        children = at["children"].drop_vars(["month", "financial_year"], errors="ignore")
        labels = {p.name: p.label for p in space.placements}
        cap, overflow = space.capacity_placement, space.overflow_placement
        all_ages = children.sum("age_band").expand_dims(age_band=["all ages"])
        need = xr.concat([children, all_ages], dim="age_band")
        need = need.assign_coords(placement=[labels[p] for p in need["placement"].values])
        places = at["in_house_places"].drop_vars(["month", "financial_year"], errors="ignore")
        in_house = children.sel(placement=cap).sum("age_band")
        fostering = in_house + children.sel(placement=overflow).sum("age_band")
        cap_label, overflow_label = labels[cap].lower(), labels[overflow].lower()
        others = {
            ("supply", f"Usable {cap_label} places"): places,
            ("gap", f"Unused {cap_label} places"): places - in_house,
            ("gap", f"{labels[cap]} places less children in {cap_label} or {overflow_label}"): (
                places - fostering
            ),
        }
        frames = [
            interval_summary(need.rename(placement="item")).assign(kind="need").reset_index(),
            *(
                interval_summary(da.expand_dims(item=[item], age_band=["all ages"]))
                .assign(kind=kind)
                .reset_index()
                for (kind, item), da in others.items()
            ),
        ]
        table = pd.concat(frames, ignore_index=True)
        order = [*need["placement"].values, *(item for _, item in others)]
        bands = [*space.age_band_labels, "all ages"]
        table["item"] = pd.Categorical(table["item"], categories=order, ordered=True)
        table["age_band"] = pd.Categorical(table["age_band"], categories=bands, ordered=True)
        table = table.sort_values(["date", "item", "age_band"])
        table["item"] = table["item"].astype(str)
        table["age_band"] = table["age_band"].astype(str)
        index = ["date", "item", "age_band"]
        columns = ["kind", *(c for c in table.columns if c not in (*index, "kind"))]
        return table.set_index(index)[columns]

    def spend_summary(self) -> pd.DataFrame:
        """Spend by financial year and placement (plus scenario costs and total), with intervals."""
        return self._once("spend_summary", self._spend_summary)

    def _spend_summary(self) -> pd.DataFrame:
        spend = self.spend.reset_coords(drop=True)
        parts = {str(p): spend.sel(placement=p, drop=True) for p in spend["placement"].values}
        extra = self.extra_cost
        if float(np.abs(extra).sum()) > 0:
            parts["scenario_costs"] = extra.broadcast_like(parts[next(iter(parts))])
        parts["total"] = self.total_cost.reset_coords(drop=True)
        da = xr.concat(list(parts.values()), dim=pd.Index(list(parts), name="placement"))
        return interval_summary(da)

    def spend_by_cost_type(self) -> pd.DataFrame:
        """Spend by financial year, placement and cost type (the council's
        :class:`~placecast.CostSubtype` s; ``"standard"`` is the rest of each category), with
        intervals over paths. Only the rows of cost types a category has."""
        return self._once("spend_by_cost_type", self._spend_by_cost_type)

    def _spend_by_cost_type(self) -> pd.DataFrame:
        costs, space = self.inputs.costs, self.inputs.space
        split = spend_by_cost_type(self.spend, costs, space).reset_coords(drop=True)
        frame = interval_summary(split)
        mine = {(t.placement, t.name) for t in costs.subtypes}
        keep = [
            c == STANDARD or (p, c) in mine
            for p, c in zip(
                frame.index.get_level_values("placement"),
                frame.index.get_level_values("cost_type"),
                strict=True,
            )
        ]
        frame = frame.loc[keep]
        # Reading order: years, the council's placements, "standard" before the sub-types.
        order = {
            "placement": {p: i for i, p in enumerate(space.placement_names)},
            "cost_type": {c: i for i, c in enumerate(costs.cost_types(space))},
        }
        return frame.sort_index(
            key=lambda level: level.map(order[level.name]) if level.name in order else level
        )

    def summary(self) -> pd.DataFrame:
        """The table to read or paste: by financial year ("2022/23"), the cost and overspend in
        £m with their 90% intervals, the budget and the probability of overspending. Text, for
        people; the numbers are :meth:`overspend_summary` and :attr:`total_cost`.

        Examples
        --------
        >>> import placecast as pc
        >>> pc.forecast(pc.hackney_2020(), months=12, paths=10).summary().columns.tolist()[:2]
        ['cost', 'cost 90% interval']
        """
        cost = interval_summary(self.total_cost.reset_coords(drop=True))
        over = self.overspend_summary()
        return pd.DataFrame(
            {
                "cost": cost["mean"].map(gbp_m),
                "cost 90% interval": list(map(gbp_m_interval, cost["p05"], cost["p95"])),
                "budget": over["budget"].map(gbp_m),
                "overspend": over["mean"].map(gbp_m),
                "overspend 90% interval": list(map(gbp_m_interval, over["p05"], over["p95"])),
                "P(overspend)": over["probability_of_overspend"].map("{:.0%}".format),
            },
            index=cost.index,
        )

    def overspend_summary(self) -> pd.DataFrame:
        """Overspend by financial year: mean, median, intervals and probability of overspending."""
        return self._once("overspend_summary", self._overspend_summary)

    def _overspend_summary(self) -> pd.DataFrame:
        frame = interval_summary(self.overspend, probability_above_zero=True)
        frame = frame.rename(columns={"probability_above_zero": "probability_of_overspend"})
        years = self.overspend["financial_year"].values  # the frame's rows, in order
        frame.insert(0, "budget", self.inputs.budget.as_dataarray(years).to_numpy())
        return frame


def forecast(
    inputs: CouncilInputs,
    *,
    months: int = 60,
    paths: int = 2000,
    seed: int = SEED,
    scenario: SupportsApply | None = None,
    batch_paths: int = 500,
    workers: int | None = None,
    keep: Sequence[int] = (),
    branch: Branch | None = None,
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
        Random seed (default :data:`SEED`, as on the command line); the forecast is
        reproducible from (inputs, scenario, seed).
    scenario
        Levers to apply; ``None`` for the baseline.
    batch_paths, workers
        See :func:`placecast.simulate`.
    keep
        Months at whose end the engine's state is kept (:attr:`Forecast.branches`).
    branch
        A state kept by another forecast on the same seed and paths whose levers agree with
        this one's up to its month: the engine carries on from there (the same numbers as
        running whole; :func:`placecast.compare` does this for scenarios that start later).

    Examples
    --------
    >>> import placecast as pc
    >>> fc = pc.forecast(pc.hackney_2020(), months=24, paths=50, seed=1)
    >>> list(fc.overspend_summary().index)
    ['2020/21', '2021/22']
    """
    if months < 1:
        raise ConfigError(f"months must be >= 1, got {months}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        # The seed is saved with the results; the command line takes the same range.
        raise ConfigError(f"seed must be a whole number from 0 to {2**32 - 1:,}, got {seed!r}")
    council = inputs  # as given: the inputs a report cites (a scenario may change a copy)
    if scenario is None:
        effects = ScenarioEffects.baseline(inputs, months)
    else:
        effects = scenario.apply(inputs, months)
    inputs = effects.inputs
    # One seed feeds the engine and (separately) the per-child cost draws, so that scenarios run
    # on the same seed share both sets of random numbers.
    engine_seed, cost_seed = np.random.SeedSequence(seed).spawn(2)
    data, branches = simulate_with_branches(
        inputs.initial,
        inputs.rates,
        inputs.supply,
        keep,
        months=months,
        paths=paths,
        seed=engine_seed,
        start=inputs.start,
        drivers=effects.drivers,
        batch_paths=batch_paths,
        workers=workers,
        branch=branch,
    )
    data.attrs["seed"] = seed
    # The day of the run, kept with the results (a report written later cites the run's day).
    now = datetime.datetime.now(datetime.timezone.utc)
    data.attrs["run_date"] = now.date().isoformat()
    data.attrs["run_time"] = now.isoformat(timespec="seconds")
    data.attrs["inputs_sha256"] = inputs_fingerprint(council)
    spend = placement_spend(
        data, inputs.costs, inputs.space, seed=cost_seed, own_home_beds=effects.own_home_beds
    )
    if spend.sizes["financial_year"] == 0:
        raise ConfigError(
            f"the forecast covers no complete financial year (start {inputs.start}, "
            f"{months} months); use a longer horizon"
        )
    return Forecast(scenario=scenario, data=data, spend=spend, effects=effects, branches=branches)
