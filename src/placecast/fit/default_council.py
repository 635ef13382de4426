"""The embedded default: Hackney fitted to DfE's published tables to 31 March 2022.

:func:`build_hackney_2022` fits :class:`~placecast.fit.aggregate.AggregateModel` to Hackney's
published series 2015-2022 (the tables shipped with placecast, national priors from England's
series to 2022), keeps :data:`DRAWS` posterior draws of the rates (parameter uncertainty), starts
from the published stock at 31 March 2022, and adds the carer supply, unit costs and budget of
Hackney's 2019/20 annual report brought to March 2022 prices with ONS's CPIH. Every number is
labelled in the inputs' ``sources`` as published, fitted or assumed. The result is shipped in
``placecast/data/hackney_2022/`` and read by :func:`placecast.data.hackney.hackney_2022`;
rebuild it with ``python -m placecast.fit.default_council`` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from placecast.costs import Budget, UnitCosts
from placecast.data.dfe import published_counts
from placecast.data.hackney import COSTS, HACKNEY_2022, PRICES_2022, SUPPLY
from placecast.data.placeholders import run_rate_budget
from placecast.data.published import published_tables
from placecast.errors import ConfigError
from placecast.fit.aggregate import AggregateModel
from placecast.fit.national import national_priors
from placecast.fit.settings import AggregateSettings
from placecast.inputs import CouncilInputs, save_inputs

__all__ = ["DRAWS", "FOSTERING_SPLIT_2020", "SETTINGS", "STATUS", "build_hackney_2022"]

#: Posterior draws kept (evenly spaced): enough for a forecast's intervals, a small file.
DRAWS = 250
#: [AR] Hackney's fostering at 31 March 2020: in-house 165, friends and family 56, IFA 102 of
#: 323. DfE's council tables do not split fostering by provider: the fit's first-year stock is
#: split so (assumed), and the 2022 stock follows the fitted rates' own split.
FOSTERING_SPLIT_2020 = (165 / 323, 56 / 323, 102 / 323)
#: The seed of the default's fit.
SEED = 2022
#: Where each of the default's inputs comes from (the sources say which publication).
STATUS = {
    "starting_stock": "published",
    "rates": "fitted",
    "carer_supply": "published",
    "unit_costs": "published",
    "cost_inflation": "assumed",
    "budget": "assumed",
}
#: The default's fit samples longer than a council's default fit: with 300 tuning steps and 500
#: draws per chain, Hackney to 2022 had R-hat 1.02 and a bulk ESS of 141, with 1,000 and 1,000 at a
#: 0.99 target R-hat 1.01 and a bulk ESS of 143 (200 needed; measured 2026-12-02). The model is
#: a council's default fit (monthly entrants, ages on ceasing observed, the transition
#: probabilities of 2026-12-06); the default shipped until 2026-12-06 was fitted with a
#: quarter's entrants at its end, no ages on ceasing and the earlier probabilities.
SETTINGS = AggregateSettings(
    draws=2000,
    tune=1000,
    target_accept=0.99,
    random_walks="non_centered",
)


def build_hackney_2022(
    out: str | Path = HACKNEY_2022, settings: AggregateSettings | None = None
) -> CouncilInputs:
    """Fit Hackney to 2022 and write the default inputs to ``out``.

    Raises
    ------
    ConfigError
        The fit failed its check (:mod:`placecast.fit.quality`): the default must come from a
        converged fit.
    """
    settings = SETTINGS if settings is None else settings
    tidy = published_tables()
    counts = published_counts(tidy, "Hackney").upto(2022)
    priors = replace(national_priors(tidy, 2022), fostering_split=FOSTERING_SPLIT_2020)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the check below decides
        model = AggregateModel(priors, settings).fit(counts, seed=SEED)
    check = model.check()
    if not check.passed:
        raise ConfigError(f"the default's fit failed its check: {check.summary()}")
    rates = model.rates_
    rates = rates.select_draws(np.linspace(0, rates.n_draws - 1, DRAWS).round().astype(int))
    stock = model.initial_stock()
    costs = UnitCosts(
        weekly_cost_gbp={p: round(c * PRICES_2022, 2) for p, c in COSTS.weekly_cost_gbp.items()},
        price_base_financial_year=2022,
        inflation_per_year=COSTS.inflation_per_year,
        cost_cv=COSTS.cost_cv,
    )
    # Hackney publishes no placements-only budget: the 2022 stock's run-rate at these costs,
    # rising with the assumed inflation (a budget that keeps pace with prices, not demand).
    run_rate = run_rate_budget(stock, costs, 2022, 6).placement_budget_gbp
    budget = Budget({y: round(v, -4) for y, v in run_rate.items()})
    fitted = model.fitted_.loc[2022]
    inputs = CouncilInputs(
        name="Hackney (default: fitted to DfE tables to 31 March 2022)",
        space=stock.space,
        initial=stock,
        rates=rates,
        supply=SUPPLY,
        costs=costs,
        budget=budget,
        start="2022-03",
        sources=(
            "published: children in care, starts, ceases, age bands and placement groups "
            "2015-2022 (DfE, Children looked after in England; OGL v3)",
            f"published: children in care at 31 March 2022, {int(fitted['children_in_care'])} "
            "(DfE), the starting stock's total and margins",
            f"fitted: entry, move and exit rates, {DRAWS} posterior draws of AggregateModel to "
            f"2022 ({check.summary()}); priors: {priors.source}",
            "fitted: the split of the 2022 fostering stock into in-house, friends and family and "
            "IFA (DfE publishes fostering only) follows the fitted rates, from a first year "
            "split as at 31 March 2020 (165 / 56 / 102 of 323; Hackney annual report 2019/20)",
            "published 2020, assumed to hold in 2022: 93 mainstream carer households, 9 "
            "approvals a year, 15.6% leaving a year (Hackney annual report 2019/20)",
            f"published 2019/20, brought to March 2022 prices: weekly unit costs x "
            f"{PRICES_2022:.3f} (ONS CPIH, UK, 2015=100: 109.7 in March 2021, +1.0% in the year "
            "before and +6.2% in the year after; Consumer price inflation, UK: March 2022)",
            "assumed: unit costs rise 3% a year after 2022/23; the budget is the 31 March 2022 "
            "stock's run-rate at those costs (Hackney publishes no placements-only budget)",
            "published: residential cost spread, about 1% of placements above 10,000 GBP a "
            "week (LGA, 2018/19)",
        ),
        fit_check={**check.to_dict(), "passed": check.passed, "summary": check.summary()},
        status=STATUS,
        published_children_in_care=counts.children_in_care_by_year(upto=2022),
    )
    save_inputs(inputs, out)
    (Path(out) / "settings.json").write_text(
        json.dumps({"settings": settings.to_dict(), "seed": SEED, "draws": DRAWS}, indent=2)
    )
    return inputs


def main(argv: list[str] | None = None) -> None:
    """``python -m placecast.fit.default_council``: rebuild the shipped default."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HACKNEY_2022)
    args = parser.parse_args(argv)
    inputs = build_hackney_2022(args.out)
    print(f"{inputs.name}: {inputs.initial.total} children at {inputs.start}; {args.out}")


if __name__ == "__main__":
    main()
