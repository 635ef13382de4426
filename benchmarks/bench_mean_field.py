"""The mean field (``placecast.expected``) against the stochastic engine, and against the mean
field's previous numpy step, in fresh processes run alternately so all see the same machine
(issue 26: a 4,000-draw mean field should cost less than a 4,000-path stochastic run).

    python benchmarks/bench_mean_field.py --draws 4000 --months 60 --repeats 3

Each process times one call after a warm-up call on 10 draws (so numba's compilation, cached
on disk after the first process, is not in the figure; the first process's compile time is
reported apart). The default council has one rate draw, so its draws are scaled copies of it:
the entries of draw ``d`` are multiplied by ``0.8 + 0.4 d / D``, which makes every draw's
numbers its own (no draw can be computed once and copied). The previous step is the dense numpy
formulation kept in ``tests/reference.py``, patched in for the ``numpy step`` rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
from runs_store import write_run

HERE = Path(__file__).parent

_CHILD = r"""
import json, sys, time
import numpy as np
import placecast as pc
import placecast.engine.run as run
from placecast.rates import Rates

kind, draws, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if kind == "numpy step":
    sys.path.insert(0, sys.argv[4])
    from reference import step_expected_reference
    run.step_expected = step_expected_reference
h = pc.hackney_2020()
data = h.rates.data.isel(draw=np.zeros(draws, dtype=int)).assign_coords(draw=np.arange(draws))
data["entries_per_year"] = data["entries_per_year"] * (0.8 + 0.4 * np.arange(draws) / draws)
rates = Rates(h.rates.space, data)
def call(n):
    if kind == "stochastic":
        return pc.simulate(h.initial, rates, h.supply, months=months, paths=n, seed=1)
    return pc.expected(h.initial, rates, h.supply, months=months, draws=np.arange(n))
t = time.perf_counter(); call(10); warm = time.perf_counter() - t
t = time.perf_counter(); ds = call(draws); wall = time.perf_counter() - t
last = ds["children"].isel(month=-1).sum(("placement", "age_band")).mean()
print(json.dumps({"wall": wall, "warm_up": warm, "children_last_month": float(last)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="mean_field")
    args = parser.parse_args()
    kinds = ("mean field (compiled step)", "numpy step", "stochastic")
    rows = []
    for repeat in range(args.repeats):
        for kind in kinds:
            child = "compiled" if kind.startswith("mean field") else kind
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _CHILD,
                    child,
                    str(args.draws),
                    str(args.months),
                    str(HERE.parent / "tests"),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append({"repeat": repeat, "kind": kind, **json.loads(out.stdout.splitlines()[-1])})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    wide = table.pivot(index="repeat", columns="kind", values="wall")
    ratios = pd.DataFrame(
        {
            "compiled / stochastic": wide[kinds[0]] / wide["stochastic"],
            "compiled / numpy step": wide[kinds[0]] / wide["numpy step"],
        }
    )
    print(table.groupby("kind")[["wall", "warm_up", "children_last_month"]].median().round(3))
    print("\nratios, repeat by repeat:\n" + ratios.round(3).to_string())
    write_run(
        args.name,
        table,
        {
            "description": "4,000-draw mean field against the stochastic run and the previous "
            "numpy step, fresh processes alternated",
            "draws": args.draws,
            "months": args.months,
            "repeats": args.repeats,
            "ratios": ratios.round(4).to_dict("list"),
        },
    )


if __name__ == "__main__":
    main()
