"""Compare two backtest runs council by council (``Backtest.compare``).

Run: ``python benchmarks/compare_backtests.py RUN BASELINE`` with two stored runs (names of
folders in ``benchmarks/runs/``, or rows CSV files). Prints, per measure, the median MASE of
each run on the councils both scored, the difference with a 90% bootstrap interval (councils
resampled) and the share of councils where RUN's error is the lower; then each run's interval
coverage on those councils.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from placecast.evaluation import Backtest, BacktestSettings

RUNS = Path(__file__).parent / "runs"


def _load(path: Path) -> Backtest:
    if not path.suffix and (RUNS / path / "rows.csv").exists():
        path = RUNS / path / "rows.csv"
    rows = pd.read_csv(path)
    failed = rows["error"].notna() if "error" in rows else pd.Series(False, index=rows.index)
    if failed.any():
        print(f"{path.name}: {rows.loc[failed, 'council'].nunique()} councils failed (not scored)")
    return Backtest(rows[~failed], BacktestSettings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", type=Path)
    parser.add_argument("baseline", type=Path)
    parser.add_argument("--resamples", type=int, default=2000)
    args = parser.parse_args()
    run, baseline = _load(args.run), _load(args.baseline)
    table = run.compare(baseline, resamples=args.resamples)
    print(f"{args.run.name} against {args.baseline.name} (difference = run - baseline)")
    print(table.round(3).to_string())
    common = set(run.scored()["council"]) & set(baseline.scored()["council"])
    for name, bt in ((args.run.name, run), (args.baseline.name, baseline)):
        scored = bt.scored()
        scored = scored[scored["council"].isin(common)]
        coverage = scored.groupby("measure")[["in_50", "in_90"]].mean()
        by_horizon = scored.groupby(["measure", "horizon"])[["in_50", "in_90"]].mean()
        print(f"\ncoverage, {name}")
        print(coverage.round(3).to_string())
        print(by_horizon.round(3).to_string())


if __name__ == "__main__":
    main()
