"""Rolling-origin backtest on the data councils have today: fit to each origin, score by horizon.

Run: ``python benchmarks/bench_rolling.py [--councils N] [--council CODE ...] [--origins 2017 2018
2019 2020 2021] [--horizon 3] [--workers 2] [--tag _x] [--fits DIR] [--variant
name:setting=value,...] [--prior field=value ...] [--setting field=value ...] [--checkpoint DIR]
[--source COMMIT]``.
``--prior`` sets fields of every origin's priors and ``--setting`` fit settings such as
``count_noise`` (both refit). Each ``--variant`` (forecast settings only: ``trend_damping``,
``exit_trend_damping``, ``trend_uncertainty``, ``forecast_shocks``, ``pull_trend``,
``starting_ages``) is scored on the same posteriors right after
each fit - a paired comparison of forecasts that costs simulations, not fits - and written as its
own run (``..._<name>``); a variant may be added to a run in progress (scored from then on,
recorded in its ``run.json``). With ``--fits`` every fit is also saved there and reused by later
runs. With ``--source COMMIT`` the fits and forecasts use placecast as it was at that commit
(:func:`runs_store.pin_source`), so a run that spans sessions is made by one version of the
model while the working tree changes; ``run.json`` records it, and from when (a run started
on the working tree may be pinned once).

Reads the DfE tables shipped with placecast (built from the 2015-2019 wide and the 2018-2022
tidy files in ``../shared/data``); for every
origin T, England's priors come from its series up to T (shipped for 2017-2022, see
:mod:`placecast.fit.national`) and each council is fitted to its own years up to T, then
forecast for T+1..min(T+3, 2022). Writes
``benchmarks/runs/rolling_<origins>_h<H><tag>/``: ``rows.csv`` (every council, origin, measure
and year), ``settings.json`` (the command and every setting), and ``by_horizon.csv`` /
``by_horizon_no_covid.csv`` (:meth:`Backtest.by_horizon`, with and without the forecast years
2020-21), and prints both tables. Partial rows (every variant's) are kept as the councils finish
in ``--checkpoint`` (default ``runs/partial/<run name>/``, tracked in git: a run of every
council takes longer than a session, so commit it and the next session's same command resumes
where it stopped).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from runs_store import parse_variant, pin_source, write_run

SOURCE = pin_source(sys.argv)  # --source COMMIT: placecast as it was then (before importing it)

from placecast.data.published import published_tables  # noqa: E402
from placecast.evaluation import COVID_YEARS, BacktestSettings, la_councils  # noqa: E402
from placecast.evaluation.backtesting import backtest_priors  # noqa: E402
from placecast.evaluation.rolling import rolling_backtest  # noqa: E402

HERE = Path(__file__).parent
COLUMNS = [
    "councils",
    "median_mase_placecast",
    "median_mase_last_value",
    "median_mase_linear_trend",
    "gap_last_value",
    "gap_last_value_q05",
    "gap_last_value_q95",
    "gap_linear_trend",
    "gap_linear_trend_q05",
    "gap_linear_trend_q95",
    "coverage_50",
    "coverage_90",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=0, help="N spread by code (0 = all)")
    parser.add_argument(
        "--council", action="append", default=[], help="a council's code (repeatable): these only"
    )
    parser.add_argument("--origins", type=int, nargs="+", default=[2017, 2018, 2019, 2020, 2021])
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tag", default="")
    parser.add_argument("--description", default="")
    parser.add_argument("--fits", type=Path, default=None, help="folder of reusable fits")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="folder of partial rows (default runs/partial/<run name>/)",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="name:setting=value,... forecast settings scored on the same fits (repeatable)",
    )
    parser.add_argument(
        "--prior",
        action="append",
        default=[],
        help="field=value: an AggregatePriors field set on every origin's priors (a refit)",
    )
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        help="field=value: a BacktestSettings field (fit or forecast) for every run (a refit)",
    )
    parser.add_argument(
        "--source",
        default=None,
        help="a commit: fit and forecast with placecast as it was then (extracted into "
        "benchmarks/.sources/), so a run spanning sessions is made by one version",
    )
    args = parser.parse_args()
    # "base" is the run's own forecast settings; each variant is written as run name + _name.
    variants = dict([("base", {}), *(parse_variant(v) for v in args.variant)])
    if len(variants) != 1 + len(args.variant):
        parser.error("--variant: each needs its own name, and not 'base'")
    prior_changes = parse_variant("x:" + ",".join(args.prior))[1]
    setting_changes = parse_variant("x:" + ",".join(args.setting))[1]

    warnings.simplefilter("ignore")
    tidy = published_tables()  # the shipped tables, read from ../shared/data
    names = la_councils(tidy)
    if args.councils:  # evenly spaced in code order, so every region is represented
        names = [names[i] for i in np.linspace(0, len(names) - 1, args.councils).astype(int)]
    if args.council:
        unknown = sorted(set(args.council) - set(names))
        if unknown:
            parser.error(f"--council {unknown}: not a council code in the tables (E06000017...)")
        names = [n for n in names if n in args.council]
    settings = replace(BacktestSettings(horizon=args.horizon), **setting_changes)
    base = f"rolling_{args.origins[0]}_{args.origins[-1]}_h{args.horizon}{args.tag}"
    checkpoint = args.checkpoint or HERE / "runs" / "partial" / base
    what = {"variants": variants, "settings": settings.to_dict(), "source": SOURCE}
    _check_resume(checkpoint, what, parser, BacktestSettings(horizon=args.horizon).to_dict())
    _record_command(checkpoint / "run.json")
    resumed = any(checkpoint.glob("origin_*.csv"))
    t0 = time.perf_counter()
    result = rolling_backtest(
        tidy,
        names,
        args.origins,
        settings,
        workers=args.workers,
        progress=True,
        checkpoint=checkpoint,
        fits=args.fits,
        priors=(
            (lambda s: replace(backtest_priors(tidy, s), **prior_changes))
            if prior_changes
            else None
        ),
        variants=variants if len(variants) > 1 else None,
    )
    elapsed = time.perf_counter() - t0
    for key, changes in variants.items():
        name = base + ("" if key == "base" else f"_{key}")
        one = result.variant(key) if len(variants) > 1 else result
        record = {
            "description": (args.description or base)
            + ("" if key == "base" else f"; variant {changes}"),
            "settings": replace(settings, **changes).to_dict(),
            "origins": args.origins,
            "councils": args.council or args.councils or "all",
            "priors": result.priors_source,
            "prior_changes": prior_changes,
            "data": "tables shipped with placecast (built from ../shared/data/dfe_cla_la_2015_2019 "
            "and dfe_cla_ees_2018_2022)",
            "failed": result.skipped.to_dict("records"),
            "fits": None if args.fits is None else "reused from --fits where already made",
            "variants scored on the same fits": variants,
            # A resumed run times its own process only, not the fits made before.
            "minutes": round(elapsed / 60, 1),
            "resumed": resumed,
            "workers": args.workers,
            "source": SOURCE or "the working tree (see commit)",
        }
        folder = write_run(name, one.rows, record)
        for suffix, excluded in (("", ()), ("_no_covid", COVID_YEARS)):
            table = one.by_horizon(exclude_years=excluded)[COLUMNS]
            table.to_csv(folder / f"by_horizon{suffix}.csv")
            print(f"\n{name}: by horizon{' without forecast years 2020-21' if excluded else ''}")
            print(table.round(2).to_string())
    print(f"\n{len(names)} councils x {len(args.origins)} origins in {elapsed / 60:.1f} min")


def _check_resume(
    folder: Path, what: dict[str, Any], parser: argparse.ArgumentParser, defaults: dict[str, Any]
) -> None:
    """Partial rows resume only the run that made them: the same variants and settings. A
    setting added since then resumes it when it holds its default (``defaults``), which keeps
    what the run did (a new setting's default is the behaviour before it). Variants may be
    added (the stored ones unchanged): they are scored on the fits made from then on, and
    ``run.json`` records when and after which councils (``variants_added``). A run made by the
    working tree may be pinned to a commit (``--source``) once, recorded the same way
    (``source_pinned``); a pinned run resumes with that commit only."""
    marker = folder / "run.json"
    text = json.dumps(what, sort_keys=True, indent=2, default=str)
    added: list[dict[str, Any]] = []
    pinned: dict[str, Any] | None = None
    if marker.is_file():
        stored = json.loads(marker.read_text())
        for key in ("command", "command_recorded"):  # how it was last run, not what it is
            stored.pop(key, None)
        added = stored.pop("variants_added", [])
        pinned = stored.pop("source_pinned", None)
        source, mine_source = stored.pop("source", None), what.get("source")
        if source != mine_source:
            if source is not None:
                parser.error(
                    f"{folder} holds partial rows made with placecast at {source}: pass "
                    f"--source {source} to resume it, or another --tag"
                )
            pinned = {
                "source": mine_source,
                "pinned": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "councils already done (with the working tree of then)": _done(folder),
            }
        settings = stored.get("settings", {})
        for key in set(what["settings"]) - set(settings):
            if key in defaults and what["settings"][key] == defaults[key]:
                settings[key] = defaults[key]
        mine = json.loads(text)
        new = {k: v for k, v in mine["variants"].items() if k not in stored["variants"]}
        kept = {k: v for k, v in mine["variants"].items() if k in stored["variants"]}
        if stored["settings"] != mine["settings"] or kept != stored["variants"]:
            parser.error(
                f"{folder} holds partial rows of a run with other settings or variants "
                f"(see {marker}); pass another --tag or --checkpoint, or delete the folder"
            )
        if new:
            added.append(
                {
                    "variants": new,
                    "added": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "councils already done (not scored on these)": _done(folder),
                }
            )
    folder.mkdir(parents=True, exist_ok=True)
    record = json.loads(text)
    if record.get("source") is None:
        record.pop("source", None)  # a run made by the working tree, as before this option
    if added:
        record["variants_added"] = added
    if pinned:
        record["source_pinned"] = pinned
    marker.write_text(json.dumps(record, sort_keys=True, indent=2, default=str))


def _record_command(marker: Path) -> None:
    """Keep the command that last started or resumed the run in its ``run.json`` (``command``),
    so that a new machine resumes it by running that line again (``--fits`` and ``--workers``
    included, which the resume check leaves free)."""
    record = json.loads(marker.read_text())
    record["command"] = shlex.join(["python", "benchmarks/bench_rolling.py", *sys.argv[1:]])
    record["command_recorded"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    marker.write_text(json.dumps(record, sort_keys=True, indent=2, default=str))


def _done(folder: Path) -> dict[str, int]:
    """Councils with partial rows, by origin file."""
    return {
        f.stem: int(pd.read_csv(f, usecols=["requested"])["requested"].nunique())
        for f in sorted(folder.glob("origin_*.csv"))
    }


if __name__ == "__main__":
    main()
