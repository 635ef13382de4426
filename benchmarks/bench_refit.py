"""A backtest's first attempts made again with the working tree: what a change of the fitted
model did to convergence, fit by fit.

Run: ``python benchmarks/bench_refit.py --run rolling_2017_2021_h3_all --origin 2017
[--divergent 12] [--clean 4] [--name refit_2017]``. Takes ``--divergent`` councils whose first
attempt in the backtest's partial rows (``runs/partial/<run>/origin_<T>.csv``, variant ``base``)
had divergent transitions and ``--clean`` whose first attempt passed the convergence limits,
each evenly spaced in code order, and fits each again in this process with the backtest's
settings (``retry="none"``: the first attempt, as the backtest measured it), seed and the
origin's national priors. Writes ``runs/<name>/`` with one row per council: the backtest's
diagnostics (``before_*``), this tree's (``after_*``), the fitted children in care at the
origin against the published, and the seconds. Both fits share settings and seed, so only the
code differs (the draws are not the same, as any change of the model moves the sampler).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from runs_store import write_run

from placecast.data.dfe import published_counts
from placecast.data.published import published_tables
from placecast.evaluation import BacktestSettings
from placecast.evaluation.backtesting import backtest_priors
from placecast.fit.aggregate import AggregateModel
from placecast.fit.quality import R_HAT_MAX

HERE = Path(__file__).parent


def first_attempts(run: str, origin: int) -> pd.DataFrame:
    """One row per council fitted at ``origin`` in ``run``'s partial rows: its first attempt's
    R-hat, divergences and seconds."""
    rows = pd.read_csv(HERE / "runs" / "partial" / run / f"origin_{origin}.csv")
    rows = rows[rows["error"].isna() & (rows["variant"] == "base")]
    return rows.groupby("la_code").agg(
        council=("council", "first"),
        before_r_hat=("max_r_hat", "first"),
        before_divergences=("divergences", "first"),
        before_seconds=("fit_seconds", "first"),
    )


def refit(
    chosen: pd.DataFrame, origin: int, settings: BacktestSettings
) -> Iterator[tuple[str, pd.Series, AggregateModel, float]]:
    """Fit each council of ``chosen`` (rows of :func:`first_attempts`) again to ``origin`` in
    this process, with ``settings``, their seed and the origin's national priors; yields the
    council's code, its row, the fitted model and the seconds the fit took."""
    tidy = published_tables()
    priors = backtest_priors(tidy, settings)
    for code, before in chosen.iterrows():
        counts = published_counts(tidy, str(code)).upto(origin)
        t0 = time.perf_counter()
        model = AggregateModel(priors, settings).fit(counts, seed=settings.seed)
        yield str(code), before, model, time.perf_counter() - t0


def spread(fits: pd.DataFrame, count: int) -> pd.DataFrame:
    """``count`` of ``fits``, evenly spaced in code order (all when there are fewer)."""
    if count >= len(fits):
        return fits
    return fits.iloc[np.linspace(0, len(fits) - 1, count).astype(int)] if count else fits[:0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="rolling_2017_2021_h3_all")
    parser.add_argument("--origin", type=int, default=2017)
    parser.add_argument("--divergent", type=int, default=12)
    parser.add_argument("--clean", type=int, default=4)
    parser.add_argument("--name", default=None, help="the run's folder (default refit_<origin>)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    settings = replace(BacktestSettings(last_fit_year=args.origin, horizon=3), retry="none")
    fits = first_attempts(args.run, args.origin)
    clean = (fits["before_divergences"] == 0) & (fits["before_r_hat"].round(2) <= R_HAT_MAX)
    chosen = pd.concat(
        [
            spread(fits[fits["before_divergences"] > 0], args.divergent).assign(kind="divergent"),
            spread(fits[clean], args.clean).assign(kind="clean"),
        ]
    )
    rows = []
    for code, before, model, seconds in refit(chosen, args.origin, settings):
        check = model.check()
        rows.append(
            {
                "la_code": code,
                **before.to_dict(),
                "after_r_hat": check.max_r_hat,
                "after_min_ess_bulk": check.min_ess_bulk,
                "after_divergences": check.divergences,
                "after_seconds": seconds,
                "fitted_children_in_care": check.fitted_stock,
                "published_children_in_care": check.published_stock,
            }
        )
        print(f"{before['council']} ({before['kind']}): {check.summary()} ({seconds:.0f} s)")
    table = pd.DataFrame(rows)
    name = args.name or f"refit_{args.origin}"
    record = {
        "description": f"first attempts of {args.run} at origin {args.origin} made again with "
        "this tree (retry='none', the same settings, seed and priors)",
        "settings": settings.to_dict(),
        "priors": model.priors.source if rows else None,
    }
    print(f"wrote {write_run(name, table, record)}")
    for kind, part in table.groupby("kind"):
        diverged = [int((part[f"{when}_divergences"] > 0).sum()) for when in ("before", "after")]
        unsure = [int((part[f"{w}_r_hat"].round(2) > R_HAT_MAX).sum()) for w in ("before", "after")]
        print(
            f"{kind}: {len(part)} fits; with divergences before {diverged[0]}, after "
            f"{diverged[1]}; R-hat above {R_HAT_MAX} before {unsure[0]}, after {unsure[1]}"
        )


if __name__ == "__main__":
    main()
