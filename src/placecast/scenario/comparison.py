"""A baseline and scenarios forecast on common random numbers, and what they save.

:func:`compare` forecasts the baseline and every scenario on the same seed, so all of them see
the same rate draws, the same entries and the same carer supply noise. Differences between them
are then driven by the levers, not by chance, and the intervals on savings are much tighter than
the intervals on either forecast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from placecast.calendar import financial_year_label, financial_year_of, month_end_dates
from placecast.engine.size import run_size
from placecast.errors import ConfigError
from placecast.forecasting import SEED, Forecast, ScenarioEffects, forecast
from placecast.inputs import CouncilInputs
from placecast.scenario.levers import Scenario
from placecast.summary import gbp_m, gbp_m_interval, interval_summary

__all__ = ["Comparison", "compare"]


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
        """Savings per scenario and financial year, with intervals and P(saving > 0).

        ``levers`` says ``"not started"`` for financial years before a scenario's levers start
        (its saving is then exactly 0 on common random numbers, which is not "certain not to
        save"), ``"no effect yet"`` from then until the first year in which any path's cost
        differs from the baseline's (cost-type shares that begin in a later year, or a lever
        whose effect has not reached a placement yet), and ``"on"`` from that year.
        """
        savings = self.savings()
        frame = interval_summary(savings, probability_above_zero=True)
        frame = frame.rename(columns={"probability_above_zero": "probability_of_saving"})
        # Half a penny: costs the same to rounding are the same.
        moved = (abs(savings) >= 0.005).any("path").cumsum("financial_year") > 0
        labels = {}
        for fc in self.scenarios:
            dates = month_end_dates(fc.inputs.start, fc.data.sizes["month"] - 1)
            month = min(int(fc.effects.drivers.lever_from_month), len(dates) - 1)
            start = int(financial_year_of(dates[month : month + 1])[0])
            for fy in moved["financial_year"].values:
                if fy < start:
                    label = "not started"
                elif not bool(moved.sel(scenario=fc.name, financial_year=fy)):
                    label = "no effect yet"
                else:
                    label = "on"
                labels[fc.name, financial_year_label(int(fy))] = label
        frame.insert(0, "levers", [labels[row] for row in frame.index])
        return frame

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
                        "financial_year": financial_year_label(int(fy)),
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

    def summary(self) -> pd.DataFrame:
        """The table to read or paste: by scenario and financial year ("2022/23"), the cost,
        overspend and (for scenarios) saving in £m with their 90% intervals, the budget, and
        the probabilities of overspending and of saving. Text, for people; the numbers behind
        it are :meth:`savings_summary` and each forecast's :meth:`~Forecast.overspend_summary`.

        Examples
        --------
        >>> import placecast as pc
        >>> cmp = compare(pc.hackney_2020(), [Scenario("more", extra_approvals_per_year=10)],
        ...               months=24, paths=20)
        >>> cmp.summary().loc[("more", "2021/22"), "P(saves money)"].endswith("%")
        True
        """
        frames = {fc.name: fc.summary() for fc in self.forecasts}
        table = pd.concat(frames, names=["scenario"]).reset_index()
        if self.scenarios:
            sav = self.savings_summary().reset_index()
            on = sav["levers"] == "on"
            saving = pd.DataFrame(
                {
                    "scenario": sav["scenario"],
                    "financial_year": sav["financial_year"],
                    "saving": sav["mean"].map(gbp_m).where(on, sav["levers"]),
                    "saving 90% interval": pd.Series(
                        list(map(gbp_m_interval, sav["p05"], sav["p95"]))
                    ).where(on, sav["levers"]),
                    "P(saves money)": sav["probability_of_saving"]
                    .map("{:.0%}".format)
                    .where(on, sav["levers"]),
                }
            )
            table = table.merge(saving, on=["scenario", "financial_year"], how="left")
            table = table.fillna("")  # the baseline saves nothing against itself
        return table.set_index(["scenario", "financial_year"])

    def break_even(self) -> pd.DataFrame:
        """Cumulative scenario spend (e.g. recruitment) against cumulative placement savings."""
        rows = []
        base = self.baseline.spend.sum("placement")
        for fc in self.scenarios:
            placement_saving = (
                (base - fc.spend.sum("placement")).mean("path").cumsum("financial_year")
            )
            extra = fc.extra_cost
            scenario_cost = (extra.mean("path") if "path" in extra.dims else extra).cumsum(
                "financial_year"
            )
            for fy in placement_saving["financial_year"].values:
                saved = float(placement_saving.sel(financial_year=fy))
                spent = float(scenario_cost.sel(financial_year=fy))
                rows.append(
                    {
                        "scenario": fc.name,
                        "financial_year": financial_year_label(int(fy)),
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
    seed: int = SEED,
    batch_paths: int = 500,
    workers: int | None = None,
    progress: bool = False,
) -> Comparison:
    """Forecast the baseline and each scenario on common random numbers.

    A scenario's run is the baseline's until its levers start (every random number is keyed
    by seed, month, path and cell), so the baseline keeps its state at each scenario's start
    and the scenario's engine runs only the months after it: the same numbers as running it
    whole, for less (a scenario starting a year in runs four-fifths of a 60-month forecast).

    With ``progress``, a progress bar on standard error counts the forecasts done, when standard
    error is a terminal (logs and CI output stay free of it).

    Raises
    ------
    ConfigError
        Scenario names repeat or clash with the baseline, or the comparison would need more
        memory than the machine has or more than :data:`placecast.engine.MAX_MONTHS` months
        (:func:`placecast.engine.run_size`, checked before any forecast runs).

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
    for scenario in scenarios:  # every scenario's levers, before the first forecast runs
        scenario.validate(inputs, months)
    # Every forecast is kept, so the whole comparison must fit in memory, not one forecast.
    children = float(inputs.initial.counts.sum())
    run_size(
        inputs.space, paths=paths, months=months, runs=len(names) + 1, children=children
    ).check()
    kwargs = dict(months=months, paths=paths, seed=seed, batch_paths=batch_paths, workers=workers)
    # A scenario's run is the baseline's until its levers start (common random numbers): the
    # baseline keeps its state there and the scenario's engine carries on from it.
    shared = {s.name: min(_shared_months(inputs, s, months), months - 1) for s in scenarios}
    keep = sorted({m for m in shared.values() if m >= 1})
    # With progress, a bar on a terminal only (None: tqdm stays quiet when stderr is a file).
    with tqdm(
        total=len(scenarios) + 1,
        desc="forecasts",
        unit="scenario",
        disable=None if progress else True,
    ) as bar:
        base = forecast(inputs, keep=keep, **kwargs)  # type: ignore[arg-type]
        bar.update()
        done = []
        for scenario in scenarios:
            branch = base.branches.get(shared[scenario.name])
            done.append(forecast(inputs, scenario=scenario, branch=branch, **kwargs))  # type: ignore[arg-type]
            bar.update()
    base.branches.clear()  # every path's state by age month: not kept past the comparison
    return Comparison(baseline=base, scenarios=done)


def _shared_months(inputs: CouncilInputs, scenario: Scenario, months: int) -> int:
    """How many months from the start a scenario's engine run shares with the baseline's: up
    to its levers' start, unless it changes the starting stock, rates or carer supply."""
    effects = scenario.apply(inputs, months)
    mine = effects.inputs
    if mine.initial is not inputs.initial or mine.rates is not inputs.rates:
        return 0
    if mine.supply != inputs.supply:
        return 0
    return effects.drivers.shared_months(ScenarioEffects.baseline(inputs, months).drivers)
