"""The README's main job (``placecast forecast`` on the embedded default) split by stage, for
this tree and an earlier commit, run alternately in fresh processes so both see the same machine
(issue 26: start-up, forecasts, each report stage).

    python benchmarks/bench_main_job.py --before dfeae3e --repeats 3

``--before`` is checked out into a temporary git worktree. Each repeat runs both trees twice:
once plain (the wall time, start-up included) and once under cProfile for the split by stage
(cumulative seconds of the named functions; the profiler slows Python-heavy stages more).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from runs_store import write_run

HERE = Path(__file__).parent
ROOT = HERE.parent

#: Stages: (label, function names whose cumulative time is the stage's).
STAGES = {
    "start-up (import placecast.cli)": ("<import>",),
    "forecasts (compare)": ("compare",),
    "CSV tables": ("write_comparison",),
    "Excel workbook": ("write_excel",),
    "charts drawn": ("comparison_charts",),
    "charts saved (PNG, SVG)": ("<savefig in write_all>",),
    "HTML report": ("write_html",),
    "results netCDF": ("save_comparison",),
}

_CHILD = r"""
import cProfile, json, pstats, sys, tempfile, time
t0 = time.perf_counter()
import placecast.cli
start = time.perf_counter() - t0
from placecast.cli import main
out = tempfile.mkdtemp()
profile = sys.argv[1] == "profile"
if profile:
    prof = cProfile.Profile()
    prof.enable()
t1 = time.perf_counter()
main(["forecast", "--out", out])
wall = time.perf_counter() - t1 + start
result = {"wall": wall, "<import>": start}
if profile:
    prof.disable()
    stats = pstats.Stats(prof).stats
    for (file, line, name), (cc, nc, tt, ct, callers) in stats.items():
        key = name
        if name == "savefig" and any(c[2] == "write_all" for c in callers):
            key = "<savefig in write_all>"
            ct = sum(v[3] for c, v in callers.items() if c[2] == "write_all")
        if file.find("placecast") >= 0 or key.startswith("<"):
            result[key] = max(result.get(key, 0.0), ct)
print("RESULT" + json.dumps(result))
"""


def _run(tree: Path, mode: str) -> dict[str, float]:
    env = {"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    line = next(s for s in done.stdout.splitlines() if s.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="commit to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    before = Path(tempfile.mkdtemp()) / "before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(before), args.before],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    rows = []
    try:
        for repeat in range(args.repeats):
            for label, tree in (("before", before), ("after", ROOT)):
                plain = _run(tree, "plain")
                split = _run(tree, "profile")
                row = {"repeat": repeat, "tree": label, "wall_s": plain["wall"]}
                for stage, names in STAGES.items():
                    row[stage] = sum(split.get(n, 0.0) for n in names)
                rows.append(row)
                print(f"{label} {repeat}: {plain['wall']:.1f} s", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT)
    table = pd.DataFrame(rows)
    medians = table.drop(columns="repeat").groupby("tree").median().T
    medians["after / before"] = medians["after"] / medians["before"]
    ratios = table.pivot(index="repeat", columns="tree", values="wall_s")
    ratios = ratios["after"] / ratios["before"]
    print(medians.round(2).to_string())
    print(f"wall after / before per repeat: {', '.join(f'{r:.2f}' for r in ratios)}")
    folder = write_run(
        "main_job_stages",
        table,
        {
            "description": "placecast forecast (embedded default, 2,000 paths, 60 months) by "
            "stage, this tree against --before, alternating in fresh processes",
            "before": args.before,
            "repeats": args.repeats,
            "machine": "2 cores, shared with a background fit run",
            "recorded_at": time.strftime("%H:%M"),
        },
    )
    medians.to_csv(folder / "medians.csv")
    print(f"rows and settings: {folder}")


if __name__ == "__main__":
    main()
