"""Fit entry, move and exit rates to transition counts from episodes (SSDA903).

For a continuous-time Markov chain, counts of events and time at risk are sufficient: the number
of moves from placement p to q in age band b is Poisson with mean ``rate x child-years at risk``.
Rates are pooled across age bands on the log scale (a hierarchical prior):

    log rate[b, p, k] = mu[p, k] + sigma * z[b, p, k],   z ~ Normal(0, 1)

with ``mu[p, k] ~ Normal(log(prior_rate), prior_log_sd)`` and one ``sigma ~ HalfNormal`` for moves
and one for exits. Entries per financial year are Poisson with a log-linear trend; the entry age
distribution and the placement mix by age band have Dirichlet priors with multinomial counts.
Transitions the state space forbids (e.g. into semi-independent accommodation under 16) are fixed
at zero. The posterior draws become a :class:`~placecast.rates.Rates` with one set per draw, which
drives the engine one draw per simulated path.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm

from placecast.data.ssda903 import EpisodeFlows
from placecast.errors import ConfigError
from placecast.fit.quality import FitCheck, check_fit
from placecast.fit.sampling import retried_sampling, sample_posterior, sampler_diagnostics
from placecast.fit.settings import RETRIES
from placecast.fit.store import read_fit, write_fit
from placecast.rates import Rates
from placecast.states import StateSpace, space_from_dict, space_to_dict


@dataclass(frozen=True)
class EpisodePriors:
    """Priors for :class:`EpisodeModel` (documented defaults; override any of them).

    Parameters
    ----------
    move_rate_per_year, exit_rate_per_year
        Prior median of a move / exit rate per child-year (before pooling).
    log_rate_sd
        Prior standard deviation of the log of a placement's mean rate: 1.5 lets a rate be about
        20 times larger or smaller than the prior median.
    band_sd
        Scale of the half-normal prior on how much rates vary between age bands (log scale).
    entry_trend_sd
        Prior standard deviation of the yearly log-growth of entries.
    """

    move_rate_per_year: float = 0.05
    exit_rate_per_year: float = 0.05
    log_rate_sd: float = 1.5
    band_sd: float = 1.0
    entry_trend_sd: float = 0.1


def _pooled_rates(
    kind: str,
    prior_rate: float,
    dims: tuple[str, str],
    priors: EpisodePriors,
    mask: np.ndarray | None = None,
) -> Any:
    """Rates by (age_band, *dims), pooled across age bands on the log scale.

    ``log rate = mu[dims] + sd * z[age_band, dims]``; creates ``mu_<kind>``, ``sd_<kind>``,
    ``z_<kind>`` and the deterministic ``<kind>_rate_per_year`` (times ``mask``, if given).
    """
    mu = pm.Normal(f"mu_{kind}", np.log(prior_rate), priors.log_rate_sd, dims=dims)
    sd = pm.HalfNormal(f"sd_{kind}", priors.band_sd)
    z = pm.Normal(f"z_{kind}", 0, 1, dims=("age_band", *dims))
    rate = pm.math.exp(mu[None] + sd * z)
    return pm.Deterministic(
        f"{kind}_rate_per_year", rate if mask is None else rate * mask, dims=("age_band", *dims)
    )


#: The parameters whose R-hat and effective sample size the fit check judges.
_JUDGED = (
    "mu_move",
    "sd_move",
    "z_move",
    "mu_exit",
    "sd_exit",
    "z_exit",
    "log_entries_per_year",
    "entry_log_growth",
    "entry_age_band_share",
)


@dataclass
class EpisodeModel:
    """Bayesian rates from episode flows; scikit-learn style (configure, then ``fit``).

    Parameters
    ----------
    priors
        Prior settings.
    draws, tune, chains, cores
        NUTS settings (draws and tuning steps per chain; chains run on ``cores`` processes).
    target_accept
        NUTS step-size adaptation target.
    retry
        ``"auto"`` (default): a fit that fails the fit check's convergence limits is sampled
        again, by what the last chains show (:func:`~placecast.fit.sampling.sample_posterior`);
        ``"none"``: not.

    Attributes
    ----------
    idata_ : arviz.InferenceData
        The posterior, with sampler statistics.
    rates_ : Rates
        Posterior draws as rates (one set per draw, chains stacked).
    diagnostics_ : pandas.DataFrame
        R-hat, effective sample sizes and divergences.

    Notes
    -----
    A worked example from files to forecast is on the docs page "Fitting your own SSDA903
    data"; ``tests/test_synthetic_fit.py`` runs one end to end.
    """

    priors: EpisodePriors = field(default_factory=EpisodePriors)
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.9
    retry: str = "auto"

    def build(self, flows: EpisodeFlows, space: StateSpace) -> pm.Model:
        """The PyMC model for ``flows`` (not yet sampled)."""
        pr = self.priors
        P, B, R = space.n_placements, space.n_bands, len(space.exit_reasons)
        exposure = (
            flows.exposure_years.sum("financial_year").transpose("age_band", "placement").values
        )  # (B, P)
        moves = (
            flows.moves.sum("financial_year")
            .transpose("age_band", "from_placement", "to_placement")
            .values
        )
        exits = (
            flows.exits.sum("financial_year")
            .transpose("age_band", "placement", "exit_reason")
            .values
        )
        allowed_to = np.arange(B)[:, None] >= space.min_age_band[None, :]  # (B, to)
        at_risk = exposure[:, :, None] > 0
        move_ok = (~np.eye(P, dtype=bool))[None] & allowed_to[:, None, :] & at_risk
        exit_ok = np.broadcast_to(exposure[:, :, None] > 0, (B, P, R))
        entries = flows.entries
        per_year = entries.sum(("age_band", "placement")).values
        years = entries["financial_year"].values.astype(float)
        centre = years.mean()
        by_band = entries.sum(("financial_year", "placement")).values
        mix_counts = entries.sum("financial_year").transpose("age_band", "placement").values
        if per_year.sum() == 0:
            raise ConfigError("no entries in the episodes' period: cannot fit entry rates")

        coords = {
            "age_band": list(space.age_band_labels),
            "placement": list(space.placement_names),
            "to_placement": list(space.placement_names),
            "exit_reason": list(space.exit_reasons),
            "financial_year": list(years.astype(int)),
        }
        with pm.Model(coords=coords) as model:
            mi = np.nonzero(move_ok)
            move_rate = _pooled_rates(
                "move", pr.move_rate_per_year, ("placement", "to_placement"), pr, mask=move_ok
            )
            pm.Poisson("moves", move_rate[mi] * exposure[mi[0], mi[1]], observed=moves[mi])
            xi = np.nonzero(exit_ok)
            exit_rate = _pooled_rates(
                "exit", pr.exit_rate_per_year, ("placement", "exit_reason"), pr
            )
            pm.Poisson("exits", exit_rate[xi] * exposure[xi[0], xi[1]], observed=exits[xi])

            log_entries = pm.Normal("log_entries_per_year", np.log(per_year.mean() + 1), 1.0)
            trend = pm.Normal("entry_log_growth", 0.0, pr.entry_trend_sd)
            pm.Poisson(
                "entries",
                pm.math.exp(log_entries + trend * (years - centre)),
                observed=per_year,
                dims="financial_year",
            )
            age_share = pm.Dirichlet("entry_age_band_share", np.ones(B), dims="age_band")
            pm.Multinomial("entries_by_band", n=by_band.sum(), p=age_share, observed=by_band)
            for b in range(B):
                ok = np.flatnonzero(allowed_to[b])
                share = pm.Dirichlet(f"entry_mix_{b}", np.ones(ok.size))
                pm.Multinomial(
                    f"entries_mix_{b}",
                    n=mix_counts[b, ok].sum(),
                    p=share,
                    observed=mix_counts[b, ok],
                )
        return model

    def fit(
        self,
        flows: EpisodeFlows,
        space: StateSpace | None = None,
        *,
        seed: int = 0,
        progressbar: bool = False,
    ) -> EpisodeModel:
        """Sample the posterior; sets ``idata_``, ``rates_`` and ``diagnostics_``.

        ``space`` is the state space the flows were counted on (default: the standard one).
        Warns (``UserWarning``) when R-hat > 1.01, the bulk ESS is under 100 per chain or any
        transition diverged.
        """
        if self.retry not in RETRIES:
            raise ConfigError(f"EpisodeModel.retry must be one of {', '.join(RETRIES)}")
        space = StateSpace() if space is None else space
        self.idata_ = sample_posterior(
            self.build(flows, space),
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=self.cores,
            target_accept=self.target_accept,
            seed=seed,
            progressbar=progressbar,
            retry_var_names=_JUDGED if self.retry == "auto" else None,
        )
        years = flows.entries["financial_year"].values.astype(float)
        return self._learn(space, float(years.mean()), float(years.max()), seed)

    def _learn(self, space: StateSpace, centre: float, last_year: float, seed: int) -> EpisodeModel:
        """What follows from the posterior (``idata_`` set): diagnostics and rates."""
        self.space_, self.seed_ = space, seed
        self.entry_years_ = {"centre": centre, "last_year": last_year}
        self.diagnostics_ = self._diagnostics()
        self.rates_ = self._rates()
        return self

    def check(self) -> FitCheck:
        """Whether this fit is good enough to forecast from (:mod:`placecast.fit.quality`)."""
        return check_fit(
            self.diagnostics_,
            model="EpisodeModel",
            chains=int(self.idata_.posterior.sizes["chain"]),
            sampling=retried_sampling(self.idata_),
        )

    def summary(self, hdi_prob: float = 0.94) -> pd.DataFrame:
        """The fitted rates (:func:`arviz.summary`: means, intervals, R-hat, ESS)."""
        with warnings.catch_warnings():  # rates fixed at zero (forbidden moves) have no R-hat
            warnings.simplefilter("ignore", RuntimeWarning)
            return az.summary(
                self.idata_,
                var_names=[
                    "move_rate_per_year",
                    "exit_rate_per_year",
                    "log_entries_per_year",
                    "entry_log_growth",
                ],
                hdi_prob=hdi_prob,
            )

    def save(self, path: str | Path) -> Path:
        """Write the fit to one netCDF file (posterior; priors and settings in its attributes)."""
        if "idata_" not in self.__dict__:
            raise ConfigError("EpisodeModel.save: fit the model first")
        config = {
            "priors": asdict(self.priors),
            "settings": {
                k: getattr(self, k) for k in ("draws", "tune", "chains", "cores", "target_accept")
            },
            "space": space_to_dict(self.space_),
            "entry_years": self.entry_years_,
            "seed": int(self.seed_),
        }
        return write_fit(self.idata_, path, kind="EpisodeModel", config=config)

    @classmethod
    def load(cls, path: str | Path) -> EpisodeModel:
        """A fit written by :meth:`save`, with the same rates and diagnostics.

        Raises
        ------
        InputError
            The file is missing, or was written by another model or file layout.
        """
        idata, config = read_fit(path, "EpisodeModel")
        model = cls(priors=EpisodePriors(**config["priors"]), **config["settings"])
        model.idata_ = idata
        years = config["entry_years"]
        return model._learn(
            space_from_dict(config["space"]), years["centre"], years["last_year"], config["seed"]
        )

    def _diagnostics(self) -> pd.DataFrame:
        chains = int(self.idata_.posterior.sizes["chain"])
        return sampler_diagnostics(self.idata_, _JUDGED, chains=chains, label="EpisodeModel")

    def _rates(self) -> Rates:
        space = self.space_
        post = self.idata_.posterior.stack(sample=("chain", "draw"))
        move = post["move_rate_per_year"].transpose("sample", ...).values
        exit_ = post["exit_rate_per_year"].transpose("sample", ...).values
        n = move.shape[0]
        growth = np.exp(post["entry_log_growth"].values) - 1.0
        # Entry intensity at the start of the forecast: one year after the last fitted year.
        level = np.exp(
            post["log_entries_per_year"].values
            + post["entry_log_growth"].values
            * (self.entry_years_["last_year"] + 1 - self.entry_years_["centre"])
        )
        allowed_to = np.arange(space.n_bands)[:, None] >= space.min_age_band[None, :]
        mix = np.zeros((n, space.n_bands, space.n_placements))
        for b in range(space.n_bands):
            mix[:, b, np.flatnonzero(allowed_to[b])] = (
                post[f"entry_mix_{b}"].transpose("sample", ...).values
            )
        return Rates.build(
            space,
            entries_per_year=level,
            entry_growth_per_year=growth,
            entry_age_band_share=post["entry_age_band_share"].transpose("sample", ...).values,
            entry_placement_share=mix,
            move_rate_per_year=move,
            exit_rate_per_year=exit_,
        )
