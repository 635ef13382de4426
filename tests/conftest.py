"""Shared fixtures: the embedded default and small hand-made rate sets."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import placecast as pc
from placecast.states import N_AGE_MONTHS

sys.path.insert(0, str(Path(__file__).parent))  # for tests/reference.py

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

#: Round weekly unit costs for known-answer cost tests.
COSTS = {
    "in_house_fostering": 100.0,
    "friends_family_fostering": 100.0,
    "ifa": 200.0,
    "residential": 1000.0,
    "semi_independent": 500.0,
    "other": 0.0,
}


def make_rates(
    space: pc.StateSpace,
    *,
    entries_per_year: float = 0.0,
    exit_rate: float = 0.0,
    move: dict[tuple[str, str], float] | None = None,
    entry_placement: str = "in_house_fostering",
) -> pc.Rates:
    """Rates with one exit rate for everyone (reason ``other_exit``) and chosen moves."""
    P, B, R = space.n_placements, space.n_bands, len(space.exit_reasons)
    mix = np.zeros((B, P))
    mix[:, space.index(entry_placement)] = 1.0
    moves = np.zeros((B, P, P))
    for (src, dst), rate in (move or {}).items():
        moves[:, space.index(src), space.index(dst)] = rate
    exits = np.zeros((B, P, R))
    exits[:, :, space.exit_reasons.index("other_exit")] = exit_rate
    # Entries only in bands that every placement allows would be too strict; keep entries out of
    # placements below their minimum age by construction of ``mix`` (tests choose placements).
    return pc.Rates.build(
        space,
        entries_per_year=entries_per_year,
        entry_age_band_share=np.array([0.1, 0.2, 0.2, 0.5, 0.0]),
        entry_placement_share=mix,
        move_rate_per_year=moves,
        exit_rate_per_year=exits,
    )


@pytest.fixture(scope="session")
def space() -> pc.StateSpace:
    return pc.StateSpace()


@pytest.fixture(scope="session")
def hackney() -> pc.CouncilInputs:
    return pc.hackney_2020()


def stock(space: pc.StateSpace, *cells: tuple[str, int | list[int], int]) -> pc.InitialStock:
    """Children in care at chosen cells: ``(placement, age month(s), count)``; empty if none."""
    counts = np.zeros((space.n_placements, N_AGE_MONTHS), dtype=int)
    for placement, age_months, count in cells:
        counts[space.index(placement), age_months] = count
    return pc.InitialStock(space, counts)


def assert_conserved(ds) -> None:
    """Children are conserved every month: in total (stock change = entries - exits) and per
    placement (+ moves in - moves out). Exact for simulated counts; to 1e-9 for the mean field."""
    check = (
        np.testing.assert_array_equal
        if np.issubdtype(ds["children"].dtype, np.integer)
        else lambda a, b: np.testing.assert_allclose(a, b, atol=1e-9)
    )
    total = ds["children"].sum(("placement", "age_band"))
    flow = ds["entries"].sum("placement") - ds["exits"].sum(("placement", "exit_reason"))
    check(total.diff("month").values, flow.isel(month=slice(1, None)).values)
    by_p = ds["children"].sum("age_band")
    moves_in = ds["moves"].sum("from_placement").rename(to_placement="placement")
    moves_out = ds["moves"].sum("to_placement").rename(from_placement="placement")
    change = ds["entries"] + moves_in - moves_out - ds["exits"].sum("exit_reason")
    check(by_p.diff("month").values, change.isel(month=slice(1, None)).transpose(*by_p.dims).values)


def no_capacity_limit(households: float = 1e5) -> pc.CarerSupply:
    return pc.CarerSupply(  # a million places by default
        households=households,
        places_per_household=10.0,
        approvals_per_year=0.0,
        deregistration_rate_per_year=0.0,
    )
