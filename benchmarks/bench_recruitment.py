"""Time the recruitment curve (``placecast recruit``) on the embedded default.

Run: ``python benchmarks/bench_recruitment.py`` (about 3 minutes on 2 cores). Issue 24's target:
one run at most 60 s on 2 cores for a five-year horizon on the default council. Times
``placecast.recruitment_curve`` with its default 8 candidates at 60 months for 500, 1,000 and
2,000 paths a candidate, and at 1,000 paths for 4 and 8 candidates (how cost grows with the
work), each best of two, in one process, and prints a Markdown table.
"""

from __future__ import annotations

import time

import placecast as pc
from placecast.scenario.recruitment import DEFAULT_APPROVALS


def timed(candidates: tuple[float, ...], paths: int) -> float:
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        pc.recruitment_curve(pc.hackney_2022(), candidates, months=60, paths=paths, seed=1)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    pc.recruitment_curve(pc.hackney_2022(), [0, 5], months=12, paths=20)  # warm caches
    print("| candidates | paths each | seconds (best of 2) | per candidate-path (ms) |")
    print("| --- | --- | --- | --- |")
    for candidates, paths in (
        (DEFAULT_APPROVALS, 500),
        (DEFAULT_APPROVALS, 1000),
        (DEFAULT_APPROVALS, 2000),
        (DEFAULT_APPROVALS[::2], 1000),
    ):
        seconds = timed(candidates, paths)
        per = 1000 * seconds / (len(candidates) * paths)
        print(f"| {len(candidates)} | {paths} | {seconds:.1f} | {per:.2f} |")


if __name__ == "__main__":
    main()
