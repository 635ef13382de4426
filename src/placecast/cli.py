"""Command line: ``placecast forecast`` runs a baseline vs recruitment comparison.

A thin layer over the public API; everything it does can be done from Python.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from placecast import __version__
from placecast.data.hackney import hackney_2020
from placecast.errors import PlacecastError
from placecast.forecast import CouncilInputs
from placecast.results import load_comparison, load_inputs, save_comparison, save_inputs
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
    parser.add_argument(
        "--inputs",
        type=Path,
        default=None,
        help="a council's saved inputs folder (inputs.json + inputs.nc, e.g. written by "
        "'placecast fit' or placecast.results.save_inputs); default: the embedded Hackney 2020",
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
    rep = sub.add_parser(
        "report",
        help="write the tables, charts, Excel workbook and HTML report of a saved comparison",
        description="Re-make the reports of a comparison saved by 'placecast forecast' or "
        "'placecast compare' (the results/ folder in their output), without simulating again.",
    )
    rep.add_argument("results", type=Path, help="a saved comparison folder (…/results)")
    rep.add_argument(
        "--out",
        type=Path,
        default=Path("placecast-report"),
        help="folder for the reports (default ./placecast-report)",
    )
    rep.add_argument(
        "--no-charts", action="store_true", help="skip the PNG/SVG charts and the HTML report"
    )
    fit = sub.add_parser(
        "fit",
        help="fit entry, move and exit rates to SSDA903 returns",
        description="Read and validate SSDA903 episodes and header files (one or more years), "
        "count entries, moves and exits and child-years at risk in a period, and fit the rates "
        "with PyMC. Writes the validation issues, the posterior (netCDF), a rate summary with "
        "94%% intervals, sampler diagnostics and the stock at the end of the period.",
    )
    fit.add_argument(
        "--episodes", type=Path, nargs="+", required=True, help="SSDA903 episodes CSV file(s)"
    )
    fit.add_argument(
        "--header", type=Path, nargs="+", required=True, help="SSDA903 header CSV file(s)"
    )
    fit.add_argument("--period-start", required=True, help="first day observed, e.g. 2015-04-01")
    fit.add_argument("--period-end", required=True, help="last day observed, e.g. 2020-03-31")
    fit.add_argument(
        "--on-error",
        choices=["raise", "exclude"],
        default="raise",
        help="stop at the first bad row (default) or exclude bad rows and list them",
    )
    fit.add_argument(
        "--on-unknown-code",
        choices=["error", "warn"],
        default="error",
        help="unknown PLACE/REC/RNE codes are errors (default) or warnings",
    )
    fit.add_argument("--draws", type=int, default=1000, help="posterior draws per chain (1000)")
    fit.add_argument("--tune", type=int, default=1000, help="tuning steps per chain (1000)")
    fit.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    fit.add_argument(
        "--out",
        type=Path,
        default=Path("placecast-fit"),
        help="output folder (default ./placecast-fit)",
    )
    return parser


def _fit(args: argparse.Namespace) -> int:
    import arviz as az
    import numpy as np
    import pandas as pd

    from placecast.data.ssda903 import episode_flows, read_ssda903, stock_at
    from placecast.fit import EpisodeModel
    from placecast.states import StateSpace

    space = StateSpace()
    data = read_ssda903(
        args.episodes, args.header, on_error=args.on_error, on_unknown_code=args.on_unknown_code
    )
    print(data.summary().to_string(index=False))
    flows = episode_flows(data, space, period_start=args.period_start, period_end=args.period_end)
    print(
        f"\nFitting {int(flows.moves.sum())} moves, {int(flows.exits.sum())} exits and "
        f"{int(flows.entries.sum())} entries over {float(flows.exposure_years.sum()):,.0f} "
        "child-years...",
        file=sys.stderr,
    )
    model = EpisodeModel(draws=args.draws, tune=args.tune).fit(
        flows, space, seed=args.seed, progressbar=True
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    data.issues.to_csv(out / "data_issues.csv", index=False)
    model.idata_.to_netcdf(str(out / "posterior.nc"))
    with warnings.catch_warnings():  # rates fixed at zero (forbidden moves) have no R-hat
        warnings.simplefilter("ignore", RuntimeWarning)
        summary = az.summary(
            model.idata_,
            var_names=[
                "move_rate_per_year",
                "exit_rate_per_year",
                "log_entries_per_year",
                "entry_log_growth",
            ],
            hdi_prob=0.94,
        )
    summary.to_csv(out / "rates_summary.csv")
    model.diagnostics_.to_csv(out / "diagnostics.csv", index=False)
    stock = stock_at(data, space, args.period_end)
    stock.by_band().to_csv(out / "stock_at_period_end.csv")
    # Inputs ready for 'placecast forecast --inputs': fitted rates and stock; carer supply, unit
    # costs and budget are the embedded default's, to be replaced in inputs.json.
    default = hackney_2020()
    thin = np.arange(0, model.rates_.n_draws, max(1, model.rates_.n_draws // 1000))
    save_inputs(
        CouncilInputs(
            name="fitted from SSDA903 (carer supply, unit costs and budget are placeholders: "
            "edit inputs.json)",
            space=space,
            initial=stock,
            rates=model.rates_.select_draws(thin),
            supply=default.supply,
            costs=default.costs,
            budget=default.budget,
            start=str(pd.Period(args.period_end, freq="M")),
            sources=("SSDA903 returns: " + ", ".join(str(p.name) for p in args.episodes),),
        ),
        out / "inputs",
    )
    print("\nSampler diagnostics")
    print(model.diagnostics_.to_string(index=False))
    print(
        f"\nWrote data_issues.csv, posterior.nc, rates_summary.csv, diagnostics.csv, "
        f"stock_at_period_end.csv and inputs/ to {out}/. Put your carer supply, unit costs and "
        f"budget in {out}/inputs/inputs.json, then: placecast forecast --inputs {out}/inputs",
        file=sys.stderr,
    )
    return 0


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
    inputs = hackney_2020() if args.inputs is None else load_inputs(args.inputs)
    cmp = compare(inputs, scenarios, months=months, paths=paths, seed=seed, progress=True)
    print(comparison_text(cmp))
    written = _write_outputs(cmp, args.out, charts=not args.no_charts)
    written.append(save_comparison(cmp, args.out / "results"))
    print(
        f"\nWrote {len(written)} files to {args.out}/ in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from placecast.report import comparison_text

    cmp = load_comparison(args.results)
    print(comparison_text(cmp))
    written = _write_outputs(cmp, args.out, charts=not args.no_charts)
    print(f"\nWrote {len(written)} files to {args.out}/", file=sys.stderr)
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
        if args.command == "fit":
            return _fit(args)
        if args.command == "report":
            return _report(args)
    except PlacecastError as err:
        print(f"placecast: error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
