"""Sampling and sampler diagnostics shared by the fits (NUTS settings, R-hat, ESS, divergences)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

import arviz as az
import pandas as pd
import pymc as pm

from placecast.errors import ConfigError
from placecast.fit.settings import SAMPLERS


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
) -> Any:  # arviz.InferenceData (groups are dynamic attributes)
    """NUTS on ``model`` with the fits' settings; convergence is checked by
    :func:`sampler_diagnostics`, not by PyMC's own summary.

    ``sampler`` is one of :data:`SAMPLERS`. With ``"nutpie"`` the posterior holds the model's
    variables on their own scale only (nutpie's unconstrained copies are dropped), and
    ``low_rank_mass_matrix`` adapts nutpie's mass matrix as a diagonal plus a low-rank part
    fitted to the gradients, which follows correlated posteriors with fewer leapfrog steps
    (PyMC's sampler adapts a diagonal only).
    """
    if sampler not in SAMPLERS:
        raise ConfigError(f"sampler must be one of {', '.join(SAMPLERS)}; got {sampler!r}")
    if low_rank_mass_matrix and sampler != "nutpie":
        raise ConfigError(f"a low-rank mass matrix needs the nutpie sampler; got {sampler!r}")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*BLAS.*")  # PyTensor without a linked BLAS
        if sampler == "nutpie":
            import nutpie

            compiled = nutpie.compile_pymc_model(model, backend="jax", gradient_backend="jax")
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

    Warns (``UserWarning``, naming ``label``) when R-hat > 1.01, the bulk ESS is under 100 per
    chain or any transition diverged: such rates should not go into a budget paper.
    """
    summary = az.summary(idata, var_names=list(var_names), kind="diagnostics")
    divergences = int(idata["sample_stats"]["diverging"].sum())
    max_r_hat = float(summary["r_hat"].max())
    min_ess_bulk = float(summary["ess_bulk"].min())
    worst = pd.DataFrame(
        {
            "max_r_hat": [max_r_hat],
            "min_ess_bulk": [min_ess_bulk],
            "min_ess_tail": [float(summary["ess_tail"].min())],
            "divergences": [divergences],
            "draws": [int(idata["posterior"].sizes["chain"] * idata["posterior"].sizes["draw"])],
        }
    )
    problems = []
    if max_r_hat > 1.01:
        problems.append(f"R-hat up to {max_r_hat:.3f} (> 1.01)")
    if min_ess_bulk < 100 * chains:
        problems.append(f"bulk ESS down to {min_ess_bulk:.0f}")
    if divergences:
        problems.append(f"{divergences} divergent transitions")
    if problems:
        warnings.warn(
            f"{label}: the sampler did not converge cleanly: "
            + "; ".join(problems)
            + ". Do not use these rates for a budget paper: sample longer (more tune/draws) "
            "or raise target_accept.",
            stacklevel=4,
        )
    return worst
