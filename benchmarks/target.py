"""Issue 21's target, cell by cell: how far each forecast variant of a rolling run is from it.

The target (item 5): on the median council, for every measure (children in care, fostering,
residential + semi-independent, starts, ceases) and every horizon 1-3, a median MASE below both
the last value's and the linear trend's; and pooled 50% and 90% coverage within 5 points of
nominal at every horizon, with every forecast year and without the COVID years 2020-21. This
script applies those conditions as written to a run's table by horizon
(:meth:`placecast.evaluation.Backtest.by_horizon`) and says which cells fail; whether a MASE gap
lies beyond noise is shown beside it (its 90% bootstrap interval over councils), since the
target is on the medians themselves.

    python benchmarks/target.py rolling_2017_2021_h3_all_entry2 --partial
    python benchmarks/target.py rolling_2017_2021_h3_all_entry2 --variant entryonly

(a stored run's variants are the runs ``<name>_<variant>``; ``--partial`` reads a run in
progress from ``runs/partial/<name>/``).
"""

from __future__ import annotations

import argparse

from tables import partial_run, target_cells, variant_run

from placecast.evaluation import COVID_YEARS, Backtest


def scorecard(bt: Backtest) -> tuple[str, bool]:
    """Markdown: the cells that fail the target, with every forecast year and without
    2020-21, and a count of each condition; and whether the target is met."""
    lines, met_all = [], True
    for label, excluded in (("every forecast year", ()), ("without 2020-21", COVID_YEARS)):
        table = bt.by_horizon(exclude_years=excluded)
        cells = target_cells(table)
        n = len(cells)
        counts = {c: int(cells[c].sum()) for c in cells.columns if cells[c].dtype == bool}
        met_all &= bool(cells["met"].all())
        lines.append(
            f"{label}: {counts['met']} of {n} cells meet every condition; MASE below the last "
            f"value {counts['below_last_value']}/{n}, below the trend {counts['below_trend']}/{n};"
            f" coverage within 5 points: 50% {counts['coverage_50_ok']}/{n}, 90% "
            f"{counts['coverage_90_ok']}/{n}"
        )
        failing = cells[~cells["met"]]
        for (measure, horizon), cell in failing.iterrows():
            row = table.loc[(measure, horizon)]
            why = []
            for name, method, label in (
                ("last_value", "last_value", "last value"),
                ("trend", "linear_trend", "trend"),
            ):
                if not cell[f"below_{name}"]:
                    worse = cell[f"beyond_noise_{name}"] == "worse"
                    why.append(
                        f"MASE {row['median_mase_placecast']:.2f} vs {label} "
                        f"{row[f'median_mase_{method}']:.2f}"
                        + (" (worse beyond noise)" if worse else "")
                    )
            for level in (50, 90):
                if not cell[f"coverage_{level}_ok"]:
                    why.append(f"{level}% coverage {row[f'coverage_{level}']:.0%}")
            lines.append(f"  - {measure} at {horizon} year(s): " + "; ".join(why))
    return "\n".join(lines), met_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a rolling run's name (stored, or in runs/partial/)")
    parser.add_argument("--partial", action="store_true", help="a run in progress")
    parser.add_argument(
        "--variant", action="append", default=[], help="these variants only (default: all)"
    )
    args = parser.parse_args()
    variants = args.variant or (list(partial_run(args.run)[0]) if args.partial else ["base"])
    for variant in variants:
        text, met = scorecard(variant_run(args.run, variant, args.partial))
        print(f"\n### {variant}: the target {'is met' if met else 'is not met'}\n\n{text}")
    if args.partial:
        print("\n(partial: the rows so far)")


if __name__ == "__main__":
    main()
