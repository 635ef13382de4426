"""``placecast fit-published``: rates from a council's published DfE statistics."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from placecast.cli.fit import ACCEPT_POOR_FIT, refuse_poor_fit
from placecast.cli.options import (
    out_option,
    seed_option,
    settings_from_options,
    settings_options,
    stock_growth_options,
    with_stock_growth,
)
from placecast.fit.settings import AggregateSettings
from placecast.folders import file_digests

if TYPE_CHECKING:  # the fit modules import PyMC: not at start-up
    from placecast.fit.priors import AggregatePriors
    from placecast.fit.published import PublishedFit

#: Below this many children in care at the last year a fit sits at the edge of the check:
#: Rutland (25) and the City of London (10) to 2022 each passed with 2 of 3 seeds before the
#: retry became a ladder, and needed retries with 4 and 5 of 8 seeds after, passing with all 8
#: (docs/published-statistics.md).
SMALL_COUNCIL = 50


def _hint_small_council(fitted: PublishedFit, priors: AggregatePriors) -> None:
    """After a refused fit of a very small council with a stock-growth prior that did not
    converge (not one refused on its fitted stock alone): say what fits."""
    check = fitted.check
    if priors.stock_growth_sd is None or check.converged:
        return
    if check.published_stock is None or check.published_stock >= SMALL_COUNCIL:
        return
    print(
        f"Note: {fitted.model.counts_.council} had {check.published_stock:.0f} children in "
        "care. A council this small sits at the edge of the fit check (Rutland and the City "
        "of London to 2022 needed one or two more sets of chains with half their seeds): fit "
        "again with another --seed or more --draws. Fitting with --no-stock-growth-prior (the "
        "forecast then follows the council's own fitted flows, not England's growth) "
        "converged a little more often on the rolling backtest of those two councils but "
        "forecast less accurately "
        "(docs/published-statistics.md).",
        file=sys.stderr,
    )


#: --data: DfE CSV files or folders of them (repeat the option for several).
DATA = click.option(
    "--data",
    type=click.Path(path_type=Path, exists=True),
    multiple=True,
    help="DfE CSV files or folders of them, added to the tables shipped with placecast "
    "(2015-2022, every council); a later release replaces the years it holds (repeat for "
    "several)",
)
DEFAULT_PRIORS = click.option(
    "--default-priors",
    is_flag=True,
    help="skip England's priors and use the documented default priors",
)
REFIT_NATIONAL = click.option(
    "--refit-national-priors",
    is_flag=True,
    help="fit England's priors again (minutes) instead of using those shipped for 2017-2022",
)


@click.command(
    "fit-published",
    help="Read DfE 'children looked after' tables (the 2015-2019 wide files or the tidy files "
    "published since), take one council's stocks at 31 March, starts and ceases, and fit the "
    "cohort model's rates with PyMC (priors from England's own series). Writes the fit "
    "(posterior.nc, which AggregateModel.load reads), a parameter summary, diagnostics, "
    "published-vs-fitted values and an inputs folder for 'placecast forecast --inputs'.",
    short_help="fit rates to a council's published DfE statistics",
)
@click.option("--council", required=True, help="council name or ONS code, e.g. Hackney")
@click.option("--last-year", type=int, default=None, help="last year to fit (default: the latest)")
@DATA
@DEFAULT_PRIORS
@REFIT_NATIONAL
@stock_growth_options
@settings_options(AggregateSettings)
@seed_option(1)
@out_option("placecast-fit")
@ACCEPT_POOR_FIT
def fit_published(
    council: str,
    last_year: int | None,
    data: tuple[Path, ...],
    default_priors: bool,
    refit_national_priors: bool,
    stock_growth: tuple[float, float] | None,
    no_stock_growth_prior: bool,
    seed: int,
    out: Path,
    accept_poor_fit: bool,
    **options: Any,
) -> int:
    from placecast.data.dfe import published_counts
    from placecast.data.providers import fostering_split
    from placecast.data.published import published_tables
    from placecast.fit.national import fit_national_priors, national_priors, with_england_years
    from placecast.fit.priors import AggregatePriors
    from placecast.fit.published import fit_published_council, fitting_year

    settings = settings_from_options(AggregateSettings, options)
    tidy = published_tables(list(data) or None)
    counts = published_counts(tidy, council)
    last = fitting_year(counts, last_year)
    counts = counts.upto(last)
    priors = AggregatePriors()
    if default_priors and refit_national_priors:
        raise click.UsageError("give --default-priors or --refit-national-priors, not both")
    if refit_national_priors:
        print(f"Fitting England's series up to {last} for the priors...", file=sys.stderr)
        priors, check = fit_national_priors(tidy, last, placement_model=settings.placement_model)
        print(f"England: {check.summary()}", file=sys.stderr)
    elif not default_priors:
        # The shipped priors when they match these tables, else England is fitted (minutes).
        print(f"Priors from England's published series up to {last}...", file=sys.stderr)
        priors = national_priors(tidy, last, placement_model=settings.placement_model)
    priors = with_stock_growth(priors, stock_growth, no_stock_growth_prior)
    priors = with_england_years(priors, tidy, last, settings)
    print(f"Fitting {counts.council} ({counts.la_code}) to {last}...", file=sys.stderr)
    # The folder is written whole or not at all; a failed check leaves no inputs/ (an earlier
    # run's is removed with the rest of its files).
    fitted = fit_published_council(
        counts,
        priors,
        settings,
        seed=seed,
        out=out,
        accept_poor_fit=accept_poor_fit,
        fostering=fostering_split(tidy, counts.la_code, last),
        about={
            "command": "fit-published",
            "data_sha256": file_digests(data) if data else "the tables shipped with placecast",
        },
        progressbar=sys.stderr.isatty(),  # quiet in logs and pipes
    )
    model, carers = fitted.model, fitted.carers
    print("\nPublished and fitted (posterior mean)")
    print(
        model.fitted_.filter(regex="^(fitted_)?(children_in_care|starts|ceases)$")
        .round(0)
        .to_string()
    )
    for caution in fitted.check.cautions:
        print(f"Note: {caution}.", file=sys.stderr)
    refused = refuse_poor_fit(model.diagnostics_, fitted.check, accept_poor_fit, out)
    if not refused and carers is None:
        print(
            f"Note: placeholder: Ofsted's fostering data has no year for {counts.council}; "
            "the carer supply is sized to the starting in-house stock (enter your own).",
            file=sys.stderr,
        )
    if refused:
        _hint_small_council(fitted, priors)
        return 2
    enter = "unit costs and budget" if carers else "carer supply, unit costs and budget"
    print(
        f"\nWrote posterior.nc, parameters_summary.csv, diagnostics.csv, published_and_fitted.csv, "
        f"stock_at_last_year.csv and inputs/ to {out}/. Put your {enter} in "
        f"{out}/inputs/inputs.json (the carer supply there is Ofsted's when it has the council), "
        f"then: placecast forecast --inputs {out}/inputs",
        file=sys.stderr,
    )
    return 0
