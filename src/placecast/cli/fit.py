"""``placecast fit``: rates from SSDA903 returns; how both fitting commands report a check."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

from placecast.cli.options import POSITIVE, out_option, seed_option
from placecast.fit.quality import FitCheck
from placecast.fit.settings import RETRIES
from placecast.folders import file_digests, written_folder
from placecast.report.tables import spreadsheet_safe

_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)


#: --accept-poor-fit, shared by both fitting commands.
ACCEPT_POOR_FIT = click.option(
    "--accept-poor-fit",
    is_flag=True,
    help="write the inputs folder even if the fit fails placecast's check (convergence, the "
    "last published stock); the inputs, forecasts and reports then carry the check and warn",
)


def refuse_poor_fit(diagnostics: pd.DataFrame, check: FitCheck, accept: bool, out: Path) -> bool:
    """Print the sampler diagnostics and what the fit's check found; True when the command
    must stop (a failed check, not accepted): then no inputs folder is written."""
    print("\nSampler diagnostics")
    print(diagnostics.to_string(index=False))
    print(f"\nFit check: {check.summary()}", file=sys.stderr)
    if check.passed:
        return False
    if accept:
        print(
            "WARNING: writing inputs from a fit that failed the check (--accept-poor-fit); "
            "forecasts and reports made from them will say so.",
            file=sys.stderr,
        )
        return False
    print(
        f"placecast: error: the fit failed placecast's check, so no inputs folder was written "
        f"(the posterior and diagnostics are in {out}/). Fit again with more --tune and "
        "--draws (or, for the published statistics, --target-accept 0.99), or pass "
        "--accept-poor-fit to use it anyway.",
        file=sys.stderr,
    )
    return True


@click.command(
    "fit",
    help="Read and validate SSDA903 episodes and header files (one or more years: repeat "
    "--episodes and --header), count entries, moves and exits and child-years at risk in a "
    "period, and fit the rates with PyMC. Writes the validation issues, the fit "
    "(posterior.nc, which EpisodeModel.load reads), a rate summary with 94% intervals, "
    "sampler diagnostics, the stock at the end of the period and an inputs folder.",
    short_help="fit entry, move and exit rates to SSDA903 returns",
)
@click.option("--episodes", type=_FILE, multiple=True, required=True, help="episodes CSV file")
@click.option("--header", type=_FILE, multiple=True, required=True, help="header CSV file")
@click.option("--period-start", required=True, help="first day observed, e.g. 2015-04-01")
@click.option("--period-end", required=True, help="last day observed, e.g. 2020-03-31")
@click.option(
    "--on-error",
    type=click.Choice(["raise", "exclude"]),
    default="raise",
    show_default=True,
    help="stop at the first bad row or exclude bad rows and list them",
)
@click.option(
    "--on-unknown-code",
    type=click.Choice(["error", "warn"]),
    default="error",
    show_default=True,
    help="unknown PLACE/REC/RNE codes are errors or warnings",
)
@click.option("--draws", type=POSITIVE, default=1000, show_default=True, help="draws per chain")
@click.option("--tune", type=POSITIVE, default=1000, show_default=True, help="tuning steps")
@click.option(
    "--retry",
    type=click.Choice(list(RETRIES)),
    default="auto",
    show_default=True,
    help="sample again when the fit fails the check's convergence limits (auto) or not",
)
@seed_option(1)
@out_option("placecast-fit")
@ACCEPT_POOR_FIT
def fit(
    episodes: tuple[Path, ...],
    header: tuple[Path, ...],
    period_start: str,
    period_end: str,
    on_error: str,
    on_unknown_code: str,
    draws: int,
    tune: int,
    retry: str,
    seed: int,
    out: Path,
    accept_poor_fit: bool,
) -> int:
    from placecast.data.ssda903 import episode_flows, read_ssda903, stock_at
    from placecast.fit.episodes import EpisodeModel
    from placecast.fit.published import save_fitted_inputs
    from placecast.states import StateSpace

    space = StateSpace()
    data = read_ssda903(
        list(episodes), list(header), on_error=on_error, on_unknown_code=on_unknown_code
    )
    print(data.summary().to_string(index=False))
    flows = episode_flows(data, space, period_start=period_start, period_end=period_end)
    print(
        f"\nFitting {int(flows.moves.sum())} moves, {int(flows.exits.sum())} exits and "
        f"{int(flows.entries.sum())} entries over {float(flows.exposure_years.sum()):,.0f} "
        "child-years...",
        file=sys.stderr,
    )
    model = EpisodeModel(draws=draws, tune=tune, retry=retry).fit(
        flows,
        space,
        seed=seed,
        progressbar=sys.stderr.isatty(),  # quiet in logs and pipes
    )
    stock = stock_at(data, space, period_end)
    about = {
        "command": "fit",
        "period": [period_start, period_end],
        "inputs_sha256": file_digests([*episodes, *header]),
        "draws": draws,
        "tune": tune,
        "retry": retry,
        "seed": seed,
    }
    # The folder is written whole or not at all; a failed check leaves no inputs/ (an earlier
    # run's is removed with the rest of its files).
    with written_folder(out, about) as staging:
        spreadsheet_safe(data.issues).to_csv(staging / "data_issues.csv", index=False)
        model.save(staging / "posterior.nc")
        model.summary().to_csv(staging / "rates_summary.csv")
        model.diagnostics_.to_csv(staging / "diagnostics.csv", index=False)
        stock.by_band().to_csv(staging / "stock_at_period_end.csv")
        check = model.check()
        refused = refuse_poor_fit(model.diagnostics_, check, accept_poor_fit, out)
        if not refused:
            save_fitted_inputs(
                "fitted from SSDA903",
                stock,
                model.rates_,
                start=str(pd.Period(period_end, freq="M")),
                sources=("SSDA903 returns: " + ", ".join(p.name for p in episodes),),
                out=staging,
                check=check,
                stock_status="council records",
            )
    if refused:
        return 2
    print(
        f"\nWrote data_issues.csv, posterior.nc, rates_summary.csv, diagnostics.csv, "
        f"stock_at_period_end.csv and inputs/ to {out}/. Put your carer supply, unit costs and "
        f"budget in {out}/inputs/inputs.json, then: placecast forecast --inputs {out}/inputs",
        file=sys.stderr,
    )
    return 0
