"""The councils issue 21 names, fitted as a user would: ``placecast fit-published --council X``.

Run: ``python benchmarks/bench_named_councils.py [--councils Leeds Kent ...]``. Each council runs
the command in a fresh process with the defaults (shipped tables and national priors, latest
year), timed end to end (start-up, reading, compiling and sampling). Records the exit code (0:
the fit passed its check and wrote inputs; 2: refused), the wall time and the fit check's line
in ``benchmarks/runs/named_councils/``.
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
    args = parser.parse_args()
    rows = []
    for council in args.councils:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            done = subprocess.run(
                [
                    PLACECAST,
                    "fit-published",
                    "--council",
                    council,
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
        },
    )
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
