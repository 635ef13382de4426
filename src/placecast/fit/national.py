"""National priors: what England's own published series imply for a council's fit.

The one place national priors are built; :func:`national_priors` runs a fit of England, so it
sits above both the priors and the aggregate model. Fitting England takes minutes, so the
package ships the priors for every last year 2017-2022 (``national_priors.json`` beside this
module), each from a converged fit; :func:`shipped_national_priors` returns them when the
England series they were fitted to is the one given. Rebuild them with
``python -m placecast.fit.national`` (about 2 minutes a year on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placecast._version import __version__
from placecast.data.dfe import PublishedCounts, published_counts
from placecast.fit.aggregate import AggregateModel
from placecast.fit.priors import AggregatePriors
from placecast.fit.quality import FitCheck
from placecast.fit.settings import AggregateSettings

__all__ = [
    "ENGLAND_SETTINGS",
    "SHIPPED",
    "build_shipped_priors",
    "fit_national_priors",
    "national_priors",
    "shipped_national_priors",
    "with_england_years",
]

#: The shipped priors (written by :func:`build_shipped_priors`).
SHIPPED = Path(__file__).with_name("national_priors.json")
#: England is fitted as an average council: its counts divided by this (about the number of
#: councils) and rounded. The priors take England's posterior *means* of shares, growth and
#: drifts, which the scale leaves alone; at England's own scale its counts pin the rates so
#: sharply that the posterior is a narrow funnel that NUTS did not explore reliably (measured
#: 2026-12-02: R-hat 1.83 with 3 effective draws for 2018 at 1,000 tuning steps and a 0.99
#: target, 1.03 at 2,000 and 0.995, 1-11 divergences for 2017 and 2019; PyMC's sampler with 500
#: tuning steps took 8 minutes and gave R-hat 1.03).
ENGLAND_SCALE = 150
#: How England (as an average council) is sampled.
ENGLAND_SETTINGS: dict[str, Any] = {
    "draws": 1000,
    "tune": 1000,
    "target_accept": 0.99,
    "sampler": "nutpie",
    # How the shipped priors were sampled (England / 150 has about 200 starts a year, so
    # "auto" would now centre the shocks: the same model, another sampler geometry).
    "random_walks": "non_centered",
    # The priors take no noise from England, only means of shares, growth and drifts.
    "count_noise": "shared",
    # Entrants arrive month by month and the ages on ceasing are observed (the defaults; the
    # priors shipped before 2026-12-04 had a quarter's entrants at its end and no ages).
    "entry_timing": "monthly",
    "ceases_by_age": "observed",
}
#: Tried in turn for a shipped prior until the England fit passes its check: another seed
#: (another initialisation; 2021's first chain stuck away from the other, R-hat 1.83, with seed
#: 0 at both 1,000 and 2,000 tuning steps), then longer tuning.
SHIPPING_SETTINGS: tuple[dict[str, Any], ...] = (
    {**ENGLAND_SETTINGS, "seed": 0},
    {**ENGLAND_SETTINGS, "seed": 1},
    {**ENGLAND_SETTINGS, "tune": 2000, "target_accept": 0.995, "seed": 2},
)


def _england(tidy: pd.DataFrame, last_year: int, first_year: int | None) -> PublishedCounts:
    """England's published series up to ``last_year`` (from ``first_year``), at its own scale."""
    england = published_counts(tidy, "E92000001").upto(last_year)
    return england if first_year is None else england.since(first_year)


def with_england_years(
    priors: AggregatePriors,
    tidy: pd.DataFrame,
    last_year: int,
    settings: AggregateSettings,
    *,
    first_year: int | None = None,
) -> AggregatePriors:
    """``priors`` with England's published yearly changes up to ``last_year`` when
    ``settings.national_years`` is ``"england"`` (see
    :meth:`~placecast.fit.priors.AggregatePriors.with_national_years`), else unchanged."""
    if settings.national_years != "england":
        return priors
    return priors.with_national_years(_england(tidy, last_year, first_year))


def _england_model(placement_model: str) -> str:
    # The random-walk pull takes no centre from England (its prior is the persistence of
    # councils' shares), so England is fitted with the fixed pull for both.
    return "fixed" if placement_model == "random_walk" else placement_model


def national_priors(
    tidy: pd.DataFrame,
    last_year: int,
    *,
    first_year: int | None = None,
    seed: int = 0,
    placement_model: str = "random_walk",
    **overrides: Any,
) -> AggregatePriors:
    """Priors centred on England's published series: the shipped ones when they were fitted to
    this series (:func:`shipped_national_priors`), else a fresh fit (:func:`fit_national_priors`,
    which takes minutes)."""
    if not overrides and seed == 0:
        shipped = shipped_national_priors(
            tidy, last_year, first_year=first_year, placement_model=placement_model
        )
        if shipped is not None:
            return shipped
    return fit_national_priors(
        tidy,
        last_year,
        first_year=first_year,
        seed=seed,
        placement_model=placement_model,
        **overrides,
    )[0]


def fit_national_priors(
    tidy: pd.DataFrame,
    last_year: int,
    *,
    first_year: int | None = None,
    seed: int = 0,
    placement_model: str = "random_walk",
    sampling: dict[str, Any] | None = None,
    **overrides: Any,
) -> tuple[AggregatePriors, FitCheck]:
    """Priors centred on what England's published series imply.

    Fits :class:`~placecast.fit.aggregate.AggregateModel` to the England rows of ``tidy``
    (years up to ``last_year``, so a backtest never peeks ahead) with wide priors, and returns
    priors whose means are England's posterior means: the entry age mix, the exit multipliers
    by band, the entry and move tilts, the entry growth and the drift of the exit level. The
    spreads stay as documented, so a council can differ from England.

    England's own year-to-year change of the exit level is given a small prior sd (0.02, not
    a council's 0.1): a national change averages some 150 councils' own changes, so what is
    left is mostly the common drift. ``placement_model="drift"`` fits England with a drift
    of the residential / semi-independent pull too and centres that prior on it (use it for
    councils fitted with the same model). ``placement_model="random_walk"`` takes no centre
    from England (its prior is the persistence of councils' shares), so England is fitted with
    the fixed pull: the same priors as for ``"fixed"``, which keeps the two models' backtests
    a paired comparison. ``sampling``: NUTS settings for England (default
    :data:`ENGLAND_SETTINGS`). Returns the priors and the England fit's
    :class:`~placecast.fit.quality.FitCheck`.
    """
    wide_settings: dict[str, object] = {
        "log_exit_scale_sd": 1.0,
        "entry_tilt_sd": 1.0,
        "move_tilt_sd": 1.0,
        "entry_age_concentration": 2.0,
        "exit_year_sd": 0.02,
        "exit_drift_sd": 0.1,
        "residential_drift_sd": 0.2,
        "starts_counted_share_sd": 0.05,
        **overrides,
    }
    wide = AggregatePriors(**wide_settings)  # type: ignore[arg-type]
    england = _england(tidy, last_year, first_year)
    average = england.scaled(1 / ENGLAND_SCALE, f"England / {ENGLAND_SCALE}")
    model = AggregateModel(
        priors=wide,
        placement_model=_england_model(placement_model),
        **(ENGLAND_SETTINGS if sampling is None else sampling),
    ).fit(average, seed=seed)
    post = model.idata_.posterior
    mean = {k: post[k].mean(("chain", "draw")).values for k in post.data_vars}
    # England's published stock growth over the fitted years (geometric mean per year).
    first, last = model.first_year_, model.last_year_
    total = dict(zip(england.years.tolist(), england.children_in_care, strict=True))
    stock_growth = float(np.log(total[last] / total[first]) / (last - first))
    check = model.check()
    if not check.passed:
        warnings.warn(
            f"England's fit for the national priors failed its check ({check.summary()}); "
            "its means are used but may be wrong: fit again with more tuning",
            UserWarning,
            stacklevel=2,
        )
    drift = float(mean.get("residential_drift", 0.0))
    priors = replace(
        wide,
        residential_drift_mean=drift,
        residential_drift_sd=AggregatePriors.residential_drift_sd,
        entry_age_share=tuple(float(v) for v in mean["entry_age_band_share"]),
        entry_age_concentration=AggregatePriors.entry_age_concentration,
        log_exit_scale_mean=tuple(float(v) for v in mean["log_exit_scale"]),
        log_exit_scale_sd=AggregatePriors.log_exit_scale_sd,
        entry_tilt_mean=(float(mean["entry_tilt"][0]), float(mean["entry_tilt"][1])),
        entry_tilt_sd=AggregatePriors.entry_tilt_sd,
        move_tilt_mean=float(mean["move_tilt"]),
        move_tilt_sd=AggregatePriors.move_tilt_sd,
        entry_growth_mean=float(mean["entry_log_growth"]),
        exit_year_sd=AggregatePriors.exit_year_sd,
        exit_drift_mean=float(mean["exit_drift"]),
        exit_drift_sd=AggregatePriors.exit_drift_sd,
        starts_counted_share=float(mean["starts_counted_share"]),
        stock_growth_mean=float(np.expm1(stock_growth)),
        stock_growth_sd=0.025,
        source=f"England's published series {model.first_year_}-{last_year} "
        "(DfE, children looked after in England), fitted with wide priors: entry growth "
        f"{np.expm1(mean['entry_log_growth']):+.1%} a year, exit level "
        f"{np.expm1(mean['exit_drift']):+.1%} a year, "
        f"{float(mean['starts_counted_share']):.1%} of joiners counted as starts, "
        + (
            f"pull of residential / semi-independent {np.expm1(drift):+.1%} a year, "
            if "residential_drift" in mean
            else ""
        )
        + f"children in care {np.expm1(stock_growth):+.1%} a year",
    )
    return priors, check


def _key(england: PublishedCounts, placement_model: str) -> dict[str, Any]:
    return {"england": england.fingerprint(), "england_model": _england_model(placement_model)}


def shipped_national_priors(
    tidy: pd.DataFrame,
    last_year: int,
    *,
    first_year: int | None = None,
    placement_model: str = "random_walk",
) -> AggregatePriors | None:
    """The shipped national priors for ``last_year``, or ``None`` when none were fitted to
    England's series in ``tidy`` up to that year (other data, another first year, or the
    ``"drift"`` placement model).

    Examples
    --------
    >>> from placecast.data.published import published_tables
    >>> priors = shipped_national_priors(published_tables(), 2022)
    >>> priors.source.startswith("England's published series 2015-2022")
    True
    """
    if not SHIPPED.is_file():
        return None
    key = _key(_england(tidy, last_year, first_year), placement_model)
    for entry in json.loads(SHIPPED.read_text())["priors"]:  # converged fits only
        if entry["key"] == key:
            return AggregatePriors.from_dict(entry["priors"], AggregatePriors().structure)
    return None


def build_shipped_priors(
    tidy: pd.DataFrame, last_years: list[int], out: str | Path = SHIPPED
) -> Path:
    """Fit England for each of ``last_years`` and write the priors to ``out``.

    Each year tries :data:`SHIPPING_SETTINGS` in turn and is shipped only from a fit that passes
    its check (:mod:`placecast.fit.quality`); a year none passes is listed under
    ``not_shipped`` with its last check (councils fitted to it then fit England on demand). The
    file is rewritten after every year, keeping the entries of years not asked for, so a long
    build can be resumed year by year.
    """
    path = Path(out)
    record: dict[str, Any] = (
        json.loads(path.read_text()) if path.is_file() else {"priors": [], "not_shipped": []}
    )
    record.update(
        {
            "made_by": f"placecast {__version__}: python -m placecast.fit.national",
            "settings": "each entry's 'sampling': the first of SHIPPING_SETTINGS that passed",
            "data": "DfE children looked after in England, the shipped tables (OGL v3)",
        }
    )
    for year in last_years:
        record["priors"] = [e for e in record["priors"] if e["last_year"] != year]
        record["not_shipped"] = [e for e in record.get("not_shipped", []) if e["last_year"] != year]
        for sampling in SHIPPING_SETTINGS:
            nuts = {k: v for k, v in sampling.items() if k != "seed"}
            priors, check = fit_national_priors(tidy, year, seed=sampling["seed"], sampling=nuts)
            print(f"{year} {sampling}: {check.summary()}", flush=True)
            if check.passed:
                break
        entry = {
            "last_year": year,
            "key": _key(_england(tidy, year, None), "fixed"),
            "sampling": sampling,
            "check": check.to_dict(),
        }
        if check.passed:
            record["priors"].append({**entry, "priors": priors.to_dict()})
        else:
            record["not_shipped"].append(entry)
        record["priors"].sort(key=lambda e: e["last_year"])
        path.write_text(json.dumps(record, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """``python -m placecast.fit.national [--years ...]``: rebuild the shipped priors."""
    from placecast.data.published import published_tables

    parser = argparse.ArgumentParser(
        description=(build_shipped_priors.__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--years", type=int, nargs="+", default=list(range(2017, 2023)))
    parser.add_argument("--out", type=Path, default=SHIPPED)
    args = parser.parse_args(argv)
    print(build_shipped_priors(published_tables(), args.years, args.out))


if __name__ == "__main__":
    main()
