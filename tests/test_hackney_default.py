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


# -- the default since 2026-12: Hackney fitted to DfE's tables to 31 March 2022 ---------------
@pytest.fixture(scope="module")
def hackney_2022() -> pc.CouncilInputs:
    return pc.hackney_2022()


def test_2022_default_starts_from_the_published_2022_stock(hackney_2022):
    """The starting stock keeps DfE's published 31 March 2022 total and placement groups."""
    from placecast.data.dfe import published_counts
    from placecast.data.published import published_tables

    counts = published_counts(published_tables(), "Hackney")
    at = list(counts.years).index(2022)
    assert hackney_2022.start == "2022-03"
    assert hackney_2022.initial.total == int(counts.children_in_care[at])
    by_placement = hackney_2022.initial.by_band().sum(axis=1)
    fostering = by_placement[["in_house_fostering", "friends_family_fostering", "ifa"]].sum()
    assert fostering == counts.frame().loc[2022, "fostering"]


def test_2022_default_carries_parameter_uncertainty_and_a_passed_fit(hackney_2022):
    rates = hackney_2022.rates
    assert rates.n_draws == 250
    entries = rates.in_year(0).data["entries_per_year"].values
    assert np.ptp(entries) > 0.1 * np.median(entries)  # draws differ: a posterior
    assert hackney_2022.fit_check is not None and hackney_2022.fit_check["passed"]


def test_2022_default_labels_every_number(hackney_2022):
    """Each source says whether its numbers are published, fitted or assumed; costs are the
    2019/20 report's at March 2022 prices (CPIH, named)."""
    labels = {s.split(":")[0] for s in hackney_2022.sources}
    assert labels <= {
        "published",
        "fitted",
        "assumed",
        "published 2020, assumed to hold in 2022",
        "published 2019/20, brought to March 2022 prices",
    }
    assert {"published", "fitted", "assumed"} <= labels
    assert any("CPIH" in s for s in hackney_2022.sources)
    costs = hackney_2022.costs
    assert costs.price_base_financial_year == 2022
    assert costs.weekly_cost_gbp["ifa"] == pytest.approx(927.0 * h.PRICES_2022, abs=0.01)
    assert h.PRICES_2022 == pytest.approx(1.0726, abs=1e-4)


def test_2022_default_first_year_flows_are_near_the_published_2021_22(hackney_2022):
    """Known answers from DfE: Hackney's starts and ceases in 2021/22; the first forecast year's
    expected flows sit near them (the fitted levels carry on from the last year)."""
    from placecast.data.dfe import published_counts
    from placecast.data.published import published_tables

    counts = published_counts(published_tables(), "Hackney")
    at = list(counts.years).index(2022)
    e = pc.expected(hackney_2022.initial, hackney_2022.rates, hackney_2022.supply, months=12)
    entries = float(e["entries"].sum(("month", "placement")).median("path"))
    exits = float(e["exits"].sum(("month", "placement", "exit_reason")).median("path"))
    assert entries == pytest.approx(counts.starts[at], rel=0.2)
    assert exits == pytest.approx(counts.ceases[at], rel=0.2)


def test_2022_default_carries_the_published_children_in_care_before_it(hackney_2022):
    """Known answers from DfE (Hackney: 418 in 2021, 405 in 2022): the history its charts show."""
    published = hackney_2022.published_children_in_care
    assert published[2021] == 418 and published[2022] == 405
    assert min(published) == 2014 and max(published) == 2022  # the 2015 release has 2014 too
