"""Tables of the stored backtest runs, regenerated from their rows and settings.

Each run lives in ``benchmarks/runs/<name>/``: ``rows.csv`` (one row per council, measure and
year, as ``Backtest.rows``) and ``settings.json`` (what made them: the command, the settings,
the priors, the data). Run:

* ``python benchmarks/tables.py`` - one line per run (councils, median MASE per measure,
  coverage), the table in ``benchmarks/README.md``;
* ``python benchmarks/tables.py backtest_2017_h2`` - that run's full summary table (a
  rolling-origin run's by horizon, with and without the forecast years 2020-21);
* ``python benchmarks/tables.py --readme`` - rewrite the generated section of the README.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from placecast.evaluation import Backtest, BacktestSettings

RUNS = Path(__file__).parent / "runs"
README = Path(__file__).parent / "README.md"
BEGIN, END = (
    "<!-- runs table: begin (python benchmarks/tables.py --readme) -->",
    "<!-- runs table: end -->",
)


def load_run(name: str) -> tuple[Backtest, dict]:
    """A stored run as a :class:`Backtest`, and its settings record."""
    folder = RUNS / name
    meta = json.loads((folder / "settings.json").read_text())
    rows = pd.read_csv(folder / "rows.csv")
    failed = rows["error"].notna() if "error" in rows else pd.Series(False, index=rows.index)
    known = {k: v for k, v in meta["settings"].items() if v is not None}
    return Backtest(rows[~failed], BacktestSettings(**known)), meta


def runs_table() -> str:
    """One Markdown row per stored run."""
    lines = [
        "| run | what | councils | MASE: in care / fostering / resid. / starts / ceases "
        "| 90% coverage (same order) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for folder in sorted(RUNS.iterdir()):
        bt, meta = load_run(folder.name)
        t = bt.summary()
        measures = [
            m
            for m in (
                "children_in_care",
                "fostering",
                "residential_semi_independent",
                "starts",
                "ceases",
            )
            if m in t.index
        ]
        mase = " / ".join(f"{t.loc[m, 'median_mase_placecast']:.2f}" for m in measures)
        cover = " / ".join(f"{t.loc[m, 'coverage_90']:.0%}" for m in measures)
        lines.append(
            f"| `{folder.name}` | {meta['description']} | {int(t.loc['all', 'councils'])} "
            f"| {mase} | {cover} |"
        )
    return "\n".join(lines)


def horizon_table(bt: Backtest, exclude_years: tuple[int, ...] = ()) -> str:
    """Rolling-origin accuracy by measure and horizon as Markdown (see Backtest.by_horizon)."""
    t = bt.by_horizon(exclude_years=exclude_years)
    lines = [
        "| measure | horizon | councils | MASE placecast / last value / trend "
        "| placecast - last value (90% interval) | placecast - trend (90% interval) "
        "| coverage 50% / 90% |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (measure, horizon), r in t.iterrows():
        lines.append(
            f"| {str(measure).replace('_', ' ')} | {horizon} | {int(r['councils'])} "
            f"| {r['median_mase_placecast']:.2f} / {r['median_mase_last_value']:.2f} / "
            f"{r['median_mase_linear_trend']:.2f} "
            f"| {r['gap_last_value']:+.2f} ({r['gap_last_value_q05']:+.2f}, "
            f"{r['gap_last_value_q95']:+.2f}) "
            f"| {r['gap_linear_trend']:+.2f} ({r['gap_linear_trend_q05']:+.2f}, "
            f"{r['gap_linear_trend_q95']:+.2f}) "
            f"| {r['coverage_50']:.0%} / {r['coverage_90']:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", help="a run's name (default: all runs, one line each)")
    parser.add_argument("--readme", action="store_true", help="rewrite the README's runs table")
    args = parser.parse_args()
    if args.run:
        bt, meta = load_run(args.run)
        print(f"{args.run}: {meta['command']}\n")
        if "origin" in bt.rows:  # a rolling-origin run: by horizon, with and without COVID
            print(horizon_table(bt))
            print("\nWithout the forecast years 2020-21:\n")
            print(horizon_table(bt, exclude_years=(2020, 2021)))
        else:
            print(bt.markdown())
        return
    table = runs_table()
    if args.readme:
        text = README.read_text()
        start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
        README.write_text(text[:start] + "\n" + table + "\n" + text[stop:])
    print(table)


if __name__ == "__main__":
    main()
