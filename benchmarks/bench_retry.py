"""Fits that failed the fit check's convergence limits in a backtest, fitted again with
``retry="auto"``: how many come out clean, and at what cost in time.

Run: ``python benchmarks/bench_retry.py --run rolling_2017_2021_h3_all --origin 2019
[--councils 8] [--name retry_2019]``. Takes the councils whose first attempt in the backtest's
partial rows (``runs/partial/<run>/origin_<T>.csv``, variant ``base``) read R-hat above 1.01
or had divergent transitions, spread over both kinds and over the list in code order, and fits
each again with the backtest's settings and ``retry="auto"`` in this process (the national
priors of the origin shared). Writes ``runs/<name>/`` with one row per council: the first
attempt's diagnostics from the backtest, the diagnostics after the retry, what the sampler did
(``sampling``), whether the fit check's convergence limits now pass, and the seconds taken.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import replace

import pandas as pd
from bench_refit import first_attempts, refit, spread
from runs_store import write_run

from placecast.evaluation import BacktestSettings
from placecast.fit.quality import R_HAT_MAX


def failed_first(run: str, origin: int, count: int) -> pd.DataFrame:
    """The councils whose first attempt failed (R-hat or divergences), ``count`` of them:
    half of each kind where there are enough, evenly spaced in code order."""
    fits = first_attempts(run, origin).rename(columns=lambda c: c.replace("before_", "first_"))
    divergent = fits[fits["first_divergences"] > 0]
    unsure = fits[(fits["first_r_hat"].round(2) > R_HAT_MAX) & (fits["first_divergences"] == 0)]
    half = count // 2
    return pd.concat([spread(divergent, half), spread(unsure, count - half)]).sort_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="rolling_2017_2021_h3_all")
    parser.add_argument("--origin", type=int, default=2019)
    parser.add_argument("--councils", type=int, default=8)
    parser.add_argument("--name", default=None, help="the run's folder (default retry_<origin>)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    settings = replace(BacktestSettings(last_fit_year=args.origin, horizon=3), retry="auto")
    chosen = failed_first(args.run, args.origin, args.councils)
    rows = []
    for code, first, model, seconds in refit(chosen, args.origin, settings):
        check = model.check()
        rows.append(
            {
                "la_code": code,
                **first.to_dict(),
                "r_hat": check.max_r_hat,
                "min_ess_bulk": check.min_ess_bulk,
                "divergences": check.divergences,
                "chains": check.chains,
                "convergence_passed": check.converged,  # what the retry is for
                "check_passed": check.passed,
                "sampling": model.idata_.posterior.attrs.get("sampling", ""),
                "seconds": seconds,
            }
        )
        print(f"{first['council']}: {check.summary()} ({seconds:.0f} s)", flush=True)
    table = pd.DataFrame(rows)
    name = args.name or f"retry_{args.origin}"
    record = {
        "description": f"first attempts that failed in {args.run} at origin {args.origin}, "
        "fitted again with retry='auto'",
        "settings": settings.to_dict(),
        "priors": model.priors.source if rows else None,
    }
    print(f"wrote {write_run(name, table, record)}")
    passed = table["convergence_passed"].mean() if len(table) else float("nan")
    print(
        f"{len(table)} fits; convergence limits passed after the retry: {passed:.0%}; "
        f"seconds {table['seconds'].median():.0f} median (first attempt "
        f"{table['first_seconds'].median():.0f} in the backtest, beside another worker)"
    )


if __name__ == "__main__":
    main()
