"""Per-rate levers: known answers on the rates, validity kept, effects on a run, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import placecast as pc
from conftest import assert_conserved
from placecast.results import load_comparison, save_comparison
from placecast.scenario.rate_changes import RateChange, apply_rate_changes


def _changed(hackney, *changes):
    return apply_rate_changes(hackney.rates.data, hackney.space, tuple(changes))


def test_exit_and_move_changes_touch_exactly_the_cells_named(hackney):
    before = hackney.rates.data
    after = _changed(
        hackney,
        RateChange("exit", multiply=2.0, age_band="10_15", placement="residential"),
        RateChange("move", add=0.5, placement="residential", to="in_house_fostering"),
    )
    exit_b, exit_a = before["exit_rate_per_year"], after["exit_rate_per_year"]
    cell = dict(age_band="10_15", placement="residential")
    np.testing.assert_allclose(exit_a.sel(**cell), 2 * exit_b.sel(**cell))
    others = exit_a.drop_sel(age_band="10_15")
    np.testing.assert_array_equal(others, exit_b.drop_sel(age_band="10_15"))
    move_b, move_a = before["move_rate_per_year"], after["move_rate_per_year"]
    way = dict(from_placement="residential", to_placement="in_house_fostering")
    np.testing.assert_allclose(move_a.sel(**way), move_b.sel(**way) + 0.5)
    assert float(np.abs(move_a - move_b).sum()) == pytest.approx(0.5 * move_a.sizes["draw"] * 5)
    assert before["move_rate_per_year"] is not after["move_rate_per_year"]  # a copy


def test_changes_over_all_placements_never_create_a_forbidden_move(hackney):
    after = _changed(hackney, RateChange("move", add=0.3, placement="ifa"))
    moves = after["move_rate_per_year"].sel(from_placement="ifa")
    # Semi-independent accommodation takes only 16-17s; a move to itself is not a move.
    assert float(moves.sel(to_placement="semi_independent").drop_sel(age_band="16_17").max()) == 0
    assert float(moves.sel(to_placement="ifa").max()) == 0
    pc.Rates.build(hackney.space, **{str(k): after[k] for k in after.data_vars})  # still valid


def test_an_entry_share_change_makes_room_in_proportion(hackney):
    before = hackney.rates.data["entry_placement_share"].sel(age_band="10_15")
    after = _changed(
        hackney,
        RateChange("entry_placement", add=0.05, age_band="10_15", placement="in_house_fostering"),
    )["entry_placement_share"]
    band = after.sel(age_band="10_15")
    np.testing.assert_allclose(
        band.sel(placement="in_house_fostering"),
        before.sel(placement="in_house_fostering") + 0.05,
    )
    np.testing.assert_allclose(band.sum("placement"), 1.0)
    # The others keep their proportions to each other.
    ratio = lambda s: s.sel(placement="ifa") / s.sel(placement="residential")  # noqa: E731
    np.testing.assert_allclose(ratio(band), ratio(before))
    np.testing.assert_array_equal(
        after.sel(age_band="5_9"), hackney.rates.data["entry_placement_share"].sel(age_band="5_9")
    )


def test_fewer_entries_of_one_age_band_leave_the_others_counts_alone(hackney):
    ds = hackney.rates.data
    after = _changed(hackney, RateChange("entries", multiply=0.8, age_band="10_15"))

    def counts(d):
        return d["entries_per_year"] * d["entry_age_band_share"]

    np.testing.assert_allclose(
        counts(after).sel(age_band="10_15"), 0.8 * counts(ds).sel(age_band="10_15")
    )
    np.testing.assert_allclose(
        counts(after).drop_sel(age_band="10_15"), counts(ds).drop_sel(age_band="10_15")
    )
    np.testing.assert_allclose(after["entry_age_band_share"].sum("age_band"), 1.0)
    # Ten more residential entries a year, all ages: exactly ten more a year in total.
    more = _changed(hackney, RateChange("entries", add=10, placement="residential"))
    np.testing.assert_allclose(more["entries_per_year"], ds["entries_per_year"] + 10)


def test_a_run_with_fewer_entries_has_fewer_children_and_counts_the_programme(hackney):
    months = 36
    change = RateChange(
        "entries", multiply=0.8, age_band="10_15", programme_cost_per_year_gbp=240_000
    )
    edge = pc.Scenario("edge of care", rate_changes=[change], from_month=13)
    cmp = pc.compare(hackney, [edge], months=months, paths=200, seed=3)
    base, fewer = cmp.forecasts[0], cmp.forecasts[1]
    assert_conserved(fewer.data)
    kids = lambda fc, m: fc.data["children"].isel(month=m).sum(("placement", "age_band"))  # noqa: E731
    # Common random numbers: identical before the lever, fewer (never more) entries after.
    np.testing.assert_array_equal(kids(base, 12), kids(fewer, 12))
    assert float(kids(fewer, months).mean()) < float(kids(base, months).mean()) - 5
    extra = fewer.effects.extra_cost_gbp
    # Programme cost: nothing in the first year, 240k a year once on (months 13-36).
    assert float(extra.sum()) == pytest.approx(240_000 * 2)


def test_rate_changes_read_from_toml_and_survive_a_saved_comparison(hackney, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[[scenario]]\nname = "step down"\n'
        '[[scenario.rate_changes]]\nrate = "move"\nmultiply = 1.5\nplacement = "residential"\n'
        'to = "in_house_fostering"\n'
    )
    (scenario,) = pc.load_scenarios(path).scenarios
    assert scenario.rate_changes == (
        RateChange("move", multiply=1.5, placement="residential", to="in_house_fostering"),
    )
    cmp = pc.compare(hackney, [scenario], months=12, paths=20, seed=1)
    folder = save_comparison(cmp, tmp_path / "out")
    saved = json.loads((folder / "comparison.json").read_text())["scenarios"][1]
    assert saved["rate_changes"][0]["to"] == "in_house_fostering"
    assert load_comparison(folder).forecasts[1].scenario == scenario


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(rate="exits", multiply=2), "rate must be one of exit, move"),
        (dict(rate="exit"), "changes nothing"),
        (dict(rate="exit", multiply=-1), "multiply must be >= 0"),
        (dict(rate="exit", multiply=2, to="ifa"), "'to' is for moves only"),
        (dict(rate="entry_placement", add=0.1), "name the placement"),
        (dict(rate="exit", multiply="2"), "multiply must be a number"),
        (dict(rate="exit", mutliply=2), r"unknown key\(s\) \['mutliply'\]"),
    ],
)
def test_bad_rate_changes_are_refused_with_the_fix(change, message):
    with pytest.raises(pc.ConfigError, match=message):
        pc.Scenario("s", rate_changes=[change])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (dict(rate="exit", multiply=2, age_band="11-15"), "no age band '11-15'.*10_15"),
        (dict(rate="move", add=0.1, placement="ifa", to="zoo"), "no placement 'zoo'"),
        (dict(rate="exit", add=-5, placement="ifa"), "would make an exit rate negative"),
        (
            dict(rate="entry_placement", add=-0.9, age_band="10_15", placement="residential"),
            "would leave 0..1",
        ),
        (
            dict(rate="entries", add=3, age_band="10_15", placement="semi_independent"),
            "not allowed at age band 10_15",
        ),
        (dict(rate="entries", multiply=0), "no child would enter care"),
    ],
)
def test_rate_changes_the_council_cannot_take_are_refused_before_a_run(hackney, change, message):
    scenario = pc.Scenario("bad", rate_changes=[change])
    with pytest.raises(pc.ConfigError, match="Scenario 'bad': .*" + message):
        scenario.validate(hackney, 24)
