"""Backtest every council in England: fit on published years up to T, forecast T+1..T+k.

Run: ``python benchmarks/bench_backtest.py [--last-fit-year 2017] [--horizon 2] [--workers 2]``
(about 90 minutes on this project's 2-core machine for all ~150 councils). Writes the run to
``benchmarks/runs/backtest_<T>_h<k><tag>/``: ``rows.csv`` (one row per council, measure and
year: forecast quantiles, the two naive forecasts, the published value) and ``settings.json``
(the command, every setting, the priors, the data, the commit, the time taken), and prints the
summary table. ``tables.py`` regenerates the README's tables from the stored runs, and
``compare_backtests.py`` compares two runs council by council.

The priors come from England's own published series up to T (``national_priors``), so
nothing after T is seen by the fit.
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from runs_store import write_run

from placecast.data.dfe import read_dfe
from placecast.evaluation import BacktestSettings, backtest, la_councils
from placecast.fit.aggregate import ENTRY_MODELS, EXIT_MODELS, PLACEMENT_MODELS
from placecast.fit.national import national_priors

HERE = Path(__file__).parent
DATA = HERE.parent.parent / "shared" / "data" / "dfe_cla_la_2015_2019"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of DfE tables")
    parser.add_argument("--last-fit-year", type=int, default=2017)
    parser.add_argument("--horizon", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--councils", type=int, default=0, help="N councils spread evenly by code (0 = all)"
    )
    parser.add_argument("--entry-model", default=ENTRY_MODELS[0], choices=list(ENTRY_MODELS))
    parser.add_argument("--exit-model", default=EXIT_MODELS[0], choices=list(EXIT_MODELS))
    parser.add_argument(
        "--placement-model", default=PLACEMENT_MODELS[0], choices=list(PLACEMENT_MODELS)
    )
    parser.add_argument(
        "--exit-drift-prior",
        default="england",
        choices=["england", "zero"],
        help="centre each council's exit drift on England's fitted drift (default) or on zero",
    )
    parser.add_argument(
        "--stock-growth-prior",
        default="england",
        choices=["england", "none"],
        help="pool the first forecast year's stock growth towards England's (default) or not",
    )
    parser.add_argument("--tag", default="", help="added to the run's name (a variant's run)")
    parser.add_argument("--description", default="", help="one line for the runs table")
    parser.add_argument("--draws", type=int, default=BacktestSettings().draws)
    parser.add_argument("--tune", type=int, default=BacktestSettings().tune)
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    tidy = read_dfe(args.data)
    names = la_councils(tidy)
    if args.councils:  # evenly spaced in code order, so every region is represented
        names = [names[i] for i in np.linspace(0, len(names) - 1, args.councils).astype(int)]
    settings = BacktestSettings(
        last_fit_year=args.last_fit_year,
        horizon=args.horizon,
        draws=args.draws,
        tune=args.tune,
        entry_model=args.entry_model,
        exit_model=args.exit_model,
        placement_model=args.placement_model,
    )
    t0 = time.perf_counter()
    name = f"backtest_{args.last_fit_year}_h{args.horizon}{args.tag}"
    checkpoint = HERE / f".{name}.partial.csv"
    priors = national_priors(
        tidy, args.last_fit_year, seed=settings.seed, placement_model=settings.placement_model
    )
    if args.exit_drift_prior == "zero":
        priors = replace(priors, exit_drift_mean=0.0, source=priors.source + "; exit drift prior 0")
    if args.stock_growth_prior == "none":
        priors = priors.with_stock_growth(None, None)
    result = backtest(
        tidy, names, settings, priors, workers=args.workers, progress=True, checkpoint=checkpoint
    )
    elapsed = time.perf_counter() - t0
    first = int(result.rows["year"].min()) - args.horizon if not result.rows.empty else 0
    record = {
        "description": args.description or name,
        "settings": settings.to_dict(),
        "councils": args.councils or "all",
        "priors": result.priors_source,
        "data": str(args.data),
        "minutes": round(elapsed / 60, 1),
        "workers": args.workers,
    }
    folder = write_run(name, result.rows, record)
    out = folder / "rows.csv"
    fits = result.rows.drop_duplicates("council")
    print(
        f"{len(fits)} councils in {elapsed / 60:.1f} min ({args.workers} workers); "
        f"rows written to {out.relative_to(HERE)}; first forecast year {first + args.horizon}"
    )
    print(f"priors: {result.priors_source}")
    print(
        f"fit seconds per council (1 core each): median {fits['fit_seconds'].median():.0f}, "
        f"max {fits['fit_seconds'].max():.0f}; max R-hat > 1.01 in "
        f"{(fits['max_r_hat'] > 1.01).sum()} councils; councils with divergences: "
        f"{(fits['divergences'] > 0).sum()}"
    )
    if not result.skipped.empty:
        print("skipped:")
        print(result.skipped.to_string(index=False))
    print()
    print(result.markdown())

    if args.councils or args.tag:
        return  # the chart in the docs is the full run's
    import matplotlib

    matplotlib.use("Agg")
    from placecast.report import backtest_chart

    figure = HERE.parent / "docs" / "img" / "backtest_children_in_care.png"
    figure.parent.mkdir(exist_ok=True)
    ax = backtest_chart(result.rows, measure="children_in_care")
    ax.figure.savefig(figure, dpi=110, bbox_inches="tight")
    print(f"chart: {figure.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
