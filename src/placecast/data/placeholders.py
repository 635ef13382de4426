"""Placeholder carer supply, unit costs and budget for a council fitted from its data.

A fit gives rates and a starting stock; the rest of a council's inputs are its own figures. Until
they are entered, :func:`placeholder_inputs` fills them with documented defaults, named as
placeholders in the inputs' name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from placecast.calendar import first_financial_year
from placecast.costs import Budget, UnitCosts
from placecast.data.hackney import COSTS, SUPPLY
from placecast.inputs import CouncilInputs
from placecast.rates import Rates
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

__all__ = ["placeholder_inputs", "run_rate_budget", "sized_supply"]


def run_rate_budget(initial: InitialStock, costs: UnitCosts, first_year: int, years: int) -> Budget:
    """A budget equal to the starting stock's run-rate at ``costs``, for ``years`` financial
    years from ``first_year`` (e.g. 2022 for 2022/23): it rises with the costs' inflation,
    not with demand (for councils that publish no placements-only budget)."""
    fys = np.arange(first_year, first_year + years)
    weekly = costs.weekly_cost(initial.space, fys)  # (financial_year, placement)
    stock = initial.by_band().sum(axis=1).to_numpy(dtype=float)
    run_rate = (weekly * stock[None, :]).sum("placement") * 365.25 / 7
    return Budget({int(y): float(v) for y, v in zip(fys, run_rate.values, strict=True)})


def sized_supply(initial: InitialStock) -> CarerSupply:
    """A placeholder carer supply: as many households as the children in in-house fostering at
    the start need at the default places per household and unusable share, the national 13% a
    year leaving and as many approvals as leave (a steady state)."""
    space = initial.space
    in_house = float(initial.by_band().loc[[space.capacity_placement]].to_numpy().sum())
    usable = SUPPLY.places_per_household * (1.0 - SUPPLY.unusable_place_share)
    households = max(in_house / usable, 1.0)
    return CarerSupply(
        households=households,
        places_per_household=SUPPLY.places_per_household,
        approvals_per_year=0.13 * households,
        deregistration_rate_per_year=0.13,
        unusable_place_share=SUPPLY.unusable_place_share,
    )


def placeholder_inputs(
    name: str,
    initial: InitialStock,
    rates: Rates,
    *,
    start: str,
    sources: tuple[str, ...] = (),
    years: int = 6,
    max_draws: int | None = 1000,
    fit_check: Mapping[str, Any] | None = None,
    supply: CarerSupply | None = None,
    stock_status: str = "published",
    published_children_in_care: Mapping[int, float] | None = None,
) -> CouncilInputs:
    """Inputs for a fitted council whose carer supply, unit costs and budget are not known yet.

    Placeholders, to be replaced with the council's own figures (edit ``inputs.json``):

    * carer supply sized to the starting in-house stock: as many households as the children in
      in-house fostering need at the default places per household and unusable share, the
      national 13% a year leaving and as many approvals as leave (a steady state);
    * the default (Hackney 2019/20) unit costs and inflation;
    * a budget equal to the starting stock's run-rate at those costs, rising with inflation
      (a budget that keeps pace with prices, not with demand).

    A ``supply`` given (e.g. the council's own from Ofsted's data,
    :func:`placecast.data.ofsted.published_carer_supply`) is used instead of the sized one; say
    where it came from in ``sources``.
    ``fit_check`` is what the fit's check found (kept with the inputs, shown in reports).
    ``stock_status`` says where the starting stock comes from (``"published"``: DfE's tables;
    ``"council records"``: the council's SSDA903 returns); the rates are ``"fitted"``, the carer
    supply ``"published"`` when given and a ``"placeholder"`` otherwise, like the unit costs,
    inflation and budget (:attr:`placecast.inputs.CouncilInputs.status`).
    Rates with more than ``max_draws`` posterior draws keep that many, evenly spaced (``None``
    keeps all). ``published_children_in_care`` (year -> count, e.g. from
    :meth:`~placecast.data.dfe.PublishedCounts.children_in_care_by_year`) is the history the
    charts show before the forecast.
    """
    if max_draws is not None and rates.n_draws > max_draws:
        # Evenly spaced draws: enough for a forecast's intervals, a smaller inputs folder.
        rates = rates.select_draws(np.arange(0, rates.n_draws, rates.n_draws // max_draws))
    space = initial.space
    sized = supply is None
    if supply is None:
        supply = sized_supply(initial)
    budget = run_rate_budget(initial, COSTS, first_financial_year(start), years)
    return CouncilInputs(
        name=name,
        space=space,
        initial=initial,
        rates=rates,
        supply=supply,
        costs=COSTS,
        budget=budget,
        start=start,
        sources=sources,
        fit_check=fit_check,
        published_children_in_care=dict(published_children_in_care or {}),
        status={
            "starting_stock": stock_status,
            "rates": "fitted",
            "carer_supply": "placeholder" if sized else "published",
            "unit_costs": "placeholder",
            "cost_inflation": "placeholder",
            "budget": "placeholder",
        },
    )
