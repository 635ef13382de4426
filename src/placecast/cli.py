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
from typing import TYPE_CHECKING, Any

from placecast import __version__
from placecast.data.hackney import hackney_2020
from placecast.errors import PlacecastError
from placecast.forecast import placeholder_inputs
from placecast.rates import Rates
from placecast.results import load_comparison, load_inputs, save_comparison, save_inputs
from placecast.scenario import Comparison, Scenario, compare, load_scenarios
from placecast.simulate import InitialStock

if TYPE_CHECKING:  # importing the fit module at start-up would import PyMC
    from placecast.fit.priors import AggregatePriors


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
        "94% intervals, sampler diagnostics and the stock at the end of the period.",
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
    _sampler_arguments(fit, draws=1000, seed=1, out="placecast-fit")
    pub = sub.add_parser(
        "fit-published",
        help="fit rates to a council's published DfE statistics",
        description="Read DfE 'children looked after' tables (the 2015-2019 wide files or the "
        "tidy files published since), take one council's stocks at 31 March, starts and ceases, "
        "and fit the cohort model's rates with PyMC (priors from England's own series). Writes "
        "the posterior, a parameter summary, diagnostics, published-vs-fitted values and an "
        "inputs folder for 'placecast forecast --inputs'.",
    )
    pub.add_argument("--council", required=True, help="council name or ONS code, e.g. Hackney")
    pub.add_argument("--last-year", type=int, help="last year to fit (default: the latest)")
    _published_arguments(pub)
    _sampler_arguments(pub, draws=500, tune=300, seed=1, out="placecast-fit")
    bt = sub.add_parser(
        "backtest",
        help="fit published statistics up to a year, forecast the next ones, score them",
        description="For every council (or those named), fit the published series up to "
        "--last-fit-year, forecast --horizon years and compare with what was published and "
        "with last-value and linear-trend forecasts (MASE, 50% / 90% interval coverage).",
    )
    bt.add_argument("--council", nargs="*", help="names or codes (default: every council)")
    bt.add_argument("--last-fit-year", type=int, default=2017, help="last year fitted (2017)")
    bt.add_argument("--horizon", type=int, default=2, help="years forecast (2)")
    bt.add_argument("--workers", type=int, default=1, help="councils in parallel (1)")
    _published_arguments(bt)
    _sampler_arguments(bt, draws=500, tune=300, seed=0, out="placecast-backtest")
    return parser


def _published_arguments(parser: argparse.ArgumentParser) -> None:
    """--data, --default-priors and the --entry-, --exit- and --placement-model, shared by the
    published-statistics commands."""
    parser.add_argument(
        "--data", type=Path, nargs="+", required=True, help="DfE CSV files or a folder of them"
    )
    parser.add_argument(
        "--default-priors",
        action="store_true",
        help="skip the England fit and use the documented default priors",
    )
    parser.add_argument(
        "--entry-model",
        choices=["random_walk", "trend"],  # AggregateModel.entry_model (not imported: PyMC is slow)
        default="random_walk",
        help="entries as a random walk with drift (default) or shocks around a trend",
    )
    parser.add_argument(
        "--exit-model",
        choices=["random_walk", "fixed"],  # AggregateModel.exit_model
        default="random_walk",
        help="the level of exit rates as a random walk (default) or the same every year",
    )
    parser.add_argument(
        "--placement-model",
        choices=["random_walk", "fixed", "drift"],  # AggregateModel.placement_model
        default="random_walk",
        help="the pull of residential / semi-independent placements a random walk (default:"
        " yearly shocks that last), fixed, or drifting by a fitted amount each year",
    )
    growth = parser.add_mutually_exclusive_group()
    growth.add_argument(
        "--stock-growth",
        type=float,
        nargs=2,
        metavar=("MEAN", "SD"),
        help="pool the first forecast year's change of children in care towards MEAN (e.g. "
        "0.02 for +2%%) with this SD (national priors: England's growth, SD 0.025)",
    )
    growth.add_argument(
        "--no-stock-growth-prior",
        action="store_true",
        help="do not pool the first forecast year (its flows follow the council's last year)",
    )


def _sampler_arguments(
    parser: argparse.ArgumentParser, *, draws: int, seed: int, out: str, tune: int | None = None
) -> None:
    """--draws, --tune (default: as many as draws), --seed and --out, shared by the fitting
    commands."""
    tune = draws if tune is None else tune
    parser.add_argument(
        "--draws", type=int, default=draws, help=f"posterior draws per chain ({draws})"
    )
    parser.add_argument("--tune", type=int, default=tune, help=f"tuning steps per chain ({tune})")
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed (default {seed})")
    parser.add_argument(
        "--out", type=Path, default=Path(out), help=f"output folder (default ./{out})"
    )


def _fit(args: argparse.Namespace) -> int:
    import arviz as az
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
    _save_fitted_inputs(
        "fitted from SSDA903",
        stock,
        model.rates_,
        start=str(pd.Period(args.period_end, freq="M")),
        sources=("SSDA903 returns: " + ", ".join(str(p.name) for p in args.episodes),),
        out=out,
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


def _save_fitted_inputs(
    name: str,
    stock: InitialStock,
    rates: Rates,
    *,
    start: str,
    sources: tuple[str, ...],
    out: Path,
) -> None:
    """Inputs ready for 'placecast forecast --inputs': fitted rates and stock (up to 1,000
    draws); carer supply, unit costs and budget are placeholders (see placeholder_inputs)."""
    import numpy as np

    thin = np.arange(0, rates.n_draws, max(1, rates.n_draws // 1000))
    save_inputs(
        placeholder_inputs(
            f"{name} (carer supply, unit costs and budget are placeholders: edit inputs.json)",
            stock,
            rates.select_draws(thin),
            start=start,
            sources=sources,
        ),
        out / "inputs",
    )


def _fit_published(args: argparse.Namespace) -> int:
    import arviz as az
    import numpy as np

    from placecast.data.dfe import published_counts, read_dfe
    from placecast.fit.aggregate import AggregateModel
    from placecast.fit.priors import AggregatePriors

    tidy = read_dfe(args.data)
    counts = published_counts(tidy, args.council)
    last = int(args.last_year or counts.years[~np.isnan(counts.children_in_care)].max())
    counts = counts.upto(last)
    priors = AggregatePriors()
    if not args.default_priors:
        print(f"Priors from England's published series up to {last}...", file=sys.stderr)
        priors = AggregatePriors.national(
            tidy, last, seed=args.seed, placement_model=args.placement_model
        )
    priors = _with_stock_growth(priors, args)
    print(f"Fitting {counts.council} ({counts.la_code}) to {last}...", file=sys.stderr)
    model = AggregateModel(
        priors=priors,
        draws=args.draws,
        tune=args.tune,
        entry_model=args.entry_model,
        exit_model=args.exit_model,
        placement_model=args.placement_model,
    ).fit(counts, seed=args.seed, progressbar=True)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    model.idata_.to_netcdf(str(out / "posterior.nc"))
    summarised = [
        "log_entries_per_year",
        "entry_log_growth",
        "entry_year_sd",
        "entry_age_band_share",
        "log_exit_scale",
        "log_exit_level",
        "exit_drift",  # random-walk exit model only
        "entry_tilt",
        "move_tilt",
        "residential_drift",  # placement_model="drift" only
        "pull_year_sd",  # placement_model="random_walk" only
        "log_residential_pull",  # placement_model="random_walk" only
        "starts_counted_share",
        "count_cv",
        "expected_stock_growth_next_year",  # with a stock-growth prior only
    ]
    az.summary(
        model.idata_,
        var_names=[n for n in summarised if n in model.idata_.posterior],
        hdi_prob=0.94,
    ).to_csv(out / "parameters_summary.csv")
    model.diagnostics_.to_csv(out / "diagnostics.csv", index=False)
    model.fitted_.to_csv(out / "published_and_fitted.csv")
    stock = model.initial_stock()
    stock.by_band().to_csv(out / "stock_at_last_year.csv")
    _save_fitted_inputs(
        f"{counts.council}, fitted to DfE published statistics to 31 March {last}",
        stock,
        model.rates_,
        start=f"{last}-03",
        sources=(
            f"DfE children looked after in England, {counts.council}; priors: {priors.source}",
        ),
        out=out,
    )
    print("\nPublished and fitted (posterior mean)")
    print(
        model.fitted_.filter(regex="^(fitted_)?(children_in_care|starts|ceases)$")
        .round(0)
        .to_string()
    )
    print("\nSampler diagnostics")
    print(model.diagnostics_.to_string(index=False))
    print(
        f"\nWrote posterior.nc, parameters_summary.csv, diagnostics.csv, "
        f"published_and_fitted.csv, stock_at_last_year.csv and inputs/ to {out}/. Put your carer "
        f"supply, unit costs and budget in {out}/inputs/inputs.json, then: "
        f"placecast forecast --inputs {out}/inputs",
        file=sys.stderr,
    )
    return 0


def _with_stock_growth(priors: AggregatePriors, args: argparse.Namespace) -> AggregatePriors:
    """Apply --stock-growth / --no-stock-growth-prior to the priors."""
    if args.no_stock_growth_prior:
        return priors.with_stock_growth(None, None)
    if args.stock_growth is not None:
        return priors.with_stock_growth(*args.stock_growth)
    return priors


def _backtest(args: argparse.Namespace) -> int:
    from placecast.backtest import BacktestSettings, backtest
    from placecast.data.dfe import read_dfe

    tidy = read_dfe(args.data)
    settings = BacktestSettings(
        last_fit_year=args.last_fit_year,
        horizon=args.horizon,
        draws=args.draws,
        tune=args.tune,
        seed=args.seed,
        entry_model=args.entry_model,
        exit_model=args.exit_model,
        placement_model=args.placement_model,
    )
    from placecast.fit.priors import AggregatePriors

    if args.default_priors:
        priors = AggregatePriors()
    else:
        print(
            f"Priors from England's published series up to {args.last_fit_year}...", file=sys.stderr
        )
        priors = AggregatePriors.national(
            tidy,
            settings.last_fit_year,
            first_year=settings.first_fit_year,
            seed=settings.seed,
            placement_model=settings.placement_model,
        )
    priors = _with_stock_growth(priors, args)
    result = backtest(
        tidy, args.council or None, settings, priors, workers=args.workers, progress=True
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    result.rows.to_csv(out / "backtest_rows.csv", index=False)
    result.summary().to_csv(out / "backtest_summary.csv")
    if not result.skipped.empty:
        result.skipped.to_csv(out / "backtest_skipped.csv", index=False)
    print(result.markdown())
    print(
        f"\nPriors: {result.priors_source}. Wrote backtest_rows.csv and backtest_summary.csv "
        f"to {out}/.",
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
        if args.command == "fit-published":
            return _fit_published(args)
        if args.command == "backtest":
            return _backtest(args)
        if args.command == "report":
            return _report(args)
    except PlacecastError as err:
        print(f"placecast: error: {err}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
