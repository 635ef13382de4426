"""A refitted candidate against its reference: the two-condition rule of the later runs.

Run: ``python benchmarks/pair_rule.py CANDIDATE REFERENCE [--variant base] [--origins 2019 2020
2021] [--partial]``, each a ``bench_rolling.py`` run (``--partial``: its checkpoint rows,
``runs/partial/<name>/``; several names joined by ``+`` are pooled, e.g. the drift run's one
run an origin). Written for the rules of ``national_years`` and of the drift priors
(benchmarks/README.md, 2026-12-07) before either run has a row, so that applying them is
mechanical. Both runs are cut to the forecasts each holds (:func:`compare_variants.paired`) and
to ``--origins``; then, with every forecast year and without 2020-21 alike:

1. the paired gap over every cell (each council's MASE averaged over its cells, the
   candidate's median less the reference's) must have a 90% bootstrap interval over councils
   whose upper end is below zero;
2. no (measure, horizon) cell's pooled 90% coverage may be more than 5 points further from 90%
   than the reference's.

The candidate is adopted only if all four checks hold. With ``--partial`` nothing is decided.
"""

from __future__ import annotations

import argparse

import pandas as pd
from compare_variants import further_from_90, paired, paired_council_gap
from tables import variant_run

from placecast.evaluation import COVID_YEARS, Backtest


def load(names: str, variant: str, partial: bool, origins: list[int] | None) -> Backtest:
    """The run (or runs joined by ``+``, pooled) as one :class:`Backtest`, cut to ``origins``."""
    parts = [variant_run(n, variant, partial) for n in names.split("+")]
    rows = pd.concat([bt.rows for bt in parts], ignore_index=True)
    if origins:
        rows = rows[rows["origin"].isin(origins)]
    return Backtest(rows, parts[0].settings)


def rule(
    candidate: Backtest, reference: Backtest, excluded: tuple[int, ...]
) -> tuple[bool, list[str]]:
    """Both conditions on the forecasts both runs hold; the verdict and what it rests on."""
    mine, theirs = paired(candidate, reference)
    gap, low, high, councils = paired_council_gap(mine, theirs, excluded)
    further = further_from_90(mine, theirs, excluded)
    worst = further.idxmax()
    gap_ok, coverage_ok = high < 0, bool((further <= 0.05).all())
    return gap_ok and coverage_ok, [
        f"paired gap {gap:+.3f} ({low:+.3f} to {high:+.3f}), {councils} councils: "
        + ("below zero" if gap_ok else "its interval reaches zero"),
        f"most further from 90%: {further.max():+.1%} at {worst[0]} at {int(worst[1])} years: "
        + ("within 5 points" if coverage_ok else "more than 5 points"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("candidate")
    parser.add_argument("reference")
    parser.add_argument("--variant", default="base", help="the forecast variant compared")
    parser.add_argument("--origins", type=int, nargs="+", default=None)
    parser.add_argument("--partial", action="store_true", help="the rows so far; decide nothing")
    args = parser.parse_args()
    candidate = load(args.candidate, args.variant, args.partial, args.origins)
    reference = load(args.reference, args.variant, args.partial, args.origins)
    verdicts = []
    for label, excluded in (("every forecast year", ()), ("without 2020-21", COVID_YEARS)):
        ok, lines = rule(candidate, reference, excluded)
        verdicts.append(ok)
        print(f"\n## {label}: " + ("holds" if ok else "fails"))
        print("\n".join(f"  {line}" for line in lines))
    if args.partial:
        print("\n(partial: nothing is decided until the runs are complete)")
    else:
        print(
            f"\n{args.candidate} against {args.reference} ({args.variant}): "
            + ("adopt" if all(verdicts) else "keep the reference")
        )


if __name__ == "__main__":
    main()
