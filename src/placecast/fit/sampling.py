"""Sampling and sampler diagnostics shared by the fits (NUTS settings, R-hat, ESS, divergences)."""

from __future__ import annotations

import itertools
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import arviz as az
import pandas as pd
import pymc as pm
import xarray as xr

from placecast.errors import ConfigError
from placecast.fit.quality import (
    DIVERGENCES_MAX,
    ESS_BULK_PER_CHAIN,
    R_HAT_MAX,
    FitCheck,
    check_fit,
)
from placecast.fit.settings import SAMPLERS

#: The step-size target of chains drawn again after divergent transitions.
RETRY_TARGET_ACCEPT = 0.99
#: How many times the draws per chain when the effective sample size is short.
RETRY_DRAWS_FACTOR = 2


def sample_posterior(
    model: pm.Model,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int,
    target_accept: float,
    seed: int,
    progressbar: bool,
    sampler: str = "pymc",
    low_rank_mass_matrix: bool = False,
    retry_var_names: Sequence[str] | None = None,
) -> Any:  # arviz.InferenceData (groups are dynamic attributes)
    """NUTS on ``model`` with the fits' settings; convergence is checked by
    :func:`sampler_diagnostics`, not by PyMC's own summary.

    ``sampler`` is one of :data:`SAMPLERS`. With ``"nutpie"`` the posterior holds the model's
    variables on their own scale only (nutpie's unconstrained copies are dropped), and
    ``low_rank_mass_matrix`` adapts nutpie's mass matrix as a diagonal plus a low-rank part
    fitted to the gradients, which follows correlated posteriors with fewer leapfrog steps
    (PyMC's sampler adapts a diagonal only).

    With ``retry_var_names`` (the parameters the fit check judges), a fit that fails the
    check's convergence limits (:mod:`placecast.fit.quality`) is sampled again on the same
    compiled model, each time by what the last chains show, and only ever towards more
    careful sampling (never the same settings with another seed until one passes):

    * divergent transitions: the chains are drawn again at ``target_accept``
      :data:`RETRY_TARGET_ACCEPT` (smaller steps; the chains are set aside whatever else they
      show, as a divergence means they may have missed part of the posterior); divergences
      at that target end the retries;
    * else too few effective draws (whatever R-hat reads), once: the chains are drawn again
      with :data:`RETRY_DRAWS_FACTOR` times the draws (set aside). The floor is per chain
      (:data:`~placecast.fit.quality.ESS_BULK_PER_CHAIN`), so more chains of the same length
      reach it only by chance, longer ones by mixing as they did (Rutland to 2022: bulk ESS
      137 on two chains, 283 on four, against floors of 200 and 400);
    * else R-hat above 1.01: as many chains again (of the length drawn last), and all are
      judged together. Two chains cannot show R-hat 1.01 reliably over a hundred parameters
      (2026-12-06: fits that read 1.02 on their first two chains read 1.01 on four;
      ``docs/published-statistics.md``).

    Each step is taken at most once for a set of chains, so the retries end (at most six
    sets; two or three where they were measured). Rutland to 2022 on 2026-12-06 showed why
    one step is not enough: with seed 8, a divergence, then R-hat 1.02 and bulk ESS 139 at
    0.99, then 355 on four chains of 500 draws (refused until too few effective draws came
    first); with seed 1, R-hat 1.02, then a divergence among two more chains
    (``benchmarks/README.md``).

    Each attempt is listed in the posterior's ``sampling`` attribute.
    """
    if sampler not in SAMPLERS:
        raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    if low_rank_mass_matrix and sampler != "nutpie":
        raise ConfigError(f"a low-rank mass matrix needs the nutpie sampler; got {sampler!r}")
    compiled = _compiled(model, sampler)

    def attempt(target: float, seed: int, draws: int = draws) -> Any:
        return _draw(
            compiled,
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            target_accept=target,
            seed=seed,
            progressbar=progressbar,
            low_rank_mass_matrix=low_rank_mass_matrix,
        )

    idata = attempt(target_accept, seed)
    if retry_var_names is None:
        return idata
    tried = [f"{chains} chains at target_accept {target_accept}"]
    fresh_seeds = itertools.count(seed + 2)  # seed + 1 is the smaller steps' (as before)
    lengthened = False
    while not (check := _convergence(idata, retry_var_names)).passed:
        numbers = f": R-hat {check.max_r_hat:.2f}, bulk ESS {check.min_ess_bulk:.0f}"
        if check.divergences > DIVERGENCES_MAX:
            if target_accept >= RETRY_TARGET_ACCEPT:
                break  # divergences at the smallest steps: the geometry, not the step size
            tried[-1] += f": {check.divergences} divergent transitions, set aside"
            target_accept = RETRY_TARGET_ACCEPT
            idata = attempt(target_accept, seed + 1, draws)
            tried.append(f"{chains} chains at target_accept {target_accept}")
        elif check.min_ess_bulk < ESS_BULK_PER_CHAIN * check.chains and not lengthened:
            # More chains of the same length would not lift effective draws per chain.
            tried[-1] += numbers + ", set aside"
            draws, lengthened = RETRY_DRAWS_FACTOR * draws, True
            idata = attempt(target_accept, next(fresh_seeds), draws)
            tried.append(f"{chains} chains of {draws} draws at target_accept {target_accept}")
        elif check.max_r_hat > R_HAT_MAX and check.chains == chains:
            tried[-1] += numbers
            tried.append(f"{chains} more chains, all {2 * chains} judged together")
            idata = add_chains(idata, attempt(target_accept, next(fresh_seeds), draws))
        else:
            break
    idata.posterior.attrs["sampling"] = "; then ".join(tried)
    idata.posterior.attrs["sampling_attempts"] = len(tried)
    return idata


def retried_sampling(idata: Any) -> str:
    """What the sampler did, where it drew more than one set of chains (for the fit check's
    line); empty for a fit sampled once or made before retries."""
    attrs = idata.posterior.attrs
    return str(attrs.get("sampling", "")) if int(attrs.get("sampling_attempts", 1)) > 1 else ""


def add_chains(idata: Any, more: Any) -> Any:
    """``idata`` with the chains of ``more`` (the same model) after its own, numbered on; its
    other groups (the data, say) are kept as they are."""
    first = idata.posterior.sizes["chain"]
    renumber = {"chain": first + more.posterior["chain"].values}
    groups = {group: idata[group] for group in idata.groups()}
    for group in ("posterior", "sample_stats"):
        own, other = idata[group], more[group].assign_coords(renumber)
        groups[group] = xr.concat([own, other], dim="chain", combine_attrs="override")
    return az.InferenceData(**groups)


def _convergence(idata: Any, var_names: Sequence[str]) -> FitCheck:
    """The fit check's convergence limits on ``idata`` (R-hat, bulk ESS for its chains,
    divergences), without the warnings of :func:`sampler_diagnostics`."""
    chains = int(idata.posterior.sizes["chain"])
    return check_fit(_worst(idata, var_names), model="", chains=chains)


def _compiled(model: pm.Model, sampler: str) -> Any:
    """What the sampler runs: nutpie's compiled model (compiled once, for every attempt), or
    the PyMC model itself."""
    if sampler != "nutpie":
        return model
    import nutpie

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")  # PyTensor without a linked BLAS
        return nutpie.compile_pymc_model(model, backend="jax", gradient_backend="jax")


def _draw(
    compiled: Any,
    model: pm.Model,
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int,
    target_accept: float,
    seed: int,
    progressbar: bool,
    low_rank_mass_matrix: bool,
) -> Any:
    """One set of chains."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        if compiled is not model:
            import nutpie

            idata = nutpie.sample(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                seed=seed,
                target_accept=target_accept,
                progress_bar=progressbar,
                save_warmup=False,
                low_rank_modified_mass_matrix=low_rank_mass_matrix,
            )
            # The model's own order (nutpie keeps another) and no unconstrained copies.
            idata.posterior = idata.posterior[
                [v.name for v in (*model.free_RVs, *model.deterministics)]
            ]
            return idata
        # Chains in forked processes deadlock if JAX (a nutpie fit earlier in this session) has
        # started its threads; then start them from a fresh server process instead.
        context = "forkserver" if "jax" in sys.modules else None
        with model:
            return pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                target_accept=target_accept,
                random_seed=seed,
                progressbar=progressbar,
                compute_convergence_checks=False,
                mp_ctx=context,
            )


def sampler_diagnostics(
    idata: az.InferenceData, var_names: Sequence[str], *, chains: int, label: str
) -> pd.DataFrame:
    """One row: ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``, ``divergences``, ``draws``.

    Warns (``UserWarning``, naming ``label``) when the fit check's sampler rules fail
    (:mod:`placecast.fit.quality`: R-hat, bulk ESS per chain, divergences): such rates should
    not go into a budget paper.
    """
    worst = _worst(idata, var_names)
    check = check_fit(worst, model=label, chains=chains)  # its sampler rules, no stock here
    if not check.converged:
        warnings.warn(
            f"{label}: the sampler did not converge cleanly: "
            + "; ".join(check.problems)
            + ". Do not use these rates for a budget paper: sample longer (more tune/draws) "
            "or raise target_accept.",
            stacklevel=4,
        )
    return worst


def _worst(idata: az.InferenceData, var_names: Sequence[str]) -> pd.DataFrame:
    """The diagnostics row of :func:`sampler_diagnostics`, without its warning."""
    summary = az.summary(idata, var_names=list(var_names), kind="diagnostics")
    return pd.DataFrame(
        {
            "max_r_hat": [float(summary["r_hat"].max())],
            "min_ess_bulk": [float(summary["ess_bulk"].min())],
            "min_ess_tail": [float(summary["ess_tail"].min())],
            "divergences": [int(idata["sample_stats"]["diverging"].sum())],
            "draws": [int(idata["posterior"].sizes["chain"] * idata["posterior"].sizes["draw"])],
        }
    )
