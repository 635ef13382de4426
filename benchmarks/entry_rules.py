"""The rules written before the entry-only all-council run, applied mechanically.

Run: ``python benchmarks/entry_rules.py [--partial] [--run NAME]``. Reads the run's variants
(the finished runs ``<NAME>[_<variant>]``, or with ``--partial`` the rows so far in
``runs/partial/<NAME>/``; NAME ``rolling_2017_2021_h3_all_entry2``, the run restarted on
2026-12-06 at 16:18 on the corrected model, or ``rolling_2017_2021_h3_all_entry``, the first,
stopped) and prints each rule's quantities and verdict,
as written in ``benchmarks/README.md`` (2026-12-06, 04:55 and 06:25):

1. ``entryonly`` becomes the default only if its paired gap to ``base`` over every cell lies
   below zero (the 90% interval's upper end) and no measure's pooled 90% coverage is more than
   5 points lower than ``base``'s at any horizon.
2. A fresh shock each year against whichever default step 1 leaves (``yearly`` against
   ``base``, or ``entryonly_yearly`` against ``entryonly``) becomes the default only if (a) more
   of the 15 measure x horizon cells have pooled 90% coverage within 5 points of 90%, (b) no
   cell moves more than 2 points further from 90%, and (c) the paired gap's interval has its
   lower end at or below zero.
3. ``notrend`` against ``base``: a check of the first run's figure, not a candidate.
4. (written 2026-12-06, 12:50) On origins 2018-2021 only: ``entrykept`` and ``notrendkept``
   each against the default rules 1-2 leave; one becomes the default only if its paired gap
   lies below zero and no cell's pooled 90% coverage is more than 5 points further from 90%
   than the default's; if both pass, the lower paired gap.
5. (written 2026-12-06, 19:03) ``exithalfkept`` (the exit drift damped by 0.5 a year) is a third
   candidate of rule 4, judged the same way with it.

The rules decide on every forecast year; the same quantities without 2020-21 are printed
beside them. With ``--partial`` nothing is decided: the rules wait for all five origins.
"""

from __future__ import annotations

import argparse

from compare_variants import coverage_90, further_from_90, paired_council_gap
from tables import load_run, partial_run

from placecast.evaluation import COVID_YEARS, Backtest

RUN = "rolling_2017_2021_h3_all_entry2"
NOMINAL = 0.9
#: Rules 4 and 5's candidates, each against the default rules 1-2 leave.
KEPT_CANDIDATES = ("entrykept", "notrendkept", "exithalfkept")


def _cell(key: tuple[str, int]) -> str:
    return f"{key[0]} at {int(key[1])} years"


def rule_1(runs: dict[str, Backtest], excluded: tuple[int, ...]) -> tuple[bool, list[str]]:
    gap, low, high, _ = paired_council_gap(runs["entryonly"], runs["base"], excluded)
    drop = coverage_90(runs["base"], excluded) - coverage_90(runs["entryonly"], excluded)
    worst = drop.idxmax()
    gap_ok, coverage_ok = high < 0, bool((drop <= 0.05).all())
    lines = [
        f"paired gap entryonly - base {gap:+.3f} ({low:+.3f} to {high:+.3f}): "
        f"{'below zero' if gap_ok else 'not below zero'}",
        f"largest fall in 90% coverage {drop.max():+.1%} at {_cell(worst)}: "
        f"{'within 5 points' if coverage_ok else 'more than 5 points'}",
    ]
    return gap_ok and coverage_ok, lines


def rule_2(
    runs: dict[str, Backtest], default: str, excluded: tuple[int, ...]
) -> tuple[bool, list[str]]:
    yearly = "yearly" if default == "base" else "entryonly_yearly"
    mine, theirs = coverage_90(runs[yearly], excluded), coverage_90(runs[default], excluded)
    near_mine = int(((mine - NOMINAL).abs() <= 0.05).sum())
    near_theirs = int(((theirs - NOMINAL).abs() <= 0.05).sum())
    further = (mine - NOMINAL).abs() - (theirs - NOMINAL).abs()  # as further_from_90
    gap, low, high, _ = paired_council_gap(runs[yearly], runs[default], excluded)
    a, b, c = near_mine > near_theirs, bool((further <= 0.02).all()), low <= 0
    lines = [
        f"{yearly} against {default}",
        f"(a) cells within 5 points of 90%: {near_mine} against {near_theirs}: "
        f"{'holds' if a else 'fails'}",
        f"(b) most further from 90%: {further.max():+.1%} at {_cell(further.idxmax())}: "
        f"{'holds' if b else 'fails'}",
        f"(c) paired gap {gap:+.3f} ({low:+.3f} to {high:+.3f}): {'holds' if c else 'fails'}",
    ]
    return a and b and c, lines


def rule_4(
    runs: dict[str, Backtest], default: str, excluded: tuple[int, ...]
) -> tuple[str | None, list[str]]:
    def late(bt: Backtest) -> Backtest:
        return Backtest(bt.rows[bt.rows["origin"] >= 2018], bt.settings)

    reference = late(runs[default])
    if reference.rows.empty:
        return None, ["no rows of origins 2018-2021 yet"]
    passed: dict[str, float] = {}
    lines = []
    for name in KEPT_CANDIDATES:
        if name not in runs:
            lines.append(f"{name}: not scored yet")
            continue
        mine = late(runs[name])
        gap, low, high, _ = paired_council_gap(mine, reference, excluded)
        further = further_from_90(mine, reference, excluded)
        gap_ok, coverage_ok = high < 0, bool((further <= 0.05).all())
        if gap_ok and coverage_ok:
            passed[name] = gap
        why = [
            *([] if gap_ok else ["the gap's interval reaches zero"]),
            *([] if coverage_ok else ["a cell more than 5 points further from 90%"]),
        ]
        lines.append(
            f"{name} against {default}: paired gap {gap:+.3f} ({low:+.3f} to {high:+.3f}); "
            f"most further from 90% {further.max():+.1%} at {_cell(further.idxmax())}: "
            + ("passes" if not why else "fails: " + " and ".join(why))
        )
    return (min(passed, key=passed.__getitem__) if passed else None), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partial", action="store_true", help="the rows so far; decide nothing")
    parser.add_argument("--run", default=RUN, help=f"the run (default {RUN})")
    args = parser.parse_args()
    run = args.run
    if args.partial:
        runs = partial_run(run)[0]
    else:
        names = [
            "base",
            "entryonly",
            "notrend",
            "yearly",
            "entryonly_yearly",
            *KEPT_CANDIDATES,
        ]
        runs = {n: load_run(run if n == "base" else f"{run}_{n}")[0] for n in names}
    origins = sorted(runs["base"].rows["origin"].unique())
    councils = runs["base"].rows["council"].nunique()
    print(
        f"{run}: origins {[int(o) for o in origins]}, {councils} councils"
        + (" (partial)" if args.partial else "")
    )
    for label, excluded in (
        ("every forecast year (the rules)", ()),
        ("without 2020-21", COVID_YEARS),
    ):
        print(f"\n## {label}")
        adopt, lines = rule_1(runs, excluded)
        print("\nRule 1: entryonly against base -> " + ("adopt" if adopt else "keep base"))
        print("\n".join(f"  {line}" for line in lines))
        default = "entryonly" if adopt else "base"
        yearly, lines = rule_2(runs, default, excluded)
        print("\nRule 2: yearly shocks -> " + ("adopt" if yearly else f"keep {default}"))
        print("\n".join(f"  {line}" for line in lines))
        gap, low, high, _ = paired_council_gap(runs["notrend"], runs["base"], excluded)
        print(f"\nCheck 3: notrend - base {gap:+.3f} ({low:+.3f} to {high:+.3f})")
        if yearly:
            default = "yearly" if default == "base" else "entryonly_yearly"
        chosen, lines = rule_4(runs, default, excluded)
        print(f"\nRules 4-5 (origins 2018-2021): -> {chosen or 'keep ' + default}")
        print("\n".join(f"  {line}" for line in lines))
    if args.partial:
        print("\n(partial: nothing is decided until all five origins are in)")


if __name__ == "__main__":
    main()
