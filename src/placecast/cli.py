"""Command line: ``placecast forecast`` runs a baseline vs recruitment comparison.

A thin layer over the public API; everything it does can be done from Python.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from placecast import __version__
from placecast.data.hackney import hackney_2020
from placecast.errors import PlacecastError
from placecast.scenario import Scenario, compare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="placecast",
        description="Forecast children in care by placement type and placement spend "
        "against budget, with scenario comparisons.",
    )
    parser.add_argument("--version", action="version", version=f"placecast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    fc = sub.add_parser(
        "forecast",
        help="forecast the embedded default council, baseline vs extra carer recruitment",
        description="Forecast children in care and placement spend on the embedded default "
        "(Hackney, 31 March 2020), comparing the baseline with recruiting more in-house "
        "foster-carer households. Prints a summary and writes CSV tables and fan charts.",
    )
    fc.add_argument("--months", type=int, default=60, help="horizon in months (default 60)")
    fc.add_argument(
        "--paths", type=int, default=2000, help="simulated paths; more = smoother (default 2000)"
    )
    fc.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    fc.add_argument(
        "--recruit",
        type=float,
        default=10.0,
        help="extra carer households approved per year in the scenario (default 10; 0 = none)",
    )
    fc.add_argument(
        "--recruit-cost",
        type=float,
        default=10_000.0,
        help="one-off cost of recruiting one extra household, GBP (default 10,000; an "
        "illustrative assumption, use your own)",
    )
    fc.add_argument(
        "--out",
        type=Path,
        default=Path("placecast-output"),
        help="folder for the CSV tables and charts (default ./placecast-output)",
    )
    fc.add_argument("--no-charts", action="store_true", help="skip the PNG fan charts")
    return parser


def _forecast(args: argparse.Namespace) -> int:
    inputs = hackney_2020()
    scenarios = []
    if args.recruit > 0:
        scenarios.append(
            Scenario(
                f"recruit {args.recruit:g} more households a year",
                extra_approvals_per_year=args.recruit,
                cost_per_recruited_household_gbp=args.recruit_cost,
            )
        )
    started = time.perf_counter()
    print(
        f"Simulating {args.paths} paths x {args.months} months "
        f"for {1 + len(scenarios)} scenario(s)...",
        file=sys.stderr,
    )
    cmp = compare(inputs, scenarios, months=args.months, paths=args.paths, seed=args.seed)
    from placecast.report.tables import comparison_text, write_comparison

    print(comparison_text(cmp))
    written = write_comparison(cmp, args.out)
    if not args.no_charts:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from placecast.report.charts import fan_chart

        for placement in (None, inputs.space.capacity_placement, inputs.space.overflow_placement):
            fig, ax = plt.subplots(figsize=(9, 5))
            fan_chart(cmp.forecasts, placement=placement, ax=ax)
            path = args.out / f"fan_{placement or 'all_children'}.png"
            fig.savefig(path, dpi=120, bbox_inches="tight")
            plt.close(fig)
            written.append(path)
    print(
        f"\nWrote {len(written)} files to {args.out}/ in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``placecast`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "forecast":
            return _forecast(args)
    except PlacecastError as err:
        print(f"placecast: error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
