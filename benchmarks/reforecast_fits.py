"""Score another forecast of saved fits, whatever the priors and tables of today's code.

``python benchmarks/reforecast_fits.py --fits DIR --name RUN --set starting_ages=fitted
[--origins 2017 ...] [--workers 2] [--description ...]``

``bench_rolling.py --variant`` reuses a fit only when its data, priors and fit settings are
today's; fits made before a change of the tables or of the shipped priors would be refitted.
This script takes every fit in ``DIR/<origin>/*.nc`` as it is (the fit it was), applies the
forecast settings given with ``--set`` (:data:`~placecast.fit.settings.FORECAST_SETTINGS`, and
the scoring settings :data:`~placecast.evaluation.settings.SCORING_SETTINGS`), and
scores the forecast against the shipped tables like the rolling backtest, so a forecast change
is paired with the run that made the fits. The rows and settings go to ``runs/<RUN>/``.
"""

from __future__ import annotations

import argparse
import functools
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pandas as pd
from runs_store import parse_settings, write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.errors import ConfigError
from placecast.evaluation import BacktestSettings
from placecast.evaluation.backtesting import check_variant, scored_variant
from placecast.fit import AggregateModel


@functools.cache
def _tables() -> pd.DataFrame:
    """The shipped tables, read once per process (each worker scores many fits)."""
    return published_tables()


def _one(job: tuple[str, dict[str, object], int]) -> pd.DataFrame:
    path, changes, last = job
    warnings.simplefilter("ignore")
    model = AggregateModel.load(path)
    counts = published_counts(_tables(), model.counts_.la_code)
    settings = BacktestSettings(
        last_fit_year=model.last_year_, horizon=min(3, last - model.last_year_)
    )
    seconds = float(model.idata_.attrs.get("fit_seconds", float("nan")))
    rows = scored_variant(model, counts, settings, seconds, changes)
    return rows.assign(origin=model.last_year_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--set", action="append", default=[], help="forecast setting=value")
    parser.add_argument("--origins", type=int, nargs="+", default=list(range(2017, 2022)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--description", default="")
    args = parser.parse_args()
    changes = parse_settings(args.set)
    try:
        check_variant(changes, "--set")  # before any worker starts
    except ConfigError as error:
        parser.error(str(error))
    last = int(_tables()["year"].max())
    jobs = [
        (str(path), changes, last)
        for origin in args.origins
        for path in sorted((args.fits / str(origin)).glob("*.nc"))
    ]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = pd.concat(list(pool.map(_one, jobs)), ignore_index=True)
    record = {
        "description": args.description or args.name,
        "settings": replace(BacktestSettings(), **changes).to_dict(),
        "forecast_changes": changes,
        "origins": args.origins,
        "fits": f"{args.fits} (each fit as saved: its own priors, data and fit settings)",
        "data": "tables shipped with placecast (scored against)",
        "minutes": round((time.perf_counter() - t0) / 60, 1),
        "workers": args.workers,
    }
    folder = write_run(args.name, rows, record)
    print(f"{len(jobs)} fits rescored in {record['minutes']} min: {folder}")


if __name__ == "__main__":
    main()
