"""How the engine's cost grows with the work (issue 26): paths, months, council size and
scenarios, each as a log-log slope (the scaling exponent: 1 = linear) over a grid, on the
embedded default council.

    python benchmarks/bench_scaling.py --repeats 2

Paths, months and council size time ``placecast.simulate``; scenarios time ``placecast.compare``
with 0, 1, 2, 4 and 8 recruitment scenarios (N + 1 forecasts). Each point is the best of
``--repeats``; the exponent is the least-squares slope of log time on log size. Council size
scales stock, entries, carer households and approvals together (``bench_engine.scaled``; the
run recorded on 2026-12-05 held approvals fixed).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from bench_engine import best_of, scaled
from runs_store import write_run

import placecast as pc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    council = pc.hackney_2022()
    paths, months = 2000, 60

    def engine(c: pc.CouncilInputs, p: int, m: int) -> None:
        pc.simulate(c.initial, c.rates, c.supply, months=m, paths=p, seed=1, start=c.start)

    engine(council, 100, 12)  # warm-up
    rows = []
    for p in (500, 1000, 2000, 4000, 8000):
        rows.append(("paths", p, best_of(lambda p=p: engine(council, p, months), args.repeats)))
    for m in (12, 24, 60, 120):
        rows.append(("months", m, best_of(lambda m=m: engine(council, paths, m), args.repeats)))
    for f in (1, 2, 4, 8):
        big = scaled(council, f)
        children = int(big.initial.counts.sum())
        rows.append(
            ("children", children, best_of(lambda b=big: engine(b, paths, months), args.repeats))
        )
    for n in (0, 1, 2, 4, 8):
        scenarios = [
            pc.Scenario(f"recruit {k}", extra_approvals_per_year=k) for k in range(1, n + 1)
        ]
        rows.append(
            (
                "forecasts (scenarios + 1)",
                n + 1,
                best_of(
                    lambda s=scenarios: pc.compare(council, s, months=months, paths=paths, seed=1),
                    args.repeats,
                ),
            )
        )
    table = pd.DataFrame(rows, columns=["dimension", "size", "seconds"])
    exponents = {
        dim: float(np.polyfit(np.log(g["size"]), np.log(g["seconds"]), 1)[0])
        for dim, g in table.groupby("dimension", sort=False)
    }
    print(table.to_string(index=False))
    print("\nscaling exponents (log-log slope):")
    for dim, slope in exponents.items():
        print(f"  {dim}: {slope:.2f}")
    write_run(
        "scaling",
        table,
        {
            "description": "simulate (paths, months, children) and compare (scenarios) on the "
            f"embedded default; {paths} paths and {months} months unless varied; best of "
            f"{args.repeats}",
            "exponents": exponents,
            "repeats": args.repeats,
            "machine": "2 cores, shared with the all-council fit run",
        },
    )


if __name__ == "__main__":
    main()
