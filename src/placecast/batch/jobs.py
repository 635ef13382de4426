"""The per-council jobs a batch runs: fit, forecast, compare and a backtest.

Each job is a small frozen dataclass of its settings. On the client, :meth:`shared` makes
what every council needs (the published tables, England's priors), which the runner sends to
each worker once; on a worker, :meth:`run` does one council and writes its files into a local
folder, which the runner brings back and stores under the batch folder.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np
import pandas as pd
import xarray as xr

from placecast.errors import ConfigError, InputError
from placecast.evaluation.settings import BacktestSettings
from placecast.fit.settings import AggregateSettings
from placecast.inputs import load_inputs
from placecast.results import scenario_to_dict
from placecast.scenario import Scenario, compare
from placecast.summary import interval_summary

__all__ = ["PATHS_FILE", "BacktestJob", "CompareJob", "CouncilJob", "FitJob", "ForecastJob"]

#: Each forecasting council's per-path yearly numbers, summed path by path for regions.
PATHS_FILE = "paths.nc"


class CouncilJob(Protocol):
    """What the runner needs of a job."""

    kind: ClassVar[str]

    def settings(self) -> dict[str, Any]:
        """The job's settings as plain values (stored with the batch; a resumed run must match)."""

    def shared(self, codes: Sequence[str]) -> dict[str, Any]:
        """What every council's task needs, made once on the client and sent once to workers."""

    def run(self, code: str, shared: Mapping[str, Any], seed: int, out: Path) -> dict[str, Any]:
        """Do one council, writing its files into ``out``; return a row for the batch's table."""


def _published(shared: Mapping[str, Any], code: str) -> Any:
    from placecast.data.dfe import published_counts

    return published_counts(shared["tidy"], code)


@dataclass(frozen=True)
class FitJob:
    """Fit each council to DfE's published tables (as ``placecast fit-published``).

    Every council gets England's priors up to ``last_year`` (made once), its own seed, and a
    fit folder with ``inputs/`` unless the fit fails placecast's check.
    """

    kind: ClassVar[str] = "fit"
    fit_settings: AggregateSettings = field(default_factory=AggregateSettings)
    last_year: int | None = None
    accept_poor_fit: bool = False

    def settings(self) -> dict[str, Any]:
        return {
            "fit_settings": self.fit_settings.to_dict(),
            "last_year": self.last_year,
            "accept_poor_fit": self.accept_poor_fit,
        }

    def shared(self, codes: Sequence[str]) -> dict[str, Any]:
        from placecast.data.published import published_tables
        from placecast.fit.national import national_priors, with_england_years

        tidy = published_tables()
        last = int(tidy["year"].max()) if self.last_year is None else self.last_year
        placement = self.fit_settings.placement_model
        priors = national_priors(tidy, last, placement_model=placement)
        return {"tidy": tidy, "priors": with_england_years(priors, tidy, last, self.fit_settings)}

    def run(self, code: str, shared: Mapping[str, Any], seed: int, out: Path) -> dict[str, Any]:
        from placecast.data.providers import fostering_split
        from placecast.fit.published import fit_published_council, fitting_year

        counts = _published(shared, code)
        last = fitting_year(counts, self.last_year)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # Convergence is judged by the fit check and shown in the batch's table; the
            # sampler's own warnings would interleave from every worker.
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            fitted = fit_published_council(
                counts.upto(last),
                shared["priors"],
                _cores_of_this_worker(self.fit_settings),
                seed=seed,
                out=out,
                accept_poor_fit=self.accept_poor_fit,
                fostering=fostering_split(shared["tidy"], code, last),
                about={"command": "batch fit"},
            )
        diag = fitted.model.diagnostics_.iloc[0]
        return {
            "council": counts.council,
            "last_year": last,
            "fit_seconds": round(time.perf_counter() - t0, 1),
            "check_passed": fitted.check.passed,
            "inputs_written": fitted.inputs_written,
            "max_r_hat": float(diag["max_r_hat"]),
            "divergences": int(diag["divergences"]),
            "carer_supply": "Ofsted" if fitted.carers is not None else "placeholder",
            "caution": "; ".join(fitted.check.cautions),  # e.g. one year of flows
        }


_S = TypeVar("_S")


def _cores_of_this_worker(settings: _S) -> _S:
    """The fit's settings with its chains in parallel on at most this Dask worker's threads:
    several workers on one machine each sampling on every core would oversubscribe it. Chains
    are seeded apart from ``cores``, so the draws are the same either way."""
    try:
        from distributed import get_worker

        threads = int(get_worker().state.nthreads)
    except (ImportError, ValueError):  # not on a worker
        return settings
    cores = int(getattr(settings, "cores", 1))
    return replace(settings, cores=min(cores, threads)) if threads < cores else settings  # type: ignore[type-var]


def _inputs_folder(inputs: str | Path, code: str) -> Path:
    """A council's inputs: ``<inputs>/<code>/inputs`` (a batch fit's folder) or
    ``<inputs>/<code>`` (a folder of inputs folders)."""
    for folder in (Path(inputs) / "councils" / code / "inputs", Path(inputs) / code):
        if (folder / "inputs.json").is_file():
            return folder
    raise InputError(
        f"no inputs for council {code} in {inputs}: expected {inputs}/councils/{code}/inputs "
        f"(a 'placecast batch fit' folder) or {inputs}/{code}/inputs.json; fit the council first "
        "or leave it out"
    )


def _yearly_paths(fc: Any) -> xr.Dataset:
    """One forecast's numbers by path and year: children by placement at each 31 March, total
    cost and overspend by financial year."""
    children = fc.children_by_placement()
    march = np.flatnonzero(pd.DatetimeIndex(children["date"].values).month == 3)
    at_march = children.isel(month=march)
    at_march = at_march.assign_coords(year=("month", pd.DatetimeIndex(at_march["date"]).year))
    at_march = at_march.swap_dims(month="year").drop_vars(
        ["month", "date", "financial_year"], errors="ignore"
    )
    return xr.Dataset(
        {
            "children": at_march.transpose("path", "year", "placement"),
            "total_cost_gbp": fc.total_cost.transpose("path", "financial_year"),
            "overspend_gbp": fc.overspend.transpose("path", "financial_year"),
        }
    )


@dataclass(frozen=True)
class ForecastJob:
    """Forecast each council from its inputs folder (usually a batch fit's).

    ``inputs`` is a batch fit's folder (``<inputs>/councils/<code>/inputs``) or a folder holding
    one inputs folder per council code. Each council is forecast with its own seed and writes
    its summary tables and :data:`PATHS_FILE`, the per-path numbers regional totals are summed
    from.
    """

    kind: ClassVar[str] = "forecast"
    inputs: str = ""
    months: int = 60
    paths: int = 2000

    def settings(self) -> dict[str, Any]:
        return {"inputs": str(self.inputs), "months": self.months, "paths": self.paths}

    def shared(self, codes: Sequence[str]) -> dict[str, Any]:
        if not self.inputs:
            raise ConfigError("batch forecast: give the folder of the councils' inputs")
        return {}  # a council without inputs fails on its own; the others go on

    def _forecasts(self, code: str, seed: int) -> list[Any]:
        from placecast.forecasting import forecast

        inputs = load_inputs(_inputs_folder(self.inputs, code))
        return [forecast(inputs, months=self.months, paths=self.paths, seed=seed)]

    def run(self, code: str, shared: Mapping[str, Any], seed: int, out: Path) -> dict[str, Any]:
        t0 = time.perf_counter()
        forecasts = self._forecasts(code, seed)
        base = forecasts[0]
        out.mkdir(parents=True, exist_ok=True)
        base.children_summary().to_csv(out / "children_summary.csv")
        base.overspend_summary().to_csv(out / "overspend_summary.csv")
        paths = _yearly_paths(base)
        if len(forecasts) > 1:
            savings = xr.concat(
                [base.total_cost - fc.total_cost for fc in forecasts[1:]],
                dim=pd.Index([fc.name for fc in forecasts[1:]], name="scenario"),
            )
            paths["saving_gbp"] = savings.transpose("scenario", "path", "financial_year")
            summary = interval_summary(paths["saving_gbp"], probability_above_zero=True)
            summary.to_csv(out / "savings_summary.csv")
        paths.attrs = {
            "council": base.inputs.name,
            "la_code": code,
            "start": str(base.inputs.start),
            "seed": seed,
            "placeholders": ", ".join(
                k for k, v in base.inputs.status.items() if v == "placeholder"
            ),
        }
        paths.to_netcdf(out / PATHS_FILE)
        total = base.total_cost
        return {
            "inputs_name": base.inputs.name,
            "start": str(base.inputs.start),
            "forecast_seconds": round(time.perf_counter() - t0, 1),
            "first_year_cost_gbp_median": float(total.isel(financial_year=0).median()),
        }


@dataclass(frozen=True)
class CompareJob(ForecastJob):
    """Each council's baseline and the same scenarios on common random numbers; the saving of
    each scenario by path goes into :data:`PATHS_FILE` for regional totals."""

    kind: ClassVar[str] = "compare"
    scenarios: tuple[Scenario, ...] = ()

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "scenarios": [scenario_to_dict(s) for s in self.scenarios]}

    def shared(self, codes: Sequence[str]) -> dict[str, Any]:
        if not self.scenarios:
            raise ConfigError("batch compare: give at least one scenario")
        return super().shared(codes)

    def _forecasts(self, code: str, seed: int) -> list[Any]:
        inputs = load_inputs(_inputs_folder(self.inputs, code))
        cmp = compare(inputs, list(self.scenarios), months=self.months, paths=self.paths, seed=seed)
        return cmp.forecasts


@dataclass(frozen=True)
class BacktestJob:
    """Backtest each council from every origin (as ``placecast backtest``): fit to each origin
    year with England's priors up to it, forecast, score against what DfE published later.

    Every council uses ``backtest.seed`` as the one-process backtest does, so the rows are the
    same whatever the number of workers.
    """

    kind: ClassVar[str] = "backtest"
    backtest: BacktestSettings = field(default_factory=BacktestSettings)
    origins: tuple[int, ...] = ()
    uses_own_seed: ClassVar[bool] = False

    def settings(self) -> dict[str, Any]:
        return {"backtest": asdict(self.backtest), "origins": list(self.origins)}

    def _runs(self, last: int) -> list[BacktestSettings]:
        origins = self.origins or (self.backtest.last_fit_year,)
        late = [o for o in origins if o >= last]
        if late:
            raise ConfigError(f"batch backtest: origins {late} leave no year to score ({last})")
        horizon = self.backtest.horizon
        return [
            replace(self.backtest, last_fit_year=int(o), horizon=min(horizon, last - o))
            for o in origins
        ]

    def shared(self, codes: Sequence[str]) -> dict[str, Any]:
        from placecast.data.published import published_tables
        from placecast.evaluation.backtesting import backtest_priors

        tidy = published_tables()
        runs = self._runs(int(tidy["year"].max()))
        return {"tidy": tidy, "priors": {r.last_fit_year: backtest_priors(tidy, r) for r in runs}}

    def run(self, code: str, shared: Mapping[str, Any], seed: int, out: Path) -> dict[str, Any]:
        from placecast.evaluation.backtesting import backtest_council

        counts = _published(shared, code)
        runs = self._runs(int(shared["tidy"]["year"].max()))
        rows = pd.concat(
            [
                backtest_council(
                    counts, _cores_of_this_worker(run), shared["priors"][run.last_fit_year]
                ).assign(origin=run.last_fit_year)
                for run in runs
            ],
            ignore_index=True,
        )
        out.mkdir(parents=True, exist_ok=True)
        rows.to_csv(out / "backtest_rows.csv", index=False)
        return {
            "council": counts.council,
            "origins": len(runs),
            "rows": len(rows),
            "fit_seconds": round(float(rows.groupby("origin")["fit_seconds"].first().sum()), 1),
        }
