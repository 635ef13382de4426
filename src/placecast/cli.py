"""Command line: ``placecast forecast`` runs a baseline vs recruitment comparison.

A thin layer over the public API; everything it does can be done from Python.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from placecast import __version__
from placecast.data.hackney import hackney_2020
from placecast.errors import PlacecastError
from placecast.scenario import Comparison, Scenario, compare, load_scenarios


def _add_run_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options shared by the commands that simulate (defaults None = take from the file)."""
    parser.add_argument(
        "--months",
        type=int,
        default=60 if defaults else None,
        help="horizon in months (default 60)",
    )
    parser.add_argument(
        "--paths",
        type=int,
        default=2000 if defaults else None,
        help="simulated paths; more = smoother intervals (default 2000)",
    )
    parser.add_argument(
        "--seed", type=int, default=1 if defaults else None, help="random seed (default 1)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("placecast-output"),
        help="folder for the tables, charts, Excel workbook and HTML report "
        "(default ./placecast-output)",
    )
    parser.add_argument(
        "--no-charts", action="store_true", help="skip the PNG charts and the HTML report"
    )


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
        "foster-carer households. Prints a summary and writes CSV tables, charts, an Excel "
        "workbook and an HTML report.",
    )
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
    _add_run_options(fc, defaults=True)
    cmp = sub.add_parser(
        "compare",
        help="compare the scenarios in a TOML file with the baseline",
        description="Forecast the baseline and every scenario in a TOML file on common random "
        "numbers (see examples/hackney_scenarios.toml and the scenario cookbook). Options given "
        "here override the file's [run] table.",
    )
    cmp.add_argument("scenarios", type=Path, help="TOML file with [[scenario]] tables")
    _add_run_options(cmp, defaults=False)
    return parser


def _write_outputs(cmp: Comparison, out: Path, charts: bool) -> list[Path]:
    from placecast.report import write_comparison, write_excel

    written = write_comparison(cmp, out)
    written.append(write_excel(cmp, out / "report.xlsx"))
    if charts:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from placecast.report import fan_chart, spend_chart, write_html

        space = cmp.baseline.inputs.space
        charts_to_draw: list[tuple[str, Callable[..., Any], dict[str, Any]]] = [
            (f"fan_{placement or 'all_children'}", fan_chart, {"placement": placement})
            for placement in (None, space.capacity_placement, space.overflow_placement)
        ]
        charts_to_draw.append(("spend", spend_chart, {}))
        for stem, draw, options in charts_to_draw:
            fig, ax = plt.subplots(figsize=(9, 5))
            draw(cmp.forecasts, ax=ax, **options)
            for suffix in ("png", "svg"):  # PNG for documents, SVG for print and the web
                fig.savefig(out / f"{stem}.{suffix}", dpi=120, bbox_inches="tight")
                written.append(out / f"{stem}.{suffix}")
            plt.close(fig)
        written.append(write_html(cmp, out / "report.html"))
    return written


def _run(
    scenarios: list[Scenario], months: int, paths: int, seed: int, args: argparse.Namespace
) -> int:
    from placecast.report import comparison_text

    started = time.perf_counter()
    cmp = compare(hackney_2020(), scenarios, months=months, paths=paths, seed=seed, progress=True)
    print(comparison_text(cmp))
    written = _write_outputs(cmp, args.out, charts=not args.no_charts)
    print(
        f"\nWrote {len(written)} files to {args.out}/ in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def _forecast(args: argparse.Namespace) -> int:
    scenarios = []
    if args.recruit > 0:
        scenarios.append(
            Scenario(
                f"recruit {args.recruit:g} more households a year",
                extra_approvals_per_year=args.recruit,
                cost_per_recruited_household_gbp=args.recruit_cost,
            )
        )
    return _run(scenarios, args.months, args.paths, args.seed, args)


def _compare(args: argparse.Namespace) -> int:
    spec = load_scenarios(args.scenarios)

    def pick(option: int | None, from_file: int | None, default: int) -> int:
        return option if option is not None else from_file if from_file is not None else default

    return _run(
        spec.scenarios,
        pick(args.months, spec.months, 60),
        pick(args.paths, spec.paths, 2000),
        pick(args.seed, spec.seed, 1),
        args,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``placecast`` command."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "forecast":
            return _forecast(args)
        if args.command == "compare":
            return _compare(args)
    except PlacecastError as err:
        print(f"placecast: error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
