"""``placecast forecast``, ``compare`` and ``report``: simulate scenarios, write the outputs."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import click

from placecast.cli.options import FiniteRange, run_options
from placecast.data.figures import read_council_figures
from placecast.data.hackney import hackney_2022
from placecast.engine.size import run_size
from placecast.forecasting import SEED
from placecast.inputs import CouncilInputs, load_inputs
from placecast.report.outputs import write_all
from placecast.report.text import comparison_text
from placecast.results import load_comparison
from placecast.scenario import Scenario, compare, load_scenarios

#: What the commands use where neither an option nor a scenario file's [run] table says.
RUN_DEFAULTS = {"months": 60, "paths": 2000, "seed": SEED}


def _run(
    scenarios: list[Scenario],
    *,
    months: int,
    paths: int,
    seed: int,
    out: Path,
    no_charts: bool,
    inputs: Path | None,
    figures: Path | None,
    scenarios_text: str | None = None,
) -> int:
    started = time.perf_counter()
    council = council_inputs(inputs, figures)
    size = run_size(
        council.space,
        paths=paths,
        months=months,
        runs=len(scenarios) + 1,
        children=float(council.initial.counts.sum()),
    )
    size.check()  # before any work, with the numbers
    if size.seconds > 60:
        print(f"This run: {size.describe()} (rough, on 2 cores).", file=sys.stderr)
    cmp = compare(council, scenarios, months=months, paths=paths, seed=seed, progress=True)
    for fc in cmp.forecasts:  # provenance the reports cite
        fc.data.attrs["command"] = _command_line()
        if scenarios_text is not None:
            fc.data.attrs["scenarios_toml"] = scenarios_text
    print(comparison_text(cmp))
    written = write_all(cmp, out, charts=not no_charts)
    print(
        f"\nWrote {len(written)} files to {out}/ in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


def council_inputs(inputs: Path | None, figures: Path | None) -> CouncilInputs:
    """The council a simulating command runs: the embedded default or ``--inputs``, with the
    carer supply, unit costs and budget of ``--figures`` when given."""
    council = hackney_2022() if inputs is None else load_inputs(inputs)
    return council if figures is None else read_council_figures(figures, council)


def _command_line() -> str:
    """The command with every option as used (defaults included, so that the line reruns
    the same forecast even if a default changes later)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "not recorded"
    words = ctx.command_path.split()
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if value in (None, False):
            continue
        if isinstance(param, click.Argument):
            words.append(str(value))
        else:
            flag = param.opts[0]
            words.append(flag if value is True else f"{flag}={value}")
    return shlex.join(words)


@click.command(
    "forecast",
    help="Forecast children in care and placement spend on the embedded default (Hackney, "
    "fitted to DfE's tables to 31 March 2022) or your --inputs, comparing the baseline with "
    "recruiting more in-house foster-carer households. Prints a summary and writes CSV tables, "
    "charts, an Excel workbook and an HTML report.",
    short_help="forecast a council, baseline vs extra carer recruitment",
)
@click.option(
    "--recruit",
    type=FiniteRange(0, 1_000),  # Scenario's bound on extra approvals
    default=10.0,
    show_default=True,
    help="extra carer households approved per year in the scenario (0 = baseline only)",
)
@click.option(
    "--recruit-cost",
    type=FiniteRange(0, 1e7),
    default=10_000.0,
    show_default=True,
    help="one-off cost of recruiting one extra household, GBP (an illustrative assumption, "
    "use your own)",
)
@run_options(defaults=True)
def forecast(recruit: float, recruit_cost: float, **run: object) -> int:
    scenarios = []
    if recruit > 0:
        scenarios.append(
            Scenario(
                f"recruit {recruit:g} more households a year",
                extra_approvals_per_year=recruit,
                cost_per_recruited_household_gbp=recruit_cost,
            )
        )
    return _run(scenarios, **run)  # type: ignore[arg-type]


@click.command(
    "compare",
    help="Forecast the baseline and every scenario in a TOML file on common random numbers "
    "(see examples/hackney_scenarios.toml and the scenario cookbook). Options given here "
    "override the file's [run] table.",
    short_help="compare the scenarios in a TOML file with the baseline",
)
@click.argument("scenarios", type=click.Path(path_type=Path, dir_okay=False))
@run_options(defaults=False)
def compare_file(
    scenarios: Path, months: int | None, paths: int | None, seed: int | None, **run: object
) -> int:
    spec = load_scenarios(scenarios)
    given = {"months": months, "paths": paths, "seed": seed}
    from_file = {"months": spec.months, "paths": spec.paths, "seed": spec.seed}
    chosen = {
        k: given[k] if given[k] is not None else from_file[k] if from_file[k] is not None else d
        for k, d in RUN_DEFAULTS.items()
    }
    text = scenarios.read_text(encoding="utf-8", errors="replace")
    return _run(spec.scenarios, **chosen, **run, scenarios_text=text)  # type: ignore[arg-type]


@click.command(
    "report",
    help="Re-make the reports of a comparison saved by 'placecast forecast' or 'placecast "
    "compare' (the results/ folder in their output), without simulating again.",
    short_help="write the reports of a saved comparison",
)
@click.argument("results", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("placecast-report"),
    show_default=True,
    help="folder for the reports",
)
@click.option("--no-charts", is_flag=True, help="skip the PNG/SVG charts and the HTML report")
def report(results: Path, out: Path, no_charts: bool) -> int:
    cmp = load_comparison(results)
    print(comparison_text(cmp))
    written = write_all(cmp, out, charts=not no_charts, results=False)
    print(f"\nWrote {len(written)} files to {out}/", file=sys.stderr)
    return 0
