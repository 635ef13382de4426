"""Batch runs on Dask (issue 25): wall time against workers, per-task overhead, bytes per task.

Councils are copies of the embedded default council's inputs under real council codes (each
with its own order of the posterior's draws, as separate fits would have), forecast with the
batch's ``ForecastJob``; fits cost a minute or more a council here, so their scaling is
reckoned from the same overhead and their measured time (see README). For each worker count
the same councils are run ``--repeats`` times into fresh folders, each on a fresh local
cluster (start-up timed apart). Overhead per task is the batch's wall time less the same
forecasts run in one process one after another, over the councils. Bytes: the pickled task
(job, code, seed) and the shared data scattered once (the published tables and England's
priors, as a fit or backtest batch sends them).

    python benchmarks/bench_batch.py --councils 8 --workers 1 2 4 --repeats 3
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from runs_store import write_run

import placecast as pc
from placecast.batch import FitJob, ForecastJob, resolve_councils, run_batch
from placecast.batch.runner import council_seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--councils", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--paths", type=int, default=1000)
    parser.add_argument("--name", default="batch_scaling")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    codes = resolve_councils(regions=["London"])[: args.councils]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = pc.hackney_2022()
        rng = np.random.default_rng(0)
        for code in codes:
            draws = rng.permutation(inputs.rates.n_draws)
            pc.save_inputs(replace(inputs, rates=inputs.rates.select_draws(draws)), f"{tmp}/{code}")
        job = ForecastJob(inputs=tmp, months=args.months, paths=args.paths)

        # The same forecasts in this process, one after another: the work without Dask.
        for repeat in range(args.repeats):
            t0 = time.perf_counter()
            for code in codes:
                job.run(code, {}, council_seed(1, code), Path(tmp) / "serial" / code)
            rows.append(
                {
                    "mode": "one process",
                    "workers": 1,
                    "repeat": repeat,
                    "startup_s": 0.0,
                    "wall_s": time.perf_counter() - t0,
                }
            )
        for repeat in range(args.repeats):
            for workers in args.workers:
                t0 = time.perf_counter()
                with (
                    LocalCluster(
                        n_workers=workers, threads_per_worker=1, dashboard_address=None
                    ) as cluster,
                    Client(cluster) as client,
                ):
                    started = time.perf_counter() - t0
                    t1 = time.perf_counter()
                    result = run_batch(
                        job, codes, Path(tmp) / f"run_{workers}_{repeat}", client=client
                    )
                    wall = time.perf_counter() - t1
                assert (result.councils["status"] == "done").all(), result.failed
                rows.append(
                    {
                        "mode": "dask",
                        "workers": workers,
                        "repeat": repeat,
                        "startup_s": started,
                        "wall_s": wall,
                    }
                )
                print(rows[-1], flush=True)

    frame = pd.DataFrame(rows)
    serial = frame.loc[frame["mode"] == "one process", "wall_s"].median()
    frame["councils"] = len(codes)
    frame["speed_up_vs_one_process"] = serial / frame["wall_s"]
    per_task = frame[frame["mode"] == "dask"].groupby("workers")["wall_s"].median()
    overhead_1 = (per_task.get(1, np.nan) - serial) / len(codes)

    shared = FitJob().shared(codes)
    task = pickle.dumps((job, codes[0], council_seed(1, codes[0])))
    record = {
        "councils": codes,
        "months": args.months,
        "paths": args.paths,
        "repeats": args.repeats,
        "serial_median_s": serial,
        "median_wall_s_by_workers": per_task.to_dict(),
        "overhead_per_task_s_one_worker": overhead_1,
        "task_bytes": len(task),
        "shared_bytes_scattered_once": len(pickle.dumps(shared)),
    }
    folder = write_run(args.name, frame, record)
    print(
        frame.groupby(["mode", "workers"])[["startup_s", "wall_s", "speed_up_vs_one_process"]]
        .median()
        .round(2)
        .to_string()
    )
    print({k: v for k, v in record.items() if k != "councils"})
    print(f"stored in {folder}")


if __name__ == "__main__":
    main()
