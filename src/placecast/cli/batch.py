"""``placecast batch``: fit, forecast, compare or backtest many councils at once on Dask."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from placecast.cli.options import (
    POSITIVE,
    out_option,
    seed_option,
    settings_from_options,
    settings_options,
)
from placecast.evaluation.settings import BacktestSettings
from placecast.fit.settings import AggregateSettings


def _run_options(default_out: str, seed: int = 1) -> Callable[[Any], Any]:
    """Which councils, where to run them, and where the batch folder is."""

    def decorate(command: Any) -> Any:
        for option in reversed(
            [
                click.option(
                    "--council",
                    "councils",
                    multiple=True,
                    help="council name or ONS code (repeat for several)",
                ),
                click.option(
                    "--region",
                    "regions",
                    multiple=True,
                    help="every council of a DfE region, e.g. 'North West', 'London', "
                    "'Inner London' (repeat for several)",
                ),
                click.option(
                    "--all",
                    "every",
                    is_flag=True,
                    help="every council published in the latest year",
                ),
                click.option(
                    "--scheduler",
                    default=None,
                    help="address of a running Dask scheduler, e.g. tcp://host:8786 (default: a "
                    "local cluster)",
                ),
                click.option(
                    "--workers",
                    type=POSITIVE,
                    default=None,
                    help="workers of the local cluster (default: one per core)",
                ),
                seed_option(seed),
                out_option(default_out),
            ]
        ):
            command = option(command)
        return command

    return decorate


def _run(job: Any, options: dict[str, Any]) -> Any:
    from placecast.batch import resolve_councils, run_batch

    codes = resolve_councils(options["councils"], options["regions"], options["every"])
    print(
        f"{job.kind}: {len(codes)} councils into {options['out']}/ "
        f"({'scheduler ' + options['scheduler'] if options['scheduler'] else 'local cluster'})",
        file=sys.stderr,
    )
    result = run_batch(
        job,
        codes,
        options["out"],
        seed=options["seed"],
        scheduler=options["scheduler"],
        workers=options["workers"],
        progress=True,
    )
    done = int((result.councils["status"] == "done").sum())
    print(f"\n{done} of {len(result.councils)} councils done.", file=sys.stderr)
    if not result.failed.empty:
        print("Failed (run the same command again to retry them):", file=sys.stderr)
        for _, row in result.failed.iterrows():
            print(f"  {row['la_code']} {row['council']}: {row['error']}", file=sys.stderr)
    print(f"Councils' table: {result.folder / 'councils.csv'}", file=sys.stderr)
    return result


def _totals(result: Any, job: Any) -> None:
    """Regional and national totals of a forecast or comparison batch, when any council finished."""
    from placecast.batch import regional_totals, write_totals

    if not (result.councils["status"] == "done").any():
        return
    about = {"batch": str(result.folder), "job": job.kind, **job.settings()}
    for groups in ("region", "england"):
        folder = write_totals(
            regional_totals(result.folder, groups), result.folder / "totals" / groups, about
        )
        label = "by DfE region" if groups == "region" else "for England"
        print(f"Totals {label}: {folder}/ (totals.xlsx, totals.html, CSV)", file=sys.stderr)


@click.group(
    "batch",
    help="Run a per-council job over many councils on Dask (a local cluster, or an existing "
    "scheduler with --scheduler): fit to DfE's tables, forecast or compare scenarios from the "
    "fits' inputs, or backtest. Each council's seed comes from --seed and its code, so results "
    "do not depend on the workers; finished councils are kept in --out and skipped when the "
    "same command is run again; a council that fails is reported and the others go on.",
    short_help="many councils at once on Dask, with regional totals",
)
def batch() -> None:
    pass


@batch.command("fit", help="fit each council to DfE's published tables (as fit-published)")
@click.option("--last-year", type=int, default=None, help="last year to fit (default: the latest)")
@click.option(
    "--accept-poor-fit", is_flag=True, help="write inputs even for fits that fail the check"
)
@settings_options(AggregateSettings)
@_run_options("placecast-batch-fit")
def fit(last_year: int | None, accept_poor_fit: bool, **options: Any) -> int | None:
    from placecast.batch import FitJob

    settings = settings_from_options(AggregateSettings, options)
    job = FitJob(fit_settings=settings, last_year=last_year, accept_poor_fit=accept_poor_fit)
    result = _run(job, options)
    table = result.councils
    if "caution" in table:
        cautioned = table[table["caution"].fillna("").astype(str).str.len() > 0]
        if not cautioned.empty:
            print(
                f"{len(cautioned)} councils' fits rest on one or two years of flows, so their "
                "rates are mostly England's priors (each one's reports say so): "
                + ", ".join(f"{r.la_code} {r.council}" for r in cautioned.itertuples()),
                file=sys.stderr,
            )
    if "check_passed" not in table or accept_poor_fit:
        return None
    poor = table[(table["status"] == "done") & (table["check_passed"] == False)]  # noqa: E712
    if not poor.empty:
        # As fit-published: a fit that fails its check wrote no inputs, and says so.
        print(
            f"{len(poor)} councils' fits failed placecast's check and have no inputs/ (their "
            "diagnostics are in their folders; running again gives the same fit): "
            + ", ".join(f"{r.la_code} {r.council}" for r in poor.itertuples())
            + ". Fit them with other settings into a new folder, or pass --accept-poor-fit "
            "to write inputs that carry the failed check.",
            file=sys.stderr,
        )
        return 2  # as fit-published does for a fit that fails its check
    return None


_INPUTS = click.option(
    "--inputs",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    required=True,
    help="a 'placecast batch fit' folder, or a folder with an inputs folder per council code",
)
_MONTHS = click.option("--months", type=POSITIVE, default=60, show_default=True, help="horizon")
_PATHS = click.option("--paths", type=POSITIVE, default=2000, show_default=True, help="paths")


@batch.command(
    "forecast",
    help="forecast each council from its inputs, then total them by DfE region and for England "
    "(summed path by path)",
)
@_INPUTS
@_MONTHS
@_PATHS
@_run_options("placecast-batch-forecast")
def forecast(inputs: Path, months: int, paths: int, **options: Any) -> None:
    from placecast.batch import ForecastJob

    job = ForecastJob(inputs=str(inputs), months=months, paths=paths)
    _totals(_run(job, options), job)


@batch.command(
    "compare",
    help="each council's baseline and the scenarios of a TOML file on common random numbers, "
    "then the savings totalled by DfE region and for England",
)
@_INPUTS
@click.option(
    "--scenarios",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    required=True,
    help="scenarios TOML file (as for 'placecast compare')",
)
@_MONTHS
@_PATHS
@_run_options("placecast-batch-compare")
def compare(inputs: Path, scenarios: Path, months: int, paths: int, **options: Any) -> None:
    from placecast.batch import CompareJob
    from placecast.scenario import load_scenarios

    chosen = load_scenarios(scenarios)
    job = CompareJob(
        inputs=str(inputs), months=months, paths=paths, scenarios=tuple(chosen.scenarios)
    )
    _totals(_run(job, options), job)


@batch.command(
    "backtest",
    help="backtest each council from each origin (as 'placecast backtest'); the rows of every "
    "council are in councils/<code>/backtest_rows.csv and together in backtest_rows.csv",
)
@click.option(
    "--origin",
    "origins",
    type=int,
    multiple=True,
    help="last fitted year (repeat for rolling origins; default: the settings' last fit year)",
)
@settings_options(BacktestSettings, skip=("seed",))
@_run_options("placecast-batch-backtest", seed=0)  # as placecast backtest's
def backtest(origins: tuple[int, ...], **options: Any) -> None:
    import pandas as pd

    from placecast.batch import BacktestJob

    settings = settings_from_options(BacktestSettings, options)
    job = BacktestJob(backtest=settings, origins=tuple(origins))
    result = _run(job, options)
    parts = [
        pd.read_csv(result.council_folder(code) / "backtest_rows.csv")
        for code in result.councils.loc[result.councils["status"] == "done", "la_code"]
    ]
    if parts:
        rows = result.folder / "backtest_rows.csv"
        pd.concat(parts, ignore_index=True).to_csv(rows, index=False)
        print(f"Rows of every council: {rows}", file=sys.stderr)
