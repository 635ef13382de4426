"""``placecast.compare`` with this tree against a commit before it (taken from git), in fresh
processes run alternately, on scenarios whose levers start at month 1, 13 and 25 (issue 26:
a scenario's run is the baseline's until its levers start, so compare now carries it on from
the baseline's state there instead of running those months again).

    python benchmarks/bench_compare.py --before a8cb0a4 --paths 2000 --months 60 --repeats 3

Each process times one ``pc.compare`` on the embedded default after a warm-up comparison of
20 paths (numba's compilation is cached on disk after the first process), and reports the
mean cost saving of each scenario, which must be the same for both trees (same numbers).
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

_CHILD = r"""
import json, sys, time
src, paths, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if src:
    sys.path.insert(0, src)  # the earlier commit's package, not the working tree's
import placecast as pc
inputs = pc.hackney_2022()
starts = [1, 13, 25]
scenarios = [
    pc.Scenario(f"recruit 10 from month {m}", extra_approvals_per_year=10, from_month=m)
    for m in starts
]
pc.compare(inputs, scenarios, months=months, paths=20, seed=1)
t = time.perf_counter()
cmp = pc.compare(inputs, scenarios, months=months, paths=paths, seed=1)
wall = time.perf_counter() - t
saving = cmp.savings().sum("financial_year").mean("path").to_series()
print(json.dumps({"wall": wall, **saving.to_dict()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--paths", type=int, default=2000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--name", default="compare_branches")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": "", args.before: str(source_at(args.before, Path(tmp)))}
        for repeat in range(args.repeats):
            for tree, src in trees.items():
                command = [sys.executable, "-c", _CHILD, src, str(args.paths), str(args.months)]
                out = subprocess.run(command, capture_output=True, text=True, check=True)
                result = json.loads(out.stdout.splitlines()[-1])
                rows.append({"repeat": repeat, "tree": tree, **result})
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    wide = table.pivot(index="repeat", columns="tree", values="wall")
    print(table.groupby("tree")["wall"].agg(["min", "median", "max"]).round(2))
    print(
        "\nthis tree / before, repeat by repeat:",
        (wide["this tree"] / wide[args.before]).round(3).tolist(),
    )
    savings = table.drop(columns=["repeat", "wall"]).groupby(table["tree"]).nunique()
    print("distinct mean savings per tree (1 = the same numbers every run):")
    print(savings.to_string())
    write_run(
        args.name,
        table,
        {
            "description": "compare on scenarios starting at months 1, 13 and 25, this tree "
            "against an earlier commit, fresh processes alternated",
            "before": args.before,
            "paths": args.paths,
            "months": args.months,
            "repeats": args.repeats,
        },
    )


if __name__ == "__main__":
    main()
