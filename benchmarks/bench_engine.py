"""Engine benchmark: vectorised engine vs the per-child reference loop, and scaling.

Run: ``python benchmarks/bench_engine.py`` (add ``--quick`` for a smoke run). Prints markdown
tables; the numbers in benchmarks/README.md come from one run of this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import placecast as pc
from placecast.stock import InitialStock
from placecast.supply import simulate_supply

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from reference import simulate_reference


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def scaled(inputs: pc.CouncilInputs, factor: int) -> pc.CouncilInputs:
    """A council `factor` times the size: stock, entries and carers all scaled."""
    rates = inputs.rates
    data = rates.data.copy()
    data["entries_per_year"] = data["entries_per_year"] * factor
    supply = replace(
        inputs.supply,
        households=inputs.supply.households * factor,
        approvals_per_year=inputs.supply.approvals_per_year * factor,
    )
    initial = InitialStock(inputs.space, inputs.initial.counts * factor)
    return replace(inputs, initial=initial, rates=pc.Rates(rates.space, data), supply=supply)


def run_engine(inputs: pc.CouncilInputs, paths: int, months: int, workers: int | None = None):
    return pc.simulate(
        inputs.initial,
        inputs.rates,
        inputs.supply,
        months=months,
        paths=paths,
        seed=1,
        workers=workers,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    inputs = pc.hackney_2020()
    paths, months = (400, 12) if args.quick else (4000, 60)
    ref_paths = 2 if args.quick else 8
    repeat = 1 if args.quick else 3
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"numpy {np.__version__}, python {platform.python_version()}\n"
    )

    run_engine(inputs, 100, 12)  # warm-up (imports, caches)
    t_engine = best_of(lambda: run_engine(inputs, paths, months), repeat)
    t_engine_1 = best_of(lambda: run_engine(inputs, paths, months, workers=1), repeat)

    carers = simulate_supply(
        inputs.supply,
        approvals_per_year=np.full(months, inputs.supply.approvals_per_year),
        deregistration_rate_per_year=np.full(months, inputs.supply.deregistration_rate_per_year),
        places_per_household=np.full(months, inputs.supply.places_per_household),
        paths=ref_paths,
        rng=np.random.default_rng(0),
    )
    t = time.perf_counter()
    simulate_reference(
        inputs.initial, inputs.rates, carers.places, months=months, paths=ref_paths, seed=0
    )
    t_ref_per_path = (time.perf_counter() - t) / ref_paths
    t_ref = t_ref_per_path * paths
    print(
        f"## Headline: {paths} paths x {months} months, Hackney default "
        f"({inputs.initial.total} children at start, full monthly age resolution)\n"
    )
    print("| simulator | time (s) | vs reference |")
    print("| --- | --- | --- |")
    print(
        f"| vectorised engine, default threads | {t_engine:.2f} | {t_ref / t_engine:,.0f}x faster |"
    )
    print(f"| vectorised engine, 1 thread | {t_engine_1:.2f} | {t_ref / t_engine_1:,.0f}x faster |")
    print(f"| per-child reference loop (timed on {ref_paths} paths, scaled) | {t_ref:,.0f} | 1x |")

    print(f"\n## Scaling (default threads, best of {repeat}; time in seconds)\n")
    grid_paths = [250, 500, 1000] if args.quick else [1000, 2000, 4000, 8000]
    grid_months = [12, 24] if args.quick else [12, 24, 60, 120]
    grid_factor = [1, 2] if args.quick else [1, 2, 4, 8]
    print(f"| paths ({months} months) | time | per path-month (µs) |\n| --- | --- | --- |")
    for p in grid_paths:
        tt = best_of(lambda p=p: run_engine(inputs, p, months), repeat)
        print(f"| {p} | {tt:.2f} | {tt / (p * months) * 1e6:.1f} |")
    print(f"\n| months ({paths} paths) | time | per path-month (µs) |\n| --- | --- | --- |")
    for m in grid_months:
        tt = best_of(lambda m=m: run_engine(inputs, paths, m), repeat)
        print(f"| {m} | {tt:.2f} | {tt / (paths * m) * 1e6:.1f} |")
    print(
        f"\n| council size ({paths} paths x {months} months) | children | time |"
        "\n| --- | --- | --- |"
    )
    for f in grid_factor:
        big = scaled(inputs, f)
        tt = best_of(lambda big=big: run_engine(big, paths, months), repeat)
        print(f"| x{f} | {big.initial.total} | {tt:.2f} |")


if __name__ == "__main__":
    main()
