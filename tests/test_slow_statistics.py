"""Long statistical checks (``pytest -m slow``): run in CI after the fast suite."""

from __future__ import annotations

import numpy as np
import pytest

import placecast as pc
from placecast.supply import simulate_supply
from reference import simulate_reference

pytestmark = pytest.mark.slow


def test_engine_matches_reference_with_binding_random_capacity(hackney):
    """Three years with shrinking, random carer supply (capacity binds): the engine and the
    per-child reference agree on the distribution of children in in-house fostering, in IFA and
    in care, at every 31 March (means within 4 standard errors, variance ratios in [0.7, 1.4])."""
    months, ref_paths, eng_paths = 36, 300, 3000
    drivers = pc.Drivers.constant(hackney.supply, months)

    # The reference gets supply paths drawn from the same carer-supply model the engine uses.
    def places(paths: int, seed: int) -> np.ndarray:
        return simulate_supply(
            hackney.supply,
            approvals_per_year=drivers.approvals_per_year,
            deregistration_rate_per_year=drivers.deregistration_rate_per_year,
            places_per_household=drivers.places_per_household,
            paths=paths,
            rng=np.random.default_rng(seed),
        ).places

    ref = simulate_reference(
        hackney.initial, hackney.rates, places(ref_paths, 1), months=months, paths=ref_paths, seed=2
    )
    ds = pc.simulate(
        hackney.initial, hackney.rates, hackney.supply, months=months, paths=eng_paths, seed=3
    )
    eng = ds["children"].sum("age_band").values
    space = hackney.space
    for t in (12, 24, 36):
        for name, idx in (
            ("in_house", space.index("in_house_fostering")),
            ("ifa", space.index("ifa")),
        ):
            a, b = eng[:, t, idx], ref["children"][:, t, idx]
            se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
            assert abs(a.mean() - b.mean()) < 4 * se, (t, name, a.mean(), b.mean())
            assert 0.7 < a.var(ddof=1) / b.var(ddof=1) < 1.4, (t, name)
        a, b = eng[:, t].sum(axis=1), ref["children"][:, t].sum(axis=1)
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) < 4 * se, (t, "total")


def test_recruitment_saving_is_stable_across_seeds_and_tight(hackney):
    """The mean saving of a recruitment scenario agrees across independent seeds, is positive,
    and its 90% interval is under half as wide as the cost's (common random numbers)."""
    scen = pc.Scenario("recruit", extra_approvals_per_year=10)
    means = []
    for seed in (1, 2, 3):
        cmp = pc.compare(hackney, [scen], months=48, paths=1500, seed=seed)
        s = cmp.savings().sel(scenario="recruit", financial_year=2023)
        means.append(float(s.mean()))
        cost = cmp.baseline.total_cost.sel(financial_year=2023)
        width_saving = float(s.quantile(0.95) - s.quantile(0.05))
        width_cost = float(cost.quantile(0.95) - cost.quantile(0.05))
        assert width_saving < 0.5 * width_cost
    # Independent seeds agree on the mean saving within a few standard errors.
    assert np.ptp(means) < 0.25 * np.mean(means)
    assert min(means) > 0
