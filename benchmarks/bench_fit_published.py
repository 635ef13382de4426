"""Aggregate-fit benchmark: one council's published series, wall time including compilation.

Run: ``python benchmarks/bench_fit_published.py`` (about 6 minutes). Each fit runs in a fresh
process with an empty PyTensor compile cache (as on a fresh machine), 2 chains on 2 cores, the
default settings (300 tuning steps, 500 draws per chain, nutpie with a low-rank mass matrix),
years 2015-2019; for comparison Hackney and Kent with a diagonal mass matrix, and Hackney with
PyMC's sampler. The England fit that makes the national priors is timed the same way
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
fit = AggregateModel(priors=priors, sampler="{sampler}", mass_matrix={mass_matrix!r},
    placement_model="{placement_model}")
fit = fit.fit(counts, seed=1)
t2 = time.perf_counter()
d = fit.diagnostics_.iloc[0]
steps = fit.idata_.sample_stats["n_steps"] if "n_steps" in fit.idata_.sample_stats else None
print(json.dumps(dict(children=float(counts.children_in_care[-1]), read_s=t1 - t0,
    fit_s=t2 - t1, r_hat=float(d["max_r_hat"]), ess_bulk=float(d["min_ess_bulk"]),
    ess_tail=float(d["min_ess_tail"]), divergences=int(d["divergences"]),
    steps=float("nan") if steps is None else float(steps.mean()))))
"""


def run(
    council: str, wide: str, sampler: str, mass_matrix: str | None, placement_model: str
) -> dict:
    return in_fresh_process(
        CHILD.format(
            data=DATA,
            council=council,
            wide=wide,
            sampler=sampler,
            mass_matrix=mass_matrix,
            placement_model=placement_model,
        )
    )


if __name__ == "__main__":
    print(
        "| council | sampler | mass matrix | children (2019) | fit incl. compile (s) "
        "| whole process (s) | leapfrog steps per draw | max R-hat | min bulk ESS | min tail ESS "
        "| divergences |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rw = "random_walk"
    cases = [
        ("Rutland", "", "nutpie", None, rw),
        ("Hackney", "", "nutpie", None, rw),
        ("Kent", "", "nutpie", None, rw),
        ("Hackney", "", "nutpie", "diagonal", rw),
        ("Kent", "", "nutpie", "diagonal", rw),
        ("Hackney", "", "pymc", None, rw),
        # The national priors' fit: wide priors, PyMC's sampler (see national_priors).
        (
            "E92000001",
            "log_exit_scale_sd=1.0, entry_tilt_sd=1.0, move_tilt_sd=1.0, "
            "entry_age_concentration=2.0",
            "pymc",
            None,
            "fixed",  # as national_priors fits England for the default
        ),
    ]
    for council, wide, sampler, mass_matrix, placement_model in cases:
        if sampler == "pymc" and "--skip-pymc" in sys.argv:
            continue
        r = run(council, wide, sampler, mass_matrix, placement_model)
        name = "England (national priors)" if council == "E92000001" else council
        shown = mass_matrix or ("low_rank" if sampler == "nutpie" else "diagonal")
        print(
            f"| {name} | {sampler} | {shown} | {r['children']:,.0f} "
            f"| {r['fit_s']:.1f} | {r['process_s']:.1f} | {r['steps']:.0f} "
            f"| {r['r_hat']:.3f} | {r['ess_bulk']:.0f} | {r['ess_tail']:.0f} "
            f"| {r['divergences']} |",
            flush=True,
        )
