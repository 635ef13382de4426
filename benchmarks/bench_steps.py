"""The engine against the engine of a857a47 (issue 26's baseline, taken from git), against the
same step written on dense numpy arrays, and against the floor of drawing the uniforms of
a857a47's design, in fresh processes run alternately so all see the same machine (issue 26).

    python benchmarks/bench_steps.py --paths 4000 --months 60 --repeats 3 --workers 1 2

Kinds, each at each thread count: ``simulate`` (stochastic) and ``expected`` (mean field, one
draw per path) with this engine and with a857a47's (``git archive a857a47 src`` into a temporary
folder, imported instead of the working tree's); ``simulate`` with the dense numpy step on the
same keyed uniforms (``tests/reference.py``, patched in); and the floor: only the uniforms
a857a47's engine drew (one float32 per path, placement and age month each month, batches on the
same threads), which this engine no longer draws (its uniforms are keyed hashes, computed for
occupied cells only). Each process times one call after a warm-up call on 10 paths, so numba's
compilation (cached on disk after the first process) is not in the figure. The default council
has one rate draw, so its draws are copies of it with entries scaled by ``0.8 + 0.4 d / D``
(every draw differs).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
from runs_store import source_at, write_run

HERE = Path(__file__).parent
BASELINE = "a857a47"  # main when issue 26 was measured

_CHILD = r"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
kind, paths, months, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
tests, baseline = sys.argv[5], sys.argv[6]
if "a857a47" in kind:
    sys.path.insert(0, baseline)  # the baseline's package, not the working tree's
import numpy as np
import placecast as pc
from placecast.rates import Rates
if kind.endswith("numpy step"):
    sys.path.insert(0, tests)
    import placecast.engine.run as run
    import reference
    run.step_sampled = reference.step_sampled_reference
h = pc.hackney_2020()
data = h.rates.data.isel(draw=np.zeros(paths, dtype=int)).assign_coords(draw=np.arange(paths))
data["entries_per_year"] = data["entries_per_year"] * (0.8 + 0.4 * np.arange(paths) / paths)
rates = Rates(h.rates.space, data)
shape = h.initial.counts.shape

def floor(n):
    def batch(i):
        rng = np.random.default_rng(i)
        for t in range(months):
            rng.random((min(500, n - i), *shape), dtype=np.float32)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(batch, range(0, n, 500)))

def call(n):
    if kind.startswith("floor"):
        return floor(n)
    if kind.startswith("simulate"):
        return pc.simulate(h.initial, rates, h.supply, months=months, paths=n, seed=1,
                           workers=workers)
    threads = {} if "a857a47" in kind else {"workers": workers}  # a857a47 had no threads here
    return pc.expected(h.initial, rates, h.supply, months=months, draws=np.arange(n), **threads)

t = time.perf_counter(); call(10); warm = time.perf_counter() - t
t = time.perf_counter(); ds = call(paths); wall = time.perf_counter() - t
last = None if ds is None else ds["children"].isel(month=-1).sum(("placement", "age_band")).mean()
print(json.dumps({"wall": wall, "warm_up": warm,
                  "children_last_month": None if last is None else float(last)}))
"""

KINDS = (
    "simulate, this engine",
    "simulate, engine of a857a47",
    "simulate, numpy step",
    "expected, this engine",
    "expected, engine of a857a47",
    "floor: a857a47's uniforms",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=4000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--name", default="engine_steps")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = source_at(BASELINE, Path(tmp))
        for repeat in range(args.repeats):
            for workers in args.workers:
                for kind in KINDS:
                    command = [sys.executable, "-c", _CHILD, kind, str(args.paths)]
                    command += [str(args.months), str(workers), str(HERE.parent / "tests")]
                    command += [str(baseline)]
                    out = subprocess.run(command, capture_output=True, text=True, check=True)
                    result = json.loads(out.stdout.splitlines()[-1])
                    rows.append({"repeat": repeat, "workers": workers, "kind": kind, **result})
                    print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    wide = table.pivot(index=["workers", "repeat"], columns="kind", values="wall")
    ratios = pd.DataFrame(
        {
            "simulate: this / a857a47": wide[KINDS[0]] / wide[KINDS[1]],
            "simulate: this / numpy step": wide[KINDS[0]] / wide[KINDS[2]],
            "simulate: this / floor": wide[KINDS[0]] / wide[KINDS[5]],
            "expected: this / a857a47": wide[KINDS[3]] / wide[KINDS[4]],
            "expected / simulate, this engine": wide[KINDS[3]] / wide[KINDS[0]],
        }
    )
    print(table.groupby(["workers", "kind"])[["wall", "warm_up", "children_last_month"]].median())
    print("\nratios, run by run:\n" + ratios.round(3).to_string())
    if len(args.workers) > 1:
        by_threads = table.pivot_table(index=["kind", "repeat"], columns="workers", values="wall")
        speedup = by_threads[min(args.workers)] / by_threads[max(args.workers)]
        print(f"\n{max(args.workers)} threads against {min(args.workers)}, run by run:")
        print(speedup.round(2).unstack("repeat").to_string())
    write_run(
        args.name,
        table,
        {
            "description": "the engine against a857a47's, the dense numpy step and the "
            "uniform floor, fresh processes alternated",
            "baseline": BASELINE,
            "paths": args.paths,
            "months": args.months,
            "repeats": args.repeats,
            "workers": args.workers,
        },
    )


if __name__ == "__main__":
    main()
