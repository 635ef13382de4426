"""Rules A and B of "Surprises that pass, and children in care counted as counted"
(benchmarks/README.md, written 2026-12-07, 15:20, before any scoring of the candidates).

Run: ``python benchmarks/surprise_rules.py [--prefix reforecast_76_none]``, after
``reforecast_fits.py`` has stored the runs ``<prefix>_default``, ``<prefix>_passing``
(``--set forecast_shocks=passing``), ``<prefix>_stocknone`` (``--set stock_noise=none``) and
``<prefix>_both`` (the two), every one a reforecast of the same saved fits by one commit; one
pass makes the four: ``python benchmarks/reforecast_fits.py --fits benchmarks/.fits_76_none
--name reforecast_76_none --variant default --variant passing:forecast_shocks=passing --variant
stocknone:stock_noise=none --variant both:forecast_shocks=passing,stock_noise=none``. It
only applies the rules as written. With every forecast year and without 2020-21 alike, a
candidate passes against the default if:

1. the paired gap in MASE (candidate minus default) over every cell has a 90% bootstrap
   interval over councils whose upper end is at most +0.02;
2. the mean absolute distance of pooled 50% and 90% coverage from nominal over the three stocks
   (children in care, fostering, residential + semi-independent) falls by at least 1.5 points:
   at two and three years for A (``passing``; its first year is the default's, the same draws),
   at one to three years for B (``stocknone``) and for ``both``;
3. no cell of the 30 (five measures, three horizons, 50% and 90%) has its pooled coverage more
   than 2.5 points further from nominal than the default's.

If A and B both pass, ``both`` is adopted only if it passes B's test; otherwise the one whose
(2) falls more (every forecast year). Nothing is decided unless the rows hold every origin
2017-2021.
"""

from __future__ import annotations

import argparse

import pandas as pd
from compare_variants import paired, paired_council_gap
from tables import load_run

from placecast.evaluation import COVID_YEARS, Backtest

STOCKS = ("children_in_care", "fostering", "residential_semi_independent")
ORIGINS = {2017, 2018, 2019, 2020, 2021}
NOMINAL = {"coverage_50": 0.5, "coverage_90": 0.9}


def distance(bt: Backtest, excluded: tuple[int, ...]) -> pd.DataFrame:
    """Each (measure, horizon) cell's pooled coverage's distance from nominal, 50% and 90%."""
    table = bt.by_horizon(exclude_years=excluded, resamples=10)
    return pd.DataFrame({c: (table[c] - n).abs() for c, n in NOMINAL.items()})


def judge(
    candidate: Backtest, default: Backtest, horizons: tuple[int, ...], excluded: tuple[int, ...]
) -> tuple[bool, float, list[str]]:
    """The three conditions; the verdict, the fall in (2) and what they rest on."""
    mine, theirs = paired(candidate, default)
    gap, low, high, councils = paired_council_gap(mine, theirs, excluded)
    near, far = distance(mine, excluded), distance(theirs, excluded)
    # Every cell is held by a complete run; a part of one may lack some (no groups in 2020).
    cells = [(m, h) for m in STOCKS for h in horizons if (m, h) in far.index]
    fall = float(far.loc[cells].to_numpy().mean() - near.loc[cells].to_numpy().mean())
    further = (near - far).stack()
    worst = further.idxmax()
    checks = (high <= 0.02, fall >= 0.015, bool(further.max() <= 0.025))
    return (
        all(checks),
        fall,
        [
            f"(1) paired MASE gap {gap:+.3f} ({low:+.3f} to {high:+.3f}), {councils} councils: "
            + ("holds" if checks[0] else "fails"),
            f"(2) stocks' coverage distance from nominal over {len(cells)} (measure, horizon)"
            f" cells {far.loc[cells].to_numpy().mean():.3f} -> "
            f"{near.loc[cells].to_numpy().mean():.3f} (fall {fall * 100:+.1f} points): "
            + ("holds" if checks[1] else "fails"),
            f"(3) most further from nominal: {further.max() * 100:+.1f} points at {worst[0]} "
            f"{int(worst[1])} years {worst[2]}: " + ("holds" if checks[2] else "fails"),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefix", default="reforecast_76_none")
    args = parser.parse_args()
    runs = {
        k: load_run(f"{args.prefix}_{k}")[0] for k in ("default", "passing", "stocknone", "both")
    }
    for label, excluded in (("every forecast year", ()), ("without 2020-21", COVID_YEARS)):
        table = pd.concat(
            {
                k: bt.by_horizon(exclude_years=excluded, resamples=10)[
                    ["median_mase_placecast", "coverage_50", "coverage_90"]
                ]
                for k, bt in runs.items()
            },
            axis=1,
        )
        print(f"\n## MASE and pooled coverage, {label}\n")
        print(table.round(3).to_string())
    held = set(runs["default"].rows["origin"].unique())
    complete = held >= ORIGINS
    verdicts: dict[str, tuple[bool, float]] = {}
    for name, horizons in (("passing", (2, 3)), ("stocknone", (1, 2, 3)), ("both", (1, 2, 3))):
        oks, falls = [], []
        for label, excluded in (("every forecast year", ()), ("without 2020-21", COVID_YEARS)):
            ok, fall, lines = judge(runs[name], runs["default"], horizons, excluded)
            oks.append(ok)
            falls.append(fall)
            print(f"\n## {name}, {label}: " + ("passes" if ok else "fails"))
            print("\n".join(f"  {line}" for line in lines))
        verdicts[name] = (all(oks), falls[0])
    if not complete:
        origins = sorted(int(o) for o in held)
        print(f"\nOrigins held: {origins}: nothing is decided until 2017-2021 are all in.")
        return
    a, b = verdicts["passing"][0], verdicts["stocknone"][0]
    if a and b:
        if verdicts["both"][0]:
            choice = "both"
        else:
            choice = max(("passing", "stocknone"), key=lambda k: verdicts[k][1])
    else:
        choice = "passing" if a else "stocknone" if b else "the default"
    print(f"\nAdopt: {choice}")


if __name__ == "__main__":
    main()
