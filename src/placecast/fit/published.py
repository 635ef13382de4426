"""Fit one council to DfE's published tables and write its fit folder, with an inputs folder.

What ``placecast fit-published`` and ``placecast batch fit`` both do for a council, once its
published series and priors are chosen: fit, check the fit, and write the folder whole
(``posterior.nc``, parameter summary, diagnostics, published-vs-fitted values, the starting
stock) with ``inputs/`` for ``placecast forecast`` unless the fit failed its check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from placecast.data.dfe import PublishedCounts
from placecast.data.ofsted import CarerSupplySource, published_carer_supply
from placecast.data.placeholders import placeholder_inputs
from placecast.data.providers import FosteringSplit
from placecast.errors import InputError
from placecast.fit.aggregate import AggregateModel
from placecast.fit.priors import AggregatePriors
from placecast.fit.quality import FitCheck
from placecast.fit.settings import AggregateSettings
from placecast.folders import written_folder
from placecast.inputs import save_inputs
from placecast.rates import Rates
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

__all__ = [
    "FEW_FLOW_YEARS",
    "PublishedFit",
    "fit_published_council",
    "fitting_year",
    "save_fitted_inputs",
    "short_series_note",
]

#: Fewer years than this after the first stock and a fit's rates are mostly England's priors.
FEW_FLOW_YEARS = 3


def short_series_note(model: AggregateModel) -> str | None:
    """What to say when a fit's rates rest on one or two years after its first stock (a
    council formed since 2019, or a short series given with ``--data``); ``None`` otherwise.

    Examples
    --------
    A council fitted to 2021/22 alone: "Dorset is fitted to 1 year(s) of ceases and children in
    care after its first stock (2021/22): its entry and exit rates rest mostly on England's
    priors (in 2021/22: fitted starts 141 against 138 published, ceases 164 against 138);
    check the forecast's flows against your own figures".
    """
    years = model.fitted_["fitted_ceases"].dropna().index
    if years.size >= FEW_FLOW_YEARS:
        return None
    last = model.fitted_.loc[years[-1]]
    named = ", ".join(f"{y - 1}/{str(y)[2:]}" for y in years)
    return (
        f"{model.counts_.council} is fitted to {years.size} year(s) of ceases and children in "
        f"care after its first stock ({named}): its entry and exit rates rest mostly on "
        f"England's priors (in {named.split(', ')[-1]}: fitted starts "
        f"{last['fitted_starts']:.0f} against {last['starts']:.0f} published, ceases "
        f"{last['fitted_ceases']:.0f} against {last['ceases']:.0f}); check the forecast's flows "
        "against your own figures"
    )


def save_fitted_inputs(
    name: str,
    stock: InitialStock,
    rates: Rates,
    *,
    start: str,
    sources: tuple[str, ...],
    out: Path,
    check: FitCheck,
    supply: CarerSupply | None = None,
    stock_status: str = "published",
    published_children_in_care: Mapping[int, float] | None = None,
) -> None:
    """Inputs ready for ``placecast forecast --inputs``, in ``out/inputs``: fitted rates (up to
    1,000 draws) and stock; unit costs and budget are placeholders, and so is the carer supply
    unless given (see :func:`~placecast.data.placeholders.placeholder_inputs`; say where a
    given one came from in ``sources``)."""
    placeholders = "unit costs and budget" if supply else "carer supply, unit costs and budget"
    save_inputs(
        placeholder_inputs(
            f"{name} ({placeholders} are placeholders: edit inputs.json)",
            stock,
            rates,
            start=start,
            sources=sources,
            fit_check={**check.to_dict(), "passed": check.passed, "summary": check.summary()},
            supply=supply,
            stock_status=stock_status,
            published_children_in_care=published_children_in_care,
        ),
        out / "inputs",
    )


def fitting_year(counts: PublishedCounts, last_year: int | None) -> int:
    """The last year to fit: ``last_year``, or the council's latest published year.

    Refused, with the years that work, when it leaves no earlier year or is not published.
    """
    published = counts.years[~np.isnan(counts.children_in_care)]
    first, latest = int(published.min()), int(published.max())
    if last_year is not None and not first < last_year <= latest:
        raise InputError(
            f"--last-year {last_year}: {counts.council}'s published children in care run "
            f"{first}-{latest}, and a fit needs at least one year before its last; give a year "
            f"from {first + 1} to {latest}, or add later tables with --data"
        )
    return latest if last_year is None else int(last_year)


@dataclass(frozen=True)
class PublishedFit:
    """What fitting a council wrote.

    Attributes
    ----------
    model
        The fitted model.
    check
        Placecast's check of the fit; its ``cautions`` hold :func:`short_series_note`'s words
        for a fit on one or two years of flows.
    carers
        The council's carer supply from Ofsted's data, or ``None`` (a placeholder was used).
    inputs_written
        Whether ``inputs/`` was written: the check passed, or a failed fit was accepted.
    """

    model: AggregateModel
    check: FitCheck
    carers: CarerSupplySource | None
    inputs_written: bool


def fit_published_council(
    counts: PublishedCounts,
    priors: AggregatePriors,
    settings: AggregateSettings,
    *,
    seed: int,
    out: str | Path,
    accept_poor_fit: bool = False,
    fostering: FosteringSplit | None = None,
    about: dict[str, Any] | None = None,
    progressbar: bool = False,
) -> PublishedFit:
    """Fit a council's published series (already cut to its last year) and write ``out``.

    Parameters
    ----------
    counts
        The council's published series up to the last fitted year.
    priors, settings
        The model's priors (England's, usually) and settings.
    seed
        The sampler's seed.
    out
        The fit folder, written whole or not at all (an earlier run's files are replaced).
    accept_poor_fit
        Write ``inputs/`` even when the fit fails its check (they then carry the check).
    fostering
        The council's split of fostering into in-house, family and friends and agency
        (:func:`~placecast.data.providers.fostering_split`), which replaces the priors'
        assumed split for the starting stock; ``None`` keeps the assumed one (said in the
        inputs' sources).
    about
        More lines for the folder's manifest (the command, the data used).
    progressbar
        Show the sampler's progress.

    Returns
    -------
    PublishedFit
    """
    if fostering is not None:
        priors = replace(priors, fostering_split=fostering.shares)
        split_source = fostering.source
    else:
        in_house, family, agency = priors.fostering_split
        split_source = (
            f"fostering split assumed (in-house {in_house:.0%}, family and friends "
            f"{family:.0%}, agency {agency:.0%}): DfE's provider counts for {counts.council} "
            "are suppressed or missing"
        )
    model = AggregateModel(priors, settings).fit(counts, seed=seed, progressbar=progressbar)
    last = int(counts.years.max())
    stock = model.initial_stock()
    manifest = {
        **(about or {}),
        "council": counts.council,
        "la_code": counts.la_code,
        "last_year": last,
        "seed": seed,
        "settings": settings.to_dict(),
        "priors": priors.source,
        "series_fingerprint": counts.fingerprint(),  # the published series fitted
    }
    with written_folder(Path(out), manifest) as staging:
        model.save(staging / "posterior.nc")
        model.summary().to_csv(staging / "parameters_summary.csv")
        model.diagnostics_.to_csv(staging / "diagnostics.csv", index=False)
        model.fitted_.to_csv(staging / "published_and_fitted.csv")
        stock.by_band().to_csv(staging / "stock_at_last_year.csv")
        short = short_series_note(model)
        # Reports box it beside the forecast, as they do a failed check.
        check = replace(model.check(), cautions=(short,) if short else ())
        write_inputs = check.passed or accept_poor_fit
        carers = published_carer_supply(counts.la_code)
        if write_inputs:
            carers_source = (
                f"carer supply: {carers.source}"
                if carers is not None
                else f"placeholder: Ofsted's fostering data has no year for {counts.council}; "
                "the carer supply is sized to the starting in-house stock (enter your own)"
            )
            ages = (
                "as fitted (starting_ages=fitted)"
                if settings.starting_ages == "fitted"
                else "as published"
            )
            save_fitted_inputs(
                f"{counts.council}, fitted to DfE published statistics to 31 March {last}",
                stock,
                model.rates_,
                start=f"{last}-03",
                sources=(
                    f"DfE children looked after in England, {counts.council}; priors: "
                    f"{priors.source}",
                    f"starting stock: DfE's total and placement groups at 31 March {last}, "
                    f"age bands {ages}",
                    split_source,
                    carers_source,
                ),
                out=staging,
                check=check,
                supply=None if carers is None else carers.supply,
                published_children_in_care=counts.children_in_care_by_year(upto=last),
            )
    return PublishedFit(
        model=model,
        check=check,
        carers=carers,
        inputs_written=write_inputs,
    )
