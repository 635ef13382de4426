"""Sampler diagnostics shared by the fits: worst R-hat, smallest ESS, divergences, and a warning."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import arviz as az
import pandas as pd


def sampler_diagnostics(
    idata: az.InferenceData, var_names: Sequence[str], *, chains: int, label: str
) -> pd.DataFrame:
    """One row: ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``, ``divergences``, ``draws``.

    Warns (``UserWarning``, naming ``label``) when R-hat > 1.01, the bulk ESS is under 100 per
    chain or any transition diverged: such rates should not go into a budget paper.
    """
    summary = az.summary(idata, var_names=list(var_names), kind="diagnostics")
    divergences = int(idata["sample_stats"]["diverging"].sum())
    worst = pd.DataFrame(
        {
            "max_r_hat": [float(summary["r_hat"].max())],
            "min_ess_bulk": [float(summary["ess_bulk"].min())],
            "min_ess_tail": [float(summary["ess_tail"].min())],
            "divergences": [divergences],
            "draws": [int(idata["posterior"].sizes["chain"] * idata["posterior"].sizes["draw"])],
        }
    )
    problems = []
    if worst.loc[0, "max_r_hat"] > 1.01:
        problems.append(f"R-hat up to {worst.loc[0, 'max_r_hat']:.3f} (> 1.01)")
    if worst.loc[0, "min_ess_bulk"] < 100 * chains:
        problems.append(f"bulk ESS down to {worst.loc[0, 'min_ess_bulk']:.0f}")
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
