"""The embedded default: a London Borough of Hackney calibration at 31 March 2020.

Every number is either a published figure (source named) or a documented assumption; the
derivations are explained in ``docs/default-calibration.md``. Sources:

* [AR] Hackney Children and Families Service annual report 2019/20 (shared/seeds/004).
* [OF] Ofsted, Fostering in England 2018-19 (England totals).
* [LGA] Local Government Association, placements costing 10,000+ GBP a week, 2018/19.

These are figures for one council in one year, good for a worked example and for tests. For a
budget paper, replace them with the council's own data (SSDA903 or published tables).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from placecast.costs import Budget, UnitCosts
from placecast.data.margins import ipf, round_preserving
from placecast.inputs import CouncilInputs, load_inputs
from placecast.rates import Rates
from placecast.states import StateSpace
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

PLACEMENTS = (
    "in_house_fostering",
    "friends_family_fostering",
    "ifa",
    "residential",
    "semi_independent",
    "other",
)
BANDS = ("under_1", "1_4", "5_9", "10_15", "16_17")

#: [AR] children in care at 31 March 2020 by placement (n = 432). Foster 323 = friends/family 56
#: + in-house 165 + IFA 102. "Secure units, children's homes and semi-independent" 83 split with
#: "residential = 6% of children" -> residential 26, semi-independent 57. Other 26 = placed with
#: parents 16 + placed for adoption 5 + other 5.
STOCK_BY_PLACEMENT = {
    "in_house_fostering": 165,
    "friends_family_fostering": 56,
    "ifa": 102,
    "residential": 26,
    "semi_independent": 57,
    "other": 26,
}

#: [AR] age breakdown table for 2020 (11, 36, 55, 163, 148; sums to 413, not 432) rescaled to 432
#: and rounded to whole children.
STOCK_BY_AGE_BAND = {"under_1": 12, "1_4": 38, "5_9": 57, "10_15": 170, "16_17": 155}

#: Assumed relative propensity of each placement by age band, used only to split the two
#: published margins into a joint table by iterative proportional fitting.
_JOINT_PRIOR = np.array(
    [
        [1.0, 1.0, 1.0, 1.0, 0.7],  # in-house fostering
        [1.0, 1.0, 1.0, 1.0, 0.5],  # friends and family
        [0.6, 0.8, 1.0, 1.0, 0.8],  # IFA
        [0.0, 0.05, 0.2, 1.0, 1.0],  # residential
        [0.0, 0.0, 0.0, 0.0, 1.0],  # semi-independent: 16+ only
        [3.0, 2.0, 1.0, 0.3, 0.2],  # placed with parents / for adoption: mostly young
    ]
)

#: [AR] entries 2019/20 = 228; by age: under 1: 22, 1-4: 28, 5-9: 26, 10-15: 71, 16+: 81.
ENTRIES_PER_YEAR = 228.0
ENTRIES_BY_AGE_BAND = np.array([22.0, 28.0, 26.0, 71.0, 81.0])

#: Assumed placement at entry by age band (rows sum to 1): where a child would be placed if an
#: in-house place were free. Not published for Hackney; see the calibration page.
ENTRY_PLACEMENT_SHARE = np.array(
    [
        # in-house, friends/family, IFA, residential, semi-independent, other
        [0.45, 0.20, 0.20, 0.00, 0.00, 0.15],  # under 1
        [0.45, 0.25, 0.20, 0.00, 0.00, 0.10],  # 1-4
        [0.40, 0.25, 0.25, 0.02, 0.00, 0.08],  # 5-9
        [0.30, 0.10, 0.44, 0.08, 0.00, 0.08],  # 10-15
        [0.12, 0.05, 0.20, 0.06, 0.52, 0.05],  # 16-17
    ]
)

#: Exit rates per child-year by age band, the same in every placement, calibrated to [AR]'s
#: 2019/20 ceased-care destinations: returned home 56, special guardianship 16, adoption 11,
#: custody 6, other 110 including about 70 leaving at 18 (the 18th birthday exit is exact in the
#: model, so "other_exit" carries the remaining ~40).
EXIT_RATES = {
    # reason: rate by band (under 1, 1-4, 5-9, 10-15, 16-17)
    "returned_home": [0.25, 0.18, 0.09, 0.18, 0.08],
    "special_guardianship": [0.10, 0.15, 0.08, 0.03, 0.0],
    "adoption": [0.25, 0.18, 0.02, 0.0, 0.0],
    "custody": [0.0, 0.0, 0.0, 0.01, 0.03],
    "other_exit": [0.02, 0.02, 0.02, 0.06, 0.08],
}

#: Assumed moves between categories per child-year, by band: (from, to, rates by band).
MOVE_RATES = [
    ("in_house_fostering", "ifa", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("ifa", "in_house_fostering", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("friends_family_fostering", "in_house_fostering", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("friends_family_fostering", "ifa", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("other", "in_house_fostering", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("other", "ifa", [0.05, 0.05, 0.05, 0.05, 0.05]),
    ("in_house_fostering", "residential", [0.0, 0.0, 0.01, 0.035, 0.02]),
    ("ifa", "residential", [0.0, 0.0, 0.01, 0.035, 0.02]),
    ("friends_family_fostering", "residential", [0.0, 0.0, 0.01, 0.03, 0.02]),
    ("residential", "in_house_fostering", [0.0, 0.05, 0.05, 0.05, 0.02]),
    ("residential", "ifa", [0.0, 0.10, 0.10, 0.10, 0.05]),
    ("residential", "semi_independent", [0.0, 0.0, 0.0, 0.0, 0.60]),
    ("in_house_fostering", "semi_independent", [0.0, 0.0, 0.0, 0.0, 0.25]),
    ("ifa", "semi_independent", [0.0, 0.0, 0.0, 0.0, 0.25]),
    ("friends_family_fostering", "semi_independent", [0.0, 0.0, 0.0, 0.0, 0.10]),
    ("semi_independent", "residential", [0.0, 0.0, 0.0, 0.0, 0.05]),
]

#: [AR] 93 mainstream households at 31 March 2020; 9 approved in 2019/20; 15 resigned or were
#: terminated, 15 / ~96 mean households = 0.156 a year (national ~13%). [OF] England 88,370 places
#: / 44,450 households = 1.99 places per household. Unusable share 10%: chosen so that the 165
#: children in in-house placements fill the usable places (166), as [AR] reports IFA use "due to a
#: lack of suitable in-house foster carers".
SUPPLY = CarerSupply(
    households=93,
    places_per_household=1.99,
    approvals_per_year=9,
    deregistration_rate_per_year=0.156,
    unusable_place_share=0.10,
)

#: [AR] average weekly costs 2019/20. Friends-and-family carers are assumed to cost the in-house
#: average (Hackney reports one in-house figure). "Other" (placed with parents, placed for
#: adoption) carries no placement fee. Residential CV 0.5: with a lognormal cost per child this
#: puts about 1% of residential placements above 10,000 GBP a week, in line with [LGA].
#: Inflation 3% a year is an assumption.
COSTS = UnitCosts(
    weekly_cost_gbp={
        "in_house_fostering": 453.0,
        "friends_family_fostering": 453.0,
        "ifa": 927.0,
        "residential": 3575.0,
        "semi_independent": 1208.0,
        "other": 0.0,
    },
    price_base_financial_year=2019,
    inflation_per_year=0.03,
    cost_cv={"residential": 0.5},
)

#: Illustrative budget: Hackney does not publish a placements-only budget. We take the run-rate of
#: the 31 March 2020 stock at 2019/20 unit costs (18.6m GBP a year) and add 3% a year, i.e. a budget
#: that keeps pace with prices but not with demand. Replace it with the council's own budget.
BUDGET = Budget(
    {2020: 19.2e6, 2021: 19.7e6, 2022: 20.3e6, 2023: 20.9e6, 2024: 21.5e6, 2025: 22.2e6}
)


#: The shipped default fitted to 2022 (built by :mod:`placecast.fit.default_council`).
HACKNEY_2022 = Path(__file__).with_name("hackney_2022")
#: ONS CPIH (UK, 2015 = 100), March 2020 to March 2022: 109.7 in March 2021 (ONS, Consumer price
#: inflation, UK: March 2022, table 2), +1.0% in the 12 months to March 2021 and +6.2% in the 12
#: months to March 2022 (the March 2021 and March 2022 bulletins): 109.7 * 1.062 / (109.7 / 1.010).
PRICES_2022 = 1.062 * 1.010


def stock_table() -> np.ndarray:
    """Children by (placement, age band) at 31 March 2020, matching both published margins."""
    rows = np.array([STOCK_BY_PLACEMENT[p] for p in PLACEMENTS], dtype=float)
    cols = np.array([STOCK_BY_AGE_BAND[b] for b in BANDS], dtype=float)
    return round_preserving(ipf(_JOINT_PRIOR, rows, cols), rows, cols)


def hackney_2020(space: StateSpace | None = None) -> CouncilInputs:
    """Hackney at 31 March 2020: stock, rates, carer supply, unit costs and budget.

    Returns
    -------
    CouncilInputs
        Everything :func:`placecast.forecast` needs, starting from the 31 March 2020 stock.

    Examples
    --------
    >>> inputs = hackney_2020()
    >>> inputs.initial.total
    432
    """
    space = StateSpace() if space is None else space
    if space.placement_names != PLACEMENTS or space.age_band_labels != BANDS:
        raise ValueError("the Hackney default is defined on the default state space")
    P, B = len(PLACEMENTS), len(BANDS)
    table = stock_table()
    initial = InitialStock.from_band_table(
        space,
        {p: dict(zip(BANDS, table[i].tolist(), strict=True)) for i, p in enumerate(PLACEMENTS)},
    )
    move = np.zeros((B, P, P))
    for src, dst, by_band in MOVE_RATES:
        move[:, PLACEMENTS.index(src), PLACEMENTS.index(dst)] = by_band
    exit_ = np.zeros((B, P, len(space.exit_reasons)))
    for r, reason in enumerate(space.exit_reasons):
        exit_[:, :, r] = np.asarray(EXIT_RATES[reason])[:, None]
    rates = Rates.build(
        space,
        entries_per_year=ENTRIES_PER_YEAR,
        entry_age_band_share=ENTRIES_BY_AGE_BAND / ENTRIES_BY_AGE_BAND.sum(),
        entry_placement_share=ENTRY_PLACEMENT_SHARE,
        move_rate_per_year=move,
        exit_rate_per_year=exit_,
    )
    return CouncilInputs(
        name="Hackney (default calibration, 31 March 2020)",
        space=space,
        initial=initial,
        rates=rates,
        supply=SUPPLY,
        costs=COSTS,
        budget=BUDGET,
        start="2020-03",
        sources=(
            "Hackney Children and Families Service annual report 2019/20",
            "Ofsted, Fostering in England 2018-19",
            "LGA: placements costing 10,000+ GBP a week, 2018/19",
        ),
        status={
            "starting_stock": "published",
            "rates": "assumed",  # derived from published flows (docs/default-calibration.md)
            "carer_supply": "published",
            "unit_costs": "published",
            "cost_inflation": "assumed",
            "budget": "published",
        },
    )


def hackney_2022() -> CouncilInputs:
    """Hackney at 31 March 2022, the default: rates fitted to DfE's tables 2015-2022 (posterior
    draws), the published stock, and the 2019/20 annual report's carer supply and unit costs at
    March 2022 prices; each number's origin (published, fitted or assumed) is in ``sources``.

    Examples
    --------
    >>> inputs = hackney_2022()
    >>> inputs.start, inputs.rates.n_draws > 100
    ('2022-03', True)
    """
    return load_inputs(HACKNEY_2022)
