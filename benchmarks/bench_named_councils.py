"""The councils issue 21 names, fitted as a user would: ``placecast fit-published --council X``.

Run: ``python benchmarks/bench_named_councils.py [--councils Leeds Kent ...] [--seeds 1 2 3]``.
Each council runs the command in a fresh process with the defaults (shipped tables and national
priors, latest year), timed end to end (start-up, reading, compiling and sampling), once for
each seed (default: the command's own, 1). Records the exit code (0: the fit passed its check
and wrote inputs; 2: refused), the wall time and the fit check's line in
``benchmarks/runs/named_councils/``, and prints how many seeds each council passed with: a
council at the edge of the check passes or fails by the draw, which one run cannot show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from runs_store import write_run

PLACECAST = shutil.which("placecast") or str(Path(sys.executable).with_name("placecast"))
COUNCILS = ["Leeds", "Kent", "Birmingham", "Rutland", "City of London", "Hackney"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", nargs="+", default=COUNCILS)
    parser.add_argument("--name", default="named_councils", help="the run's folder name")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1], help="sampler seeds")
    args = parser.parse_args()
    rows = []
    for council, seed in ((c, s) for c in args.councils for s in args.seeds):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            done = subprocess.run(
                [
                    PLACECAST,
                    "fit-published",
                    "--council",
                    council,
                    "--seed",
                    str(seed),
                    "--out",
                    out,
                ],
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - t0
            diagnostics = Path(out) / "diagnostics.csv"
            diag = pd.read_csv(diagnostics).iloc[0].to_dict() if diagnostics.exists() else {}
            wrote = (Path(out) / "inputs" / "inputs.json").exists()
        check = [
            line
            for line in done.stdout.splitlines() + done.stderr.splitlines()
            if "Fit check" in line or "FAILED" in line or "passed (" in line
        ]
        rows.append(
            {
                "council": council,
                "seed": seed,
                "exit_code": done.returncode,
                "wrote_inputs": wrote,
                "seconds": round(seconds, 1),
                **{k: diag.get(k) for k in ("max_r_hat", "min_ess_bulk", "divergences")},
                "check": check[-1].strip() if check else done.stderr.strip()[-300:],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    write_run(
        args.name,
        table,
        {
            "description": "placecast fit-published --council X with the defaults, fresh process",
            "councils": args.councils,
            "seeds": args.seeds,
        },
    )
    print(table.to_string(index=False))
    passed = table.groupby("council", sort=False)["wrote_inputs"].agg(["sum", "size"])
    print(
        "passed: " + ", ".join(f"{c} {int(r['sum'])} of {r['size']}" for c, r in passed.iterrows())
    )


if __name__ == "__main__":
    main()
