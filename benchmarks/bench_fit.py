"""Fit benchmark: 5 years of a ~470-child synthetic council, wall time including compilation.

Run: ``python benchmarks/bench_fit.py``. Each fit runs in a fresh process with an empty PyTensor
compile cache, so the time includes compiling the model (as on a fresh machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, time, warnings
t0 = time.perf_counter()
import placecast as pc
from placecast.data.ssda903 import episode_flows, read_ssda903
from placecast.data.synthetic import simulate_episodes
from placecast.fit import EpisodeModel
syn = simulate_episodes(pc.hackney_2020().rates, seed=1)
ep, hd = syn.write("{folder}")
t1 = time.perf_counter()
data = read_ssda903(ep, hd)
flows = episode_flows(data, pc.StateSpace(), period_start="2015-04-01", period_end="2020-03-31")
t2 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = EpisodeModel(chains={chains}, cores={cores}).fit(flows, pc.StateSpace(), seed=1)
t3 = time.perf_counter()
d = model.diagnostics_.iloc[0]
print(json.dumps(dict(episodes=len(data.episodes), children=int(data.episodes["child"].nunique()),
    read_s=t2 - t1, fit_s=t3 - t2, total_s=t3 - t0, r_hat=float(d["max_r_hat"]),
    ess_bulk=float(d["min_ess_bulk"]), divergences=int(d["divergences"]))))
"""


def in_fresh_process(code: str) -> dict:
    """Run ``code`` in a new Python with an empty PyTensor compile cache; its last printed line
    is JSON. Adds the whole process's wall time as ``process_s``."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTENSOR_FLAGS": f"compiledir={cache}"}
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["process_s"] = time.perf_counter() - t
        return result


def run(chains: int, cores: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        return in_fresh_process(CHILD.format(folder=folder, chains=chains, cores=cores))


if __name__ == "__main__":
    print(
        "| chains x cores | episodes | children | read + flows (s) | fit incl. compile (s) "
        "| whole process (s) | max R-hat | min bulk ESS | divergences |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for chains, cores in ((2, 2), (4, 2)):
        r = run(chains, cores)
        print(
            f"| {chains} x {cores} | {r['episodes']} | {r['children']} | {r['read_s']:.1f} | "
            f"{r['fit_s']:.1f} | {r['process_s']:.1f} | {r['r_hat']:.3f} | "
            f"{r['ess_bulk']:.0f} | {r['divergences']} |"
        )
