"""The engine: conservation, capacity, known answers, reproducibility, agreement with a
per-child reference simulator, and the mean-field model."""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import placecast as pc
from conftest import assert_conserved, make_rates, no_capacity_limit, stock
from placecast.states import N_AGE_MONTHS
from reference import simulate_reference


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    households=st.integers(0, 120),
    approvals=st.floats(0, 30),
    batch=st.integers(1, 7),
)
def test_children_are_conserved_and_capacity_holds(hackney, seed, households, approvals, batch):
    supply = pc.CarerSupply(
        households=households,
        places_per_household=1.8,
        approvals_per_year=approvals,
        deregistration_rate_per_year=0.2,
        unusable_place_share=0.1,
    )
    ds = pc.simulate(
        hackney.initial, hackney.rates, supply, months=14, paths=9, seed=seed, batch_paths=batch
    )
    assert_conserved(ds)
    in_house = ds["children"].sum("age_band").sel(placement="in_house_fostering")
    assert (
        in_house.isel(month=slice(1, None)) <= ds["in_house_places"].isel(month=slice(1, None))
    ).all()
    assert (ds["children"] >= 0).all()
    si = ds["children"].sel(placement="semi_independent")
    assert int(si.sel(age_band=["under_1", "1_4", "5_9", "10_15"]).sum()) == 0


def test_pure_exits_match_exponential_decay(space):
    # 1,000 children aged 5, no entries, exit rate 0.5 a year, no capacity limit.
    initial = stock(space, ("ifa", 60, 1000))
    rates = make_rates(space, exit_rate=0.5)
    ds = pc.simulate(initial, rates, no_capacity_limit(), months=24, paths=400, seed=7)
    total = ds["children"].sum(("placement", "age_band"))
    t = np.arange(25)
    expected = 1000 * np.exp(-0.5 * t / 12)
    mean = total.mean("path").values
    sd = np.sqrt(1000 * np.exp(-0.5 * t / 12) * (1 - np.exp(-0.5 * t / 12)) / 400)
    assert np.all(np.abs(mean - expected) <= 4 * sd + 1e-9)
    # The mean-field model gives the exact expectation.
    e = pc.expected(initial, rates, no_capacity_limit(), months=24)
    np.testing.assert_allclose(
        e["children"].sum(("placement", "age_band")).values[0], expected, rtol=1e-10
    )


def _with(base: pc.Rates, **changes) -> pc.Rates:
    keep = {n: base.data[n] for n in pc.rates.RATE_DIMS if n not in changes}
    return pc.Rates.build(base.space, **keep, **changes)


def test_paths_of_levels_by_forecast_year_known_answers(space):
    """A fitted path of levels is a multiplier in each forecast year, the last held after it:
    exit levels 1, 0.8, 0.64 are the same rates as exit rates 20% lower each year; entry levels
    1, 2 double the entries from the second year on; the pull path moves the entry mix."""
    initial = stock(space, ("ifa", 60, 1000))
    base = make_rates(space, exit_rate=0.5, entries_per_year=120.0)
    by_change = _with(base, exit_change_per_year=-0.2)
    by_level = _with(base, exit_level_by_year=[1.0, 0.8, 0.64])
    months = 36
    e_change = pc.expected(initial, by_change, no_capacity_limit(), months=months)
    e_level = pc.expected(initial, by_level, no_capacity_limit(), months=months)
    np.testing.assert_allclose(e_level["children"].values, e_change["children"].values, rtol=1e-12)
    assert by_level.changes_by_year and by_level.n_forecast_years == 3
    doubled = _with(base, entry_level_by_year=[1.0, 2.0])
    e = pc.expected(initial, doubled, no_capacity_limit(), months=months)
    entries = e["entries"].sum("placement").isel(path=0).values
    np.testing.assert_allclose(entries[1:13], 10.0)
    np.testing.assert_allclose(entries[13:], 20.0)  # year 3 keeps year 2's level
    # Pull: weight of IFA in the entry mix doubled in year 2 (half and half with in-house).
    mix = np.zeros((space.n_bands, space.n_placements))
    mix[:, space.index("in_house_fostering")] = mix[:, space.index("ifa")] = 0.5
    pull = np.ones((2, space.n_placements))
    pull[1, space.index("ifa")] = 3.0
    pulled = _with(base, entry_placement_share=mix, pull_level_by_year=pull)
    by_year = pc.expected(initial, pulled, no_capacity_limit(), months=24)["entries"]
    ifa = by_year.sel(placement="ifa").isel(path=0).values
    np.testing.assert_allclose(ifa[1:13], 5.0)
    np.testing.assert_allclose(ifa[13:25], 7.5)  # 3 / (3 + 1) of 10


def test_paths_of_levels_refuse_bad_values(space):
    base = make_rates(space, exit_rate=0.5)
    with pytest.raises(pc.ConfigError, match=r"exit_level_by_year\[.*\] must be > 0"):
        _with(base, exit_level_by_year=[1.0, 0.0])
    with pytest.raises(pc.ConfigError, match="entry_level_by_year has 2 forecast years, others"):
        _with(base, exit_level_by_year=[1.0, 0.9, 0.8], entry_level_by_year=[1.0, 1.1])
    with pytest.raises(pc.ConfigError, match="at least one forecast year"):
        _with(base, exit_level_by_year=np.ones((1, 0)))
    with pytest.raises(pc.ConfigError, match="exit_level_by_year.* is not finite"):
        _with(base, exit_level_by_year=[1.0, np.nan])


def test_exit_rates_change_year_by_year(space):
    # Exit rate 0.5 a year in the first forecast year, then 20% lower each year: known decay.
    initial = stock(space, ("ifa", 60, 1000))
    base = make_rates(space, exit_rate=0.5)
    rates = pc.Rates.build(
        space,
        **{name: base.data[name] for name in pc.rates.RATE_DIMS if name != "exit_change_per_year"},
        exit_change_per_year=-0.2,
    )
    e = pc.expected(initial, rates, no_capacity_limit(), months=30)
    t = np.arange(31)
    # Cumulative hazard: 0.5 per year in year 0, 0.4 in year 1, 0.32 in year 2.
    hazard = np.select(
        [t <= 12, t <= 24], [0.5 * t / 12, 0.5 + 0.4 * (t - 12) / 12], 0.9 + 0.32 * (t - 24) / 12
    )
    np.testing.assert_allclose(
        e["children"].sum(("placement", "age_band")).values[0], 1000 * np.exp(-hazard), rtol=1e-10
    )
    # The simulated mean agrees, and no change at all is the constant model.
    ds = pc.simulate(initial, rates, no_capacity_limit(), months=30, paths=400, seed=3)
    total = ds["children"].sum(("placement", "age_band")).mean("path").values
    p = np.exp(-hazard)
    assert np.all(np.abs(total - 1000 * p) <= 4 * np.sqrt(1000 * p * (1 - p) / 400) + 1e-9)
    assert rates.exits_change and not base.exits_change
    with pytest.raises(pc.ConfigError, match="exit_change_per_year must be > -1"):
        pc.Rates.build(
            space,
            **{n: base.data[n] for n in pc.rates.RATE_DIMS if n != "exit_change_per_year"},
            exit_change_per_year=-1.0,
        )


def test_pull_of_a_placement_changes_year_by_year(space):
    """Known answer for ``pull_change_per_year``: residential's pull grows 50% a year, so moves
    from IFA into it are 1.5 times as frequent each year and moves out of it 1.5 times rarer;
    the entry mix shifts towards it the same way."""
    initial = stock(space, ("ifa", 120, 1000))  # aged 10: 30 months stay in one age band
    base = make_rates(space, move={("ifa", "residential"): 0.3, ("residential", "ifa"): 0.2})
    pull = np.where(np.array(space.placement_names) == "residential", 0.5, 0.0)
    rates = pc.Rates.build(
        space,
        **{n: base.data[n] for n in pc.rates.RATE_DIMS if n != "pull_change_per_year"},
        pull_change_per_year=pull,
    )
    assert rates.changes_by_year and not rates.exits_change and not base.changes_by_year
    e = pc.expected(initial, rates, no_capacity_limit(), months=30)
    resid = e["children"].isel(path=0).sel(placement="residential").sum("age_band").values
    x, want = np.array([1000.0, 0.0]), [0.0]
    for t in range(1, 31):
        f = 1.5 ** ((t - 1) // 12)
        q = np.array([[-0.3 * f, 0.3 * f], [0.2 / f, -0.2 / f]])
        x = x @ scipy.linalg.expm(q / 12)
        want.append(x[1])
    np.testing.assert_allclose(resid, want, rtol=1e-9)
    # The entry mix: half in-house, half IFA; IFA's pull doubles each year.
    ds = base.data
    mix = np.zeros_like(ds["entry_placement_share"].values[0])
    mix[:, [space.index("in_house_fostering"), space.index("ifa")]] = 0.5
    doubling = np.where(np.array(space.placement_names) == "ifa", 1.0, 0.0)
    shifted = pc.Rates.build(
        space,
        **{
            n: ds[n]
            for n in pc.rates.RATE_DIMS
            if n not in ("pull_change_per_year", "entry_placement_share")
        },
        entry_placement_share=mix,
        pull_change_per_year=doubling,
    ).in_year(2)
    share = shifted.data["entry_placement_share"].isel(draw=0, age_band=0)
    assert float(share.sel(placement="ifa")) == pytest.approx(0.8)  # 4 : 1
    with pytest.raises(pc.ConfigError, match="pull_change_per_year must be > -1"):
        pc.Rates.build(
            space,
            **{n: ds[n] for n in pc.rates.RATE_DIMS if n != "pull_change_per_year"},
            pull_change_per_year=-1.0,
        )


def test_eighteenth_birthday_is_an_exact_exit(space):
    initial = stock(
        space,
        ("semi_independent", N_AGE_MONTHS - 1, 5),  # 17 years 11 months
        ("semi_independent", N_AGE_MONTHS - 2, 3),  # 17 years 10 months
    )
    ds = pc.simulate(
        initial,
        make_rates(space),
        no_capacity_limit(),
        months=3,
        paths=2,
        seed=0,
    )
    aged = ds["exits"].sel(exit_reason="aged_18").sum("placement")
    assert aged.isel(path=0).values.tolist() == [0, 5, 3, 0]
    assert int(ds["children"].isel(month=-1).sum()) == 0


def test_capacity_overflow_goes_to_ifa_youngest_first(space):
    # 10 entrants a month on average, all wanting in-house; only 3 places, nobody leaves.
    supply = pc.CarerSupply(
        households=3, places_per_household=1, approvals_per_year=0, deregistration_rate_per_year=0
    )
    empty = stock(space)
    ds = pc.simulate(
        empty, make_rates(space, entries_per_year=120), supply, months=6, paths=50, seed=3
    )
    by_p = ds["children"].sum("age_band")
    entered = ds["entries"].sum("placement").cumsum("month")
    assert (by_p.sel(placement="in_house_fostering") == np.minimum(entered, 3)).all()
    assert (by_p.sel(placement="ifa") == entered - np.minimum(entered, 3)).all()
    assert int(ds["redirected_to_overflow"].sum()) == int(
        (entered.isel(month=-1) - 3).clip(0).sum()
    )


def test_places_freed_later_are_not_refilled_from_ifa(space):
    # Capacity grows (approvals) while children already in IFA stay there.
    supply = pc.CarerSupply(
        households=0, places_per_household=1, approvals_per_year=120, deregistration_rate_per_year=0
    )
    ds = pc.simulate(
        stock(space, ("ifa", 100, 20)), make_rates(space), supply, months=6, paths=5, seed=1
    )
    assert (ds["children"].sum("age_band").sel(placement="ifa") == 20).all()


def test_falling_capacity_displaces_the_oldest(space):
    supply = pc.CarerSupply(
        households=6, places_per_household=1, approvals_per_year=0, deregistration_rate_per_year=0
    )
    initial = stock(space, ("in_house_fostering", [24, 120], 5))
    ds = pc.simulate(initial, make_rates(space), supply, months=1, paths=2, seed=1)
    end = ds["children"].isel(month=1, path=0)
    assert int(end.sel(placement="in_house_fostering", age_band="1_4")) == 5
    assert int(end.sel(placement="in_house_fostering", age_band="10_15")) == 1
    assert int(end.sel(placement="ifa", age_band="10_15")) == 4
    assert int(ds["displaced_to_overflow"].isel(month=1, path=0)) == 4


def test_same_seed_same_forecast_whatever_the_threads(hackney):
    kw = dict(months=12, paths=40, seed=11, batch_paths=15)
    a = pc.simulate(hackney.initial, hackney.rates, hackney.supply, workers=1, **kw)
    b = pc.simulate(hackney.initial, hackney.rates, hackney.supply, workers=3, **kw)
    c = pc.simulate(hackney.initial, hackney.rates, hackney.supply, workers=1, **{**kw, "seed": 12})
    assert a.equals(b)
    assert not a["children"].equals(c["children"])


def test_a_paths_numbers_do_not_depend_on_its_batch(hackney):
    """Uniforms are keyed by (seed, month, path, cell), so batching changes nothing, and with
    places to spare (carer supply is drawn for all paths at once) the first paths of a longer
    run are the shorter run's paths."""
    kw = dict(months=14, seed=5, workers=1)
    a = pc.simulate(hackney.initial, hackney.rates, hackney.supply, paths=30, batch_paths=500, **kw)
    b = pc.simulate(hackney.initial, hackney.rates, hackney.supply, paths=30, batch_paths=7, **kw)
    assert a.equals(b)
    assert a["redirected_to_overflow"].sum() > 0  # capacity binds: supply and engine both same
    spare = no_capacity_limit()
    short = pc.simulate(hackney.initial, hackney.rates, spare, paths=30, **kw)
    longer = pc.simulate(hackney.initial, hackney.rates, spare, paths=45, batch_paths=8, **kw)
    first = longer.isel(path=slice(30))
    for name in ("children", "entries", "exits", "moves"):
        np.testing.assert_array_equal(first[name].values, short[name].values, err_msg=name)


def test_the_engine_runs_where_numba_cannot_write_its_cache(hackney):
    """A read-only install and home (no place for numba's cache) compiles the kernels afresh
    instead of failing at import; the numbers are the same."""
    import subprocess
    import sys

    script = (
        "import placecast as pc; h = pc.hackney_2022(); "
        "ds = pc.simulate(h.initial, h.rates, h.supply, months=3, paths=5, seed=1); "
        "print(int(ds['children'].isel(month=-1).sum()))"
    )
    # numba's zip-file locator only: no locator for an ordinary file, as when nothing is writable
    env = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "ZipCacheLocator"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    here = pc.hackney_2022()
    ds = pc.simulate(here.initial, here.rates, here.supply, months=3, paths=5, seed=1)
    assert int(run.stdout.split()[-1]) == int(ds["children"].isel(month=-1).sum())


def test_compiled_steps_refuse_arrays_that_do_not_fit_the_batch(hackney):
    """numba checks no bounds, so the steps check the shapes first: a wrong path count, a
    places vector too short, a results array of the wrong shape or not contiguous is refused
    before the kernel."""
    from placecast.engine.run import _outputs
    from placecast.engine.step import Batch, step_expected, step_sampled

    rates = hackney.rates
    batch = Batch.gather(rates, rates.monthly_probabilities(), np.zeros(4, dtype=int))
    n = np.zeros((4, *hackney.initial.counts.shape), dtype=np.int32)
    out = {k: v[1] for k, v in _outputs(rates.space, 4, 2, sampled=True).items()}
    places = np.zeros(4, dtype=np.int64)
    step_sampled(n, n.copy(), places, batch, 1, 1.0, 7, 0, out)  # fits: runs
    bad = [
        (n[:3], n[:3].copy(), places, out),
        (n, n.copy(), places[:3], out),
        (n, n.copy(), places, {**out, "moves": np.zeros((4, 3, 6), dtype=np.int32)}),
        (n, n.copy(), places, {**out, "moves": np.zeros((4, 6, 12), dtype=np.int32)[:, :, ::2]}),
    ]
    for children, into, places_, results in bad:
        with pytest.raises(ValueError, match="do not fit the batch"):
            step_sampled(children, into, places_, batch, 1, 1.0, 7, 0, results)
    floats = {k: v[1] for k, v in _outputs(rates.space, 4, 2, sampled=False).items()}
    with pytest.raises(ValueError, match="do not fit the batch"):
        step_expected(n[:3].astype(float), n[:3].astype(float), places[:3], batch, 1, 1.0, floats)


def test_keyed_uniforms_follow_the_documented_layout_and_look_uniform():
    """The compiled keys equal the layout written again in numpy, and the uniforms of cells,
    neighbouring paths and months pass uniformity and independence checks."""
    import scipy.stats

    from placecast.engine import kernels
    from reference import keyed_uniforms

    slots = np.arange(1296)
    compiled = np.stack([kernels.uniforms(np.uint64(99), 7, path, slots) for path in range(40)])
    np.testing.assert_array_equal(compiled, keyed_uniforms(99, 7, np.arange(40), slots))
    u = keyed_uniforms(99, 7, np.arange(400), slots)  # 518,400 uniforms
    assert scipy.stats.kstest(u.ravel(), "uniform").pvalue > 1e-3
    later = keyed_uniforms(99, 8, np.arange(400), slots)
    other_seed = keyed_uniforms(100, 7, np.arange(400), slots)
    for a, b in ((u[:-1], u[1:]), (u[:, :-1], u[:, 1:]), (u, later), (u, other_seed)):
        # neighbouring paths, neighbouring cells, the next month, the next seed
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.01
    counts = np.histogram2d(u[:, :-1].ravel(), u[:, 1:].ravel(), bins=10)[0]
    assert scipy.stats.chisquare(counts.ravel()).pvalue > 1e-3  # pairs fill the unit square


def test_paths_use_rate_draws_in_turn(space):
    rates = make_rates(space, entries_per_year=0.0)
    kw = {k: rates.data[k].values for k in rates.data.data_vars}
    kw["entries_per_year"] = np.array([0.0, 1200.0])
    two = pc.Rates.build(space, **kw)
    empty = stock(space)
    ds = pc.simulate(empty, two, no_capacity_limit(), months=2, paths=4, seed=0)
    entered = ds["entries"].sum(("placement", "month")).values
    assert ds["draw"].values.tolist() == [0, 1, 0, 1]
    assert entered[0] == 0 and entered[2] == 0 and entered[1] > 100 and entered[3] > 100


def test_mismatched_inputs_give_clear_errors(hackney, space):
    with pytest.raises(pc.ConfigError, match="months"):
        pc.simulate(hackney.initial, hackney.rates, hackney.supply, months=0, paths=2)
    with pytest.raises(pc.ConfigError, match="paths"):
        pc.simulate(hackney.initial, hackney.rates, hackney.supply, months=2, paths=0)
    with pytest.raises(pc.ConfigError, match="not a month"):
        pc.simulate(hackney.initial, hackney.rates, hackney.supply, months=2, paths=1, start="soon")
    with pytest.raises(pc.ConfigError, match="below that placement's minimum age"):
        stock(space, ("semi_independent", 12, 1))
    with pytest.raises(pc.ConfigError, match="unknown placement 'fostering'"):
        pc.InitialStock.from_band_table(space, {"fostering": {"1_4": 3}})


def test_engine_agrees_with_per_child_reference(hackney):
    """Same inputs, independent random numbers: the distributions of the end stock, of children
    in IFA and of exits agree (means within 4 standard errors, variances within 35%)."""
    months, ref_paths = 18, 200
    # Fixed capacity (no approvals or deregistrations) so both simulators see the same places.
    const = pc.CarerSupply(
        households=hackney.supply.households,
        places_per_household=hackney.supply.places_per_household,
        approvals_per_year=0,
        deregistration_rate_per_year=0,
        unusable_place_share=hackney.supply.unusable_place_share,
    )
    places = const.places(np.full((ref_paths, months + 1), const.households), stochastic=True)
    ref = simulate_reference(
        hackney.initial, hackney.rates, places, months=months, paths=ref_paths, seed=5
    )
    ds = pc.simulate(hackney.initial, hackney.rates, const, months=months, paths=2000, seed=6)
    eng_children = ds["children"].sum("age_band").values  # (path, month, placement)
    eng_exits = ds["exits"].sum(("placement", "exit_reason", "month")).values
    ifa = hackney.space.index("ifa")
    for name, a, b in [
        ("total", eng_children[:, -1].sum(axis=1), ref["children"][:, -1].sum(axis=1)),
        ("ifa", eng_children[:, -1, ifa], ref["children"][:, -1, ifa]),
        ("exits", eng_exits, ref["exits"].sum(axis=1)),
    ]:
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        assert abs(a.mean() - b.mean()) < 4 * se, (name, a.mean(), b.mean())
        ratio = a.var(ddof=1) / b.var(ddof=1)
        assert 0.65 < ratio < 1.55, (name, ratio)


def test_mean_field_matches_the_simulated_mean_without_binding_capacity(hackney):
    roomy = pc.CarerSupply(
        households=500, places_per_household=2, approvals_per_year=0, deregistration_rate_per_year=0
    )
    ds = pc.simulate(hackney.initial, hackney.rates, roomy, months=24, paths=1500, seed=2)
    e = pc.expected(hackney.initial, hackney.rates, roomy, months=24)
    sim = ds["children"].sum("age_band").mean("path")
    sd = ds["children"].sum("age_band").std("path") / np.sqrt(1500)
    diff = np.abs(sim - e["children"].sum("age_band").isel(path=0))
    assert (diff <= 4 * sd + 0.05).all()


def test_band_table_follows_an_age_profile_and_keeps_the_table(hackney, space):
    table = hackney.initial.by_band()
    profile = hackney.rates.steady_state_stock()
    shaped = pc.InitialStock.from_band_table(space, table, age_profile=profile)
    assert (shaped.by_band() == table).all().all()  # the published margins are untouched
    semi = shaped.counts[space.index("semi_independent")]
    even = hackney.initial.counts[space.index("semi_independent")]
    # 57 children of 16-17: more of them 17 (months 204-215) than evenly spread.
    assert semi[204:].sum() > even[204:].sum() >= 28
    # Whole children placed by cumulative share: every month's running total within half a
    # child of the profile's.
    weight = profile.values[space.index("semi_independent"), 192:]
    want = 57 * np.cumsum(weight) / weight.sum()
    assert np.abs(np.cumsum(semi[192:]) - want).max() <= 0.5
    # A band the profile leaves empty is spread evenly.
    flat = np.ones((space.n_placements, N_AGE_MONTHS))
    flat[:, :12] = 0.0
    babies = pc.InitialStock.from_band_table(space, {"ifa": {"under_1": 12}}, age_profile=flat)
    assert babies.counts[space.index("ifa"), :12].tolist() == [1] * 12
    for bad in (np.ones((2, N_AGE_MONTHS)), -flat, flat * np.nan):
        with pytest.raises(pc.ConfigError, match="age_profile"):
            pc.InitialStock.from_band_table(space, table, age_profile=bad)


def test_run_size_is_estimated_and_too_large_runs_are_refused_before_any_work(hackney):
    """Known answer for the estimate's memory (results bytes x 2 + 0.5 GB), growth with paths,
    months and forecasts, and refusals that name the run, the limit and what to cut."""
    from placecast.engine import MAX_MONTHS, run_size

    one = run_size(hackney.space, paths=1000, months=59)
    # 6 placements, 5 age bands, 6 exit reasons: 110 int32 counts and 4 float64 supply values.
    assert one.memory_bytes == 500 * 2**20 + 2 * 1000 * 60 * (4 * 110 + 32)
    four = run_size(hackney.space, paths=2000, months=119, runs=2)
    assert four.memory_bytes - 500 * 2**20 == pytest.approx(8 * (one.memory_bytes - 500 * 2**20))
    assert four.seconds == pytest.approx(one.seconds * 2 * 2 * 119 / 59)
    bigger = run_size(hackney.space, paths=1000, months=59, children=8 * 432)
    assert bigger.seconds == pytest.approx(one.seconds * 8**0.67)
    one.check(available_bytes=2**40)  # fits
    with pytest.raises(pc.ConfigError, match=r"1,000 paths x 59 months x 1 forecast.*fewer paths"):
        one.check(available_bytes=2**20)
    with pytest.raises(pc.ConfigError, match="600 months"):
        run_size(hackney.space, paths=1, months=MAX_MONTHS + 1).check()
    # The engine and a comparison refuse before simulating anything.
    with pytest.raises(pc.ConfigError, match="600 months"):
        pc.simulate(hackney.initial, hackney.rates, hackney.supply, months=601, paths=1)
    with pytest.raises(pc.ConfigError, match=r"x 3 forecasts: about .* GB of memory"):
        pc.compare(hackney, [pc.Scenario("a"), pc.Scenario("b")], paths=10**7, months=120)


@pytest.mark.parametrize("places", ["none", "some", "plenty"])
def test_compiled_mean_field_month_matches_the_numpy_reference(hackney, places):
    """The compiled mean-field step gives the dense numpy step's numbers, with the in-house
    queue binding (stayers displaced, arrivals refused), binding on some paths, or not at all."""
    from placecast.engine.step import Batch, step_expected
    from reference import step_expected_reference

    rates = hackney.rates
    draw = np.arange(24) % rates.n_draws
    batch = Batch.gather(rates, rates.monthly_probabilities(), draw)
    rng = np.random.default_rng(3)
    shape = (draw.size, *hackney.initial.counts.shape)
    n = hackney.initial.counts * rng.uniform(0.5, 1.5, shape)  # paths differ
    in_house = n[:, rates.space.index(rates.space.capacity_placement)].sum(axis=1)
    free = {"none": 0.0, "some": rng.uniform(0.8, 1.2, draw.size), "plenty": 10.0}[places]
    cap = in_house * free if places != "plenty" else np.full(draw.size, 1e6)
    space = rates.space
    for month, multiplier in ((1, 1.0), (14, 1.7)):
        got = _month_results(space, draw.size)
        children = np.empty_like(n)
        step_expected(n.copy(), children, cap, batch, month, multiplier, got)
        want = step_expected_reference(n.copy(), cap, batch, month, multiplier)
        np.testing.assert_allclose(children, want.children, rtol=1e-10, atol=1e-9)
        expected = {
            "children": space.to_bands(want.children),
            "entries": want.entries,
            "exits": want.exits,
            "moves": want.moves,
            "redirected_to_overflow": want.redirected,
            "displaced_to_overflow": want.displaced,
        }
        for name, values in expected.items():
            np.testing.assert_allclose(got[name], values, rtol=1e-10, atol=1e-9, err_msg=name)
        redirected, displaced = got["redirected_to_overflow"], got["displaced_to_overflow"]
        if places == "none":
            assert displaced.min() > 0 and redirected.min() > 0
        if places == "plenty":
            assert displaced.max() == 0 and redirected.max() == 0
        if places == "some" and month == 1:
            assert 0 < (redirected > 0).sum() < draw.size


def _month_results(space, paths: int) -> dict[str, np.ndarray]:
    """One month's result arrays for ``paths`` paths, as a step fills them."""
    from placecast.engine.run import _outputs

    return {name: values[1] for name, values in _outputs(space, paths, 1, sampled=False).items()}


@pytest.mark.parametrize("households", [0, 25, 1e5])
def test_compiled_sampled_month_gives_the_numpy_steps_numbers(hackney, monkeypatch, households):
    """The compiled stochastic step reproduces the dense numpy step number for number from the
    same keyed uniforms: every child, flow, refusal and displacement, with in-house capacity
    binding hard, in some months, or never; several batches on threads; a demand lever
    midway."""
    import placecast.engine.run as run
    from reference import step_sampled_reference

    supply = pc.CarerSupply(
        households=households,
        places_per_household=1.8,
        approvals_per_year=6 if households == 25 else 0,
        deregistration_rate_per_year=0.3,
    )
    drivers = pc.Drivers.constant(supply, 30)
    drivers.entry_multiplier[12:] = 1.6  # more entrants: more cells with several children

    def forecast():
        return pc.simulate(
            hackney.initial,
            hackney.rates,
            supply,
            months=30,
            paths=60,
            seed=11,
            drivers=drivers,
            batch_paths=25,
        )

    compiled = forecast()
    monkeypatch.setattr(run, "step_sampled", step_sampled_reference)
    numpy_step = forecast()
    for name in compiled.data_vars:
        np.testing.assert_array_equal(compiled[name].values, numpy_step[name].values, err_msg=name)
    if households == 0:
        assert compiled["redirected_to_overflow"].sum() > 0
    if households == 25:
        assert compiled["displaced_to_overflow"].sum() > 0
