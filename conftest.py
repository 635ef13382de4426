"""Doctests that read the DfE tables get them as ``DFE_TABLES`` (``../shared/data``), and are
skipped, saying so, where that folder is not beside the checkout; ``-n auto`` starts one test
process per core this run may use, at most four."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _pytest.doctest import DoctestItem

DFE_TABLES = Path(__file__).resolve().parent.parent / "shared" / "data" / "dfe_cla_la_2015_2019"


@pytest.fixture(autouse=True)
def _dfe_tables_for_doctests(request: pytest.FixtureRequest) -> None:
    item = request.node
    if not isinstance(item, DoctestItem):
        return
    if any("DFE_TABLES" in example.source for example in item.dtest.examples):
        if not DFE_TABLES.exists():
            pytest.skip(f"DfE tables not found at {DFE_TABLES}")
        item.dtest.globs["DFE_TABLES"] = DFE_TABLES


def _usable_cores() -> int:
    """Cores this process may use: its CPU affinity, cut to a cgroup's CPU quota where one is
    set (a container's --cpus leaves the affinity at every core of the host)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cores = min(cores, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return cores


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto``: one test process per usable core, at most four. Each process compiles
    models and holds JAX and PyTensor (1-2 GB); xdist's own count reads the host's physical
    cores, which in a container can be many more than the run may use. A count set in
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` is left to xdist."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return min(_usable_cores(), 4)
