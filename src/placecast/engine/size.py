"""How much memory and time a run needs, estimated before it starts.

A run keeps every path's monthly counts (children by placement and age band, entries, exits,
moves, overflow, carer supply) for every forecast it holds, so its memory grows with
paths x months x forecasts. Too large a run used to fail late - a ``MemoryError`` after the
progress bar, or 21.8 GB of memory - so :func:`run_size` estimates it up front and
:meth:`RunSize.check` refuses one that cannot fit, with the numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from placecast.errors import ConfigError
from placecast.states import StateSpace

__all__ = ["MAX_MONTHS", "MEMORY_SHARE", "RunSize", "physical_memory", "run_size"]

#: Longest horizon a run may have: 50 years, past any budget plan and long enough for the whole
#: cohort to turn over almost three times (a child leaves care at 18 at the latest).
MAX_MONTHS = 600
#: Share of the machine's physical memory a run may plan to use.
MEMORY_SHARE = 0.8
#: Peak memory over the bytes of the results kept: 1.5 measured (the CLI's forecast, 2,000 and
#: 16,000 paths x 60 months, Hackney), rounded up for the copies that summaries make.
_PEAK_OVER_RESULTS = 2.0
#: Fixed memory of a process that has imported placecast and its libraries (measured: 0.5 GB).
_BASE_BYTES = 500 * 2**20
#: Seconds per path-month of one forecast (engine, costs and tables) at 432 children: 30 us
#: measured end to end on 2 cores (16,000 paths x 60 months, two forecasts: 69 s).
_SECONDS_PER_PATH_MONTH = 30e-6
_REFERENCE_CHILDREN = 432.0
#: Time grows as children ** 0.67 (x8 children took x4 time in benchmarks/README.md): the per
#: cell work does not grow with the children, only leavers and entrants do.
_CHILDREN_EXPONENT = 0.67


@dataclass(frozen=True)
class RunSize:
    """Estimated memory and time of a run of ``runs`` forecasts.

    Attributes
    ----------
    paths, months, runs
        The run: paths per forecast, horizon in months, forecasts held together (a comparison
        holds the baseline and each scenario).
    memory_bytes
        Estimated peak memory.
    seconds
        Rough wall time on 2 cores (engine, costs and tables; charts and files not included).
    """

    paths: int
    months: int
    runs: int
    memory_bytes: int
    seconds: float

    def describe(self) -> str:
        """The run and its estimate in words, e.g. for a console line."""
        forecasts = "forecast" if self.runs == 1 else "forecasts"
        minutes = self.seconds / 60
        if minutes < 2:
            took = f"{self.seconds:.0f} s"
        else:
            took = f"{minutes:.0f} minutes" if minutes < 120 else f"{minutes / 60:.1f} hours"
        return (
            f"{self.paths:,} paths x {self.months:,} months x {self.runs} {forecasts}: about "
            f"{self.memory_bytes / 2**30:.1f} GB of memory and {took}"
        )

    def check(self, *, available_bytes: int | None = None) -> None:
        """Refuse a run longer than :data:`MAX_MONTHS` or needing more than
        :data:`MEMORY_SHARE` of ``available_bytes`` (default: this machine's physical memory).

        Raises
        ------
        ConfigError
            Naming the run's size, the limit and what to cut.
        """
        if self.months > MAX_MONTHS:
            raise ConfigError(
                f"months={self.months:,} is more than the {MAX_MONTHS} months (50 years) a run "
                "may cover; use a shorter horizon"
            )
        memory = physical_memory() if available_bytes is None else available_bytes
        if memory is not None and self.memory_bytes > MEMORY_SHARE * memory:
            raise ConfigError(
                f"this run needs more memory than this machine has: {self.describe()}, "
                f"against {MEMORY_SHARE * memory / 2**30:.1f} GB allowed "
                f"({MEMORY_SHARE:.0%} of {memory / 2**30:.1f} GB); use fewer paths "
                "(intervals settle by about 2,000), fewer months or fewer scenarios"
            )


def run_size(
    space: StateSpace, *, paths: int, months: int, runs: int = 1, children: float | None = None
) -> RunSize:
    """Estimate the memory and time of ``runs`` forecasts of ``paths`` x ``months``.

    Parameters
    ----------
    space
        The council's state space (placements, age bands, exit reasons).
    paths, months, runs
        Paths per forecast, horizon, forecasts held together.
    children
        Children in care at the start (the time grows with them); default: 432, Hackney's.
    """
    P, B, R = space.n_placements, space.n_bands, len(space.all_exit_reasons)
    # int32 children by band, entries, exits, moves and two overflow counts; float64 supply.
    per_path_month = 4 * (P * B + P + P * R + P * P + 2) + 8 * 4
    results = paths * (months + 1) * per_path_month * runs
    scale = (max(children or _REFERENCE_CHILDREN, 1.0) / _REFERENCE_CHILDREN) ** _CHILDREN_EXPONENT
    seconds = _SECONDS_PER_PATH_MONTH * scale * paths * months * runs
    return RunSize(
        paths=paths,
        months=months,
        runs=runs,
        memory_bytes=int(_BASE_BYTES + _PEAK_OVER_RESULTS * results),
        seconds=seconds,
    )


def physical_memory() -> int | None:
    """The memory this process may use, in bytes: the machine's physical memory, or a
    container's lower limit (cgroup v2 ``memory.max``); ``None`` where the system does not say."""
    limits = []
    try:
        limits.append(int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")))
    except (AttributeError, ValueError, OSError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            text = fh.read().strip()
        if text.isdigit():
            limits.append(int(text))
    except OSError:
        pass
    return min(limits) if limits else None
