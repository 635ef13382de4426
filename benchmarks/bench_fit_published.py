"""Aggregate-fit benchmark: one council's published series, wall time including compilation.

Run: ``python benchmarks/bench_fit_published.py`` (about 4 minutes). Each fit runs in a fresh
process with an empty PyTensor compile cache (as on a fresh machine), 2 chains on 2 cores, the
default settings (500 tuning steps, 500 draws per chain), years 2015-2019, with nutpie (the
default) and, for comparison, PyMC's sampler, fixed exit rates and a fixed residential /
semi-independent pull. The England fit that makes the national priors is timed the same way
(``--skip-pymc`` leaves out the two PyMC rows).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_fit import in_fresh_process

DATA = Path(__file__).parents[2] / "shared" / "data" / "dfe_cla_la_2015_2019"
CHILD = r"""
import json, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from placecast.data.dfe import read_dfe, published_counts
from placecast.fit import AggregateModel, AggregatePriors
tables = read_dfe("{data}")
counts = published_counts(tables, "{council}")
t1 = time.perf_counter()
priors = AggregatePriors({wide})
fit = AggregateModel(priors=priors, sampler="{sampler}", exit_model="{exit_model}",
    placement_model="{placement_model}")
fit = fit.fit(counts, seed=1)
t2 = time.perf_counter()
d = fit.diagnostics_.iloc[0]
print(json.dumps(dict(children=float(counts.children_in_care[-1]), read_s=t1 - t0,
    fit_s=t2 - t1, r_hat=float(d["max_r_hat"]), ess_bulk=float(d["min_ess_bulk"]),
    ess_tail=float(d["min_ess_tail"]), divergences=int(d["divergences"]))))
"""


def run(council: str, wide: str, sampler: str, exit_model: str, placement_model: str) -> dict:
    return in_fresh_process(
        CHILD.format(
            data=DATA,
            council=council,
            wide=wide,
            sampler=sampler,
            exit_model=exit_model,
            placement_model=placement_model,
        )
    )


if __name__ == "__main__":
    print(
        "| council | sampler | exit model | placement model | children (2019) "
        "| fit incl. compile (s) | whole process (s) | max R-hat | min bulk ESS | min tail ESS "
        "| divergences |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rw = "random_walk"
    cases = [
        ("Rutland", "", "nutpie", rw, rw),
        ("Hackney", "", "nutpie", rw, rw),
        ("Kent", "", "nutpie", rw, rw),
        ("Hackney", "", "nutpie", "fixed", rw),
        ("Hackney", "", "nutpie", rw, "fixed"),
        ("Hackney", "", "pymc", rw, rw),
        # The national priors' fit: wide priors, PyMC's sampler (see AggregatePriors.national).
        (
            "E92000001",
            "log_exit_scale_sd=1.0, entry_tilt_sd=1.0, move_tilt_sd=1.0, "
            "entry_age_concentration=2.0",
            "pymc",
            rw,
            "fixed",  # as AggregatePriors.national fits England for the default
        ),
    ]
    for council, wide, sampler, exit_model, placement_model in cases:
        if sampler == "pymc" and "--skip-pymc" in sys.argv:
            continue
        r = run(council, wide, sampler, exit_model, placement_model)
        name = "England (national priors)" if council == "E92000001" else council
        print(
            f"| {name} | {sampler} | {exit_model} | {placement_model} | {r['children']:,.0f} "
            f"| {r['fit_s']:.1f} "
            f"| {r['process_s']:.1f} "
            f"| {r['r_hat']:.3f} | {r['ess_bulk']:.0f} | {r['ess_tail']:.0f} "
            f"| {r['divergences']} |",
            flush=True,
        )
