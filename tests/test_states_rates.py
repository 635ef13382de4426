"""State space and rates: band arithmetic, generator -> probabilities, validation errors."""

from __future__ import annotations

import numpy as np
import pytest

import placecast as pc
from conftest import make_rates, no_capacity_limit
from placecast.states import N_AGE_MONTHS


def test_age_bands_cover_every_month_in_order(space):
    band = space.band_of_age_month
    assert band.shape == (N_AGE_MONTHS,)
    assert band[0] == 0 and band[11] == 0 and band[12] == 1
    assert band[16 * 12 - 1] == 3 and band[16 * 12] == 4 and band[-1] == 4
    assert np.bincount(band).tolist() == (space.band_width_months).tolist()


def test_semi_independent_only_from_16(space):
    allowed = space.allowed[space.index("semi_independent")]
    assert not allowed[: 16 * 12].any() and allowed[16 * 12 :].all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"age_band_edges_years": (0, 5, 17)}, "from 0 to 18"),
        ({"capacity_placement": "nope"}, "capacity_placement"),
        ({"exit_reasons": ("aged_18",)}, "aged_18"),
        (
            {"placements": (pc.Placement("a", "A"), pc.Placement("a", "A"))},
            "unique",
        ),
    ],
)
def test_bad_state_space_is_refused(kwargs, message):
    with pytest.raises(pc.ConfigError, match=message):
        pc.StateSpace(**kwargs)


def test_min_age_must_be_a_band_edge():
    placements = (
        pc.Placement("in_house_fostering", "x"),
        pc.Placement("ifa", "y"),
        pc.Placement("semi_independent", "z", min_age_years=15),
    )
    with pytest.raises(pc.ConfigError, match="min_age_years=15"):
        pc.StateSpace(placements=placements)


def test_monthly_probabilities_match_exponential_decay(space):
    rates = make_rates(space, exit_rate=0.6)
    probs = rates.monthly_probabilities()
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, atol=1e-12)
    stay = probs[0, 2, space.index("ifa"), space.index("ifa")]
    assert stay == pytest.approx(np.exp(-0.6 / 12), rel=1e-12)


def test_two_state_generator_known_answer(space):
    # in-house -> IFA at rate a, no way back and no exits: P(stay) = exp(-a/12).
    rates = make_rates(space, move={("in_house_fostering", "ifa"): 1.2})
    probs = rates.monthly_probabilities()[0, 0]
    i, j = space.index("in_house_fostering"), space.index("ifa")
    assert probs[i, i] == pytest.approx(np.exp(-0.1))
    assert probs[i, j] == pytest.approx(1 - np.exp(-0.1))


def _base_kwargs(space):
    P, B, R = space.n_placements, space.n_bands, len(space.exit_reasons)
    mix = np.zeros((B, P))
    mix[:, 0] = 1
    return dict(
        entries_per_year=10.0,
        entry_age_band_share=np.full(B, 1 / B),
        entry_placement_share=mix,
        move_rate_per_year=np.zeros((B, P, P)),
        exit_rate_per_year=np.zeros((B, P, R)),
    )


def test_negative_rate_is_named(space):
    kw = _base_kwargs(space)
    kw["exit_rate_per_year"][3, 2, 1] = -0.1
    with pytest.raises(
        pc.ConfigError, match=r"exit_rate_per_year\[.*age_band='10_15'.*placement='ifa'"
    ):
        pc.Rates.build(space, **kw)


def test_shares_must_sum_to_one(space):
    kw = _base_kwargs(space)
    kw["entry_age_band_share"] = np.full(space.n_bands, 0.1)
    with pytest.raises(pc.ConfigError, match="must sum to 1 over age_band"):
        pc.Rates.build(space, **kw)


def test_moves_into_semi_independent_under_16_are_refused(space):
    kw = _base_kwargs(space)
    kw["move_rate_per_year"][3, space.index("ifa"), space.index("semi_independent")] = 0.2
    with pytest.raises(pc.ConfigError, match="semi_independent.*only allowed from age 16"):
        pc.Rates.build(space, **kw)


def test_self_moves_and_wrong_shapes_are_refused(space):
    kw = _base_kwargs(space)
    kw["move_rate_per_year"][0, 1, 1] = 0.3
    with pytest.raises(pc.ConfigError, match="to itself"):
        pc.Rates.build(space, **kw)
    kw = _base_kwargs(space)
    kw["exit_rate_per_year"] = np.zeros((2, 2))
    with pytest.raises(pc.ConfigError, match="expected shape"):
        pc.Rates.build(space, **kw)


def test_draws_broadcast_and_select(space):
    kw = _base_kwargs(space)
    kw["entries_per_year"] = np.array([10.0, 20.0, 30.0])
    rates = pc.Rates.build(space, **kw)
    assert rates.n_draws == 3
    assert rates.data["exit_rate_per_year"].sizes["draw"] == 3
    assert rates.select_draws([2]).data["entries_per_year"].values.tolist() == [30.0]


@pytest.mark.parametrize("growth", [0.0, 0.1])
def test_steady_state_stock_is_where_the_engine_ends_after_18_years(hackney, growth):
    """Known answer: from an empty stock, after 216 months of unchanging rates every age month
    has filled, so the mean-field stock is the steady state, scaled by the growth of entries
    since the month the steady state's entries stand for (its newest entrants, month 216 - 1)."""
    ds = hackney.rates.data
    rates = pc.Rates.build(
        hackney.space,
        entries_per_year=ds["entries_per_year"],
        entry_age_band_share=ds["entry_age_band_share"],
        entry_placement_share=ds["entry_placement_share"],
        move_rate_per_year=ds["move_rate_per_year"],
        exit_rate_per_year=ds["exit_rate_per_year"],
        entry_growth_per_year=growth,
    )
    steady = rates.steady_state_stock()
    assert steady.dims == ("placement", "age_month")
    assert float(steady.sel(age_month=0).sum()) == 0.0
    empty = pc.InitialStock(hackney.space, np.zeros((hackney.space.n_placements, N_AGE_MONTHS)))
    e = pc.expected(empty, rates, no_capacity_limit(), months=N_AGE_MONTHS)
    engine = e["children"].isel(path=0, month=-1).transpose("placement", "age_band").values
    band = hackney.space.band_of_age_month
    by_band = np.stack([steady.values[:, band == b].sum(axis=1) for b in range(band.max() + 1)], 1)
    scale = (1.0 + growth) ** ((N_AGE_MONTHS - 1) / 12)
    np.testing.assert_allclose(engine, by_band * scale, rtol=1e-9, atol=1e-9)
    assert 300 < by_band.sum() < 600  # Hackney-sized: a few hundred children in care


def test_steady_state_has_more_children_near_18_in_semi_independent(hackney):
    """Why the profile exists: semi-independent placements fill up through 16 and 17, so the
    last months of the band hold more children than the first."""
    semi = hackney.rates.steady_state_stock().sel(placement="semi_independent")
    sixteen, seventeen = semi.sel(age_month=slice(192, 203)), semi.sel(age_month=slice(204, 215))
    assert float(seventeen.sum()) > 1.3 * float(sixteen.sum())
