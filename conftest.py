"""Doctests that read the DfE tables get them as ``DFE_TABLES`` (``../shared/data``), and are
skipped, saying so, where that folder is not beside the checkout."""

from __future__ import annotations

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
