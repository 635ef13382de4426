"""The embedded default reproduces the published Hackney figures it was built from."""

from __future__ import annotations

import numpy as np
import pytest

import placecast as pc
from placecast.costs import WEEKS_PER_YEAR
from placecast.data import hackney as h


def test_stock_matches_both_published_margins(hackney):
    table = hackney.initial.by_band()
    assert hackney.initial.total == 432
    assert table.sum(axis=1).to_dict() == h.STOCK_BY_PLACEMENT
    assert table.sum(axis=0).to_dict() == h.STOCK_BY_AGE_BAND
    assert table.loc["semi_independent", ["under_1", "1_4", "5_9", "10_15"]].sum() == 0


def test_first_year_flows_match_2019_20(hackney):
    e = pc.expected(hackney.initial, hackney.rates, hackney.supply, months=12)
    entries = float(e["entries"].sum())
    exits = e["exits"].sum(("path", "month", "placement")).to_series()
    assert entries == pytest.approx(228, rel=1e-9)
    assert exits.sum() == pytest.approx(208, rel=0.10)  # published ceased 2019/20: 208
    assert exits["returned_home"] == pytest.approx(56, rel=0.15)
    assert exits["adoption"] == pytest.approx(11, rel=0.2)
    assert exits["special_guardianship"] == pytest.approx(16, rel=0.2)
    # "Other 110 (includes turning 18)".
    assert exits["other_exit"] + exits["aged_18"] + exits["custody"] == pytest.approx(116, rel=0.15)


def test_six_month_stock_is_close_to_the_published_september_2020_figure(hackney):
    fc = pc.forecast(hackney, months=12, paths=400, seed=1)
    sept = fc.children_by_placement().sum("placement").sel(month=6).mean()
    assert float(sept) == pytest.approx(457, rel=0.05)


def test_capacity_is_full_at_the_start(hackney):
    places = hackney.supply.places(np.array([hackney.supply.households]), stochastic=True)[0]
    in_house = hackney.initial.by_band().loc["in_house_fostering"].sum()
    assert in_house <= places <= in_house + 3


def test_run_rate_reproduces_published_cost_shares(hackney):
    weekly = hackney.costs.weekly_cost_gbp
    by_p = hackney.initial.by_band().sum(axis=1)
    annual = {p: by_p[p] * weekly[p] * WEEKS_PER_YEAR for p in by_p.index}
    total = sum(annual.values())
    assert total == pytest.approx(18.6e6, rel=0.01)
    # Residential = 25% of placement cost with 6% of children.
    assert annual["residential"] / total == pytest.approx(0.25, abs=0.02)
