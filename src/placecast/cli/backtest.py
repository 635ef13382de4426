"""``placecast backtest``: fit published years up to T, forecast the next, score them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from placecast.cli.fit_published import DATA, DEFAULT_PRIORS
from placecast.cli.options import (
    POSITIVE,
    out_option,
    settings_from_options,
    settings_options,
    stock_growth_options,
    with_stock_growth,
)
from placecast.errors import InputError
from placecast.evaluation.settings import BacktestSettings


@click.command(
    "backtest",
    help="For every council (or those named), fit the published series up to --last-fit-year, "
    "forecast --horizon years and compare with what was published and with last-value and "
    "linear-trend forecasts (MASE, 50% / 90% interval coverage).",
    short_help="fit published statistics up to a year, forecast the next ones, score them",
)
@click.option("--council", multiple=True, help="name or code (repeat; default: every council)")
@DATA
@DEFAULT_PRIORS
@stock_growth_options
@settings_options(BacktestSettings)
@click.option("--workers", type=POSITIVE, default=1, show_default=True, help="councils at once")
@out_option("placecast-backtest")
def backtest(
    council: tuple[str, ...],
    data: tuple[Path, ...],
    default_priors: bool,
    stock_growth: tuple[float, float] | None,
    no_stock_growth_prior: bool,
    workers: int,
    out: Path,
    **options: Any,
) -> int:
    from placecast.data.published import published_tables
    from placecast.evaluation.backtesting import backtest as run_backtest
    from placecast.evaluation.backtesting import backtest_priors
    from placecast.fit.priors import AggregatePriors

    settings = settings_from_options(BacktestSettings, options)
    tidy = published_tables(list(data) or None)
    if default_priors:
        priors = AggregatePriors()
    else:
        print(
            f"Priors from England's published series up to {settings.last_fit_year}...",
            file=sys.stderr,
        )
        priors = backtest_priors(tidy, settings)
    priors = with_stock_growth(priors, stock_growth, no_stock_growth_prior)
    result = run_backtest(
        tidy, list(council) or None, settings, priors, workers=workers, progress=True
    )
    if result.rows.empty:
        reasons = "; ".join(f"{r.council}: {r.error}" for r in result.skipped.itertuples())
        raise InputError(
            "no council could be backtested, so nothing was written"
            + (f" ({reasons})" if reasons else "")
            + ". Check the council names (placecast fit-published --help) and that the data "
            "run past --last-fit-year."
        )
    out.mkdir(parents=True, exist_ok=True)
    result.rows.to_csv(out / "backtest_rows.csv", index=False)
    result.summary().to_csv(out / "backtest_summary.csv")
    (out / "backtest_settings.json").write_text(settings.to_json())
    if not result.skipped.empty:
        result.skipped.to_csv(out / "backtest_skipped.csv", index=False)
    print(result.markdown())
    print(
        f"\nPriors: {result.priors_source}. Wrote backtest_rows.csv, backtest_summary.csv and "
        f"backtest_settings.json to {out}/.",
        file=sys.stderr,
    )
    return 0
