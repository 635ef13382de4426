"""Score another forecast of saved fits, whatever the priors and tables of today's code.

``python benchmarks/reforecast_fits.py --fits DIR --name RUN --set starting_ages=fitted
[--origins 2017 ...] [--workers 2] [--description ...]``, or several forecasts of each fit in
one pass: ``--variant default --variant passing:forecast_shocks=passing ...`` (each
``NAME:setting=value,...``, stored as the run ``RUN_NAME``; a fit is read once for all of them,
which is most of a single forecast's time, and each variant's rows are those of its own run
with ``--set``). With ``--checkpoint DIR`` each fit's rows are kept in ``DIR/<variant>.csv`` as
it is scored, and a fit already there is not scored again: saved fits are not committed and are
lost with the machine, so score a run's fits in the session that made them and commit the
checkpoint. Add ``--finish`` to the last pass, once every fit is in: only then are the runs
written (their rows by origin, then council code: the order of one pass but for a council
scored under a newer code than its fit's name).

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
import json
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import pandas as pd
from runs_store import parse_settings, parse_variant, write_run

from placecast.data.dfe import current_code, published_counts
from placecast.data.published import published_tables
from placecast.errors import ConfigError
from placecast.evaluation import BacktestSettings
from placecast.evaluation.backtesting import check_variant, scored_variant
from placecast.fit import AggregateModel


@functools.cache
def _tables() -> pd.DataFrame:
    """The shipped tables, read once per process (each worker scores many fits)."""
    return published_tables()


def _one(job: tuple[str, dict[str, dict[str, object]], int]) -> dict[str, pd.DataFrame]:
    """One saved fit, read once and scored for each variant: variant name -> rows."""
    path, variants, last = job
    warnings.simplefilter("ignore")
    model = AggregateModel.load(path)
    counts = published_counts(_tables(), model.counts_.la_code)
    settings = BacktestSettings(
        last_fit_year=model.last_year_, horizon=min(3, last - model.last_year_)
    )
    seconds = float(model.idata_.attrs.get("fit_seconds", float("nan")))
    return {
        name: scored_variant(model, counts, settings, seconds, changes).assign(
            origin=model.last_year_
        )
        for name, changes in variants.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--set", action="append", default=[], help="forecast setting=value")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:setting=value,... (repeat; stored as RUN_NAME; instead of --set)",
    )
    parser.add_argument("--origins", type=int, nargs="+", default=list(range(2017, 2022)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--description", default="")
    parser.add_argument(
        "--checkpoint", type=Path, help="keep rows here fit by fit; fits already there are skipped"
    )
    parser.add_argument(
        "--finish", action="store_true", help="with --checkpoint: write the runs (every fit is in)"
    )
    args = parser.parse_args()
    if args.finish and not args.checkpoint:
        parser.error("--finish writes the runs of a --checkpoint; without one every pass writes")
    if args.set and args.variant:
        parser.error("give --set (one forecast) or --variant (several), not both")
    if args.variant:
        variants = {}
        for text in args.variant:
            name, changes = parse_variant(text)
            if not name or name in variants:
                parser.error(f"--variant {text!r}: each needs a name of its own")
            variants[name] = changes
    else:
        variants = {"": parse_settings(args.set)}
    for name, changes in variants.items():
        try:
            check_variant(changes, f"--variant {name}" if name else "--set")  # before any worker
        except ConfigError as error:
            parser.error(str(error))
    last = int(_tables()["year"].max())
    paths = [
        path for origin in args.origins for path in sorted((args.fits / str(origin)).glob("*.nc"))
    ]
    kept, done = _checkpoint(args.checkpoint, variants) if args.checkpoint else ({}, set())
    jobs = [(str(path), variants, last) for path in paths if _fit_key(path) not in done]
    print(f"{len(paths)} saved fits; {len(paths) - len(jobs)} already in the checkpoint")
    t0 = time.perf_counter()
    scored = {name: [kept[name]] if len(kept.get(name, ())) else [] for name in variants}
    unread = []
    with ProcessPoolExecutor(args.workers) as pool:
        futures = {pool.submit(_one, job): job[0] for job in jobs}
        for future in as_completed(futures):
            try:
                scored_fit = future.result()
            except Exception as error:  # e.g. a fit being written by a run beside this one
                unread.append(futures[future])
                print(f"{futures[future]}: not scored ({type(error).__name__}: {error})")
                continue
            for name, rows in scored_fit.items():
                scored[name].append(rows)
                if args.checkpoint:  # appended as each fit finishes, so a stop loses one fit
                    file = _kept_file(args.checkpoint, name)
                    rows.to_csv(file, mode="a", header=not file.exists(), index=False)
    minutes = round((time.perf_counter() - t0) / 60, 1)
    if unread:
        print(f"{len(unread)} fits not scored; another pass scores them", file=sys.stderr)
        if args.finish or not args.checkpoint:
            raise SystemExit("the runs are written only when every fit is scored")
    if args.checkpoint and not args.finish:
        print(f"{len(jobs)} fits scored in {minutes} min, kept in {args.checkpoint}")
        return
    for name, changes in variants.items():
        run = f"{args.name}_{name}" if name else args.name
        record = {
            "description": args.description or run,
            "settings": replace(BacktestSettings(), **changes).to_dict(),
            "forecast_changes": changes,
            "origins": args.origins,
            "fits": f"{args.fits} (each fit as saved: its own priors, data and fit settings)",
            "data": "tables shipped with placecast (scored against)",
            "minutes": minutes,
            "workers": args.workers,
            **({"variants scored in the same pass": variants} if len(variants) > 1 else {}),
        }
        rows = _in_run_order(pd.concat(scored[name], ignore_index=True))
        folder = write_run(run, rows, record)
        print(f"{len(jobs)} fits rescored in {minutes} min: {folder}")


def _fit_key(path: Path) -> tuple[int, str]:
    """(origin, council code) of a saved fit ``DIR/<origin>/<code>.nc``, the code as its rows
    carry it: the current one (a fit saved under North Yorkshire's county code is scored as
    the unitary council, :data:`~placecast.data.dfe.RECODED`)."""
    return int(path.parent.name), current_code(path.stem)


def _keys(rows: pd.DataFrame) -> list[tuple[int, str]]:
    """(origin, council code) of each row."""
    return list(zip(rows["origin"].astype(int), rows["la_code"].astype(str), strict=True))


def _in_run_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows by origin, then council code as the rows carry it, each fit's rows as scored."""
    return rows.sort_values(["origin", "la_code"], kind="stable", ignore_index=True)


def _kept_file(folder: Path, name: str) -> Path:
    """A variant's rows in the checkpoint (``run.csv`` for a single ``--set`` forecast)."""
    return folder / f"{name or 'run'}.csv"


def _checkpoint(
    folder: Path, variants: dict[str, dict[str, object]]
) -> tuple[dict[str, pd.DataFrame], set[tuple[int, str]]]:
    """The rows kept so far for each variant and the fits every variant has (empty at the
    start). A fit some variants lack (a stop between two variants' writes) is dropped from the
    others, to be scored again. Refuses a checkpoint made with other variants, whose rows would
    not be paired with these."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "variants.json"
    if record.exists() and json.loads(record.read_text()) != variants:
        raise SystemExit(
            f"{record}: this checkpoint was made with other variants "
            f"({record.read_text().strip()}); give the same --variant options or another folder"
        )
    record.write_text(json.dumps(variants, indent=2))
    kept = {}
    for name in variants:
        file = _kept_file(folder, name)
        kept[name] = (
            pd.read_csv(file) if file.exists() else pd.DataFrame(columns=["origin", "la_code"])
        )
    done = set.intersection(*(set(_keys(rows)) for rows in kept.values()))
    for name, rows in kept.items():
        whole = [key in done for key in _keys(rows)]
        if not all(whole):
            kept[name] = rows[whole]
            kept[name].to_csv(_kept_file(folder, name), index=False)
    return kept, done


if __name__ == "__main__":
    main()
