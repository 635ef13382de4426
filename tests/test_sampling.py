"""The sampler's second attempt (``retry="auto"``): which failures bring it, what it does, and
that the first compiled model is reused for it."""

from __future__ import annotations

import warnings

import numpy as np
import pymc as pm
import pytest

from placecast.evaluation import BacktestSettings
from placecast.fit import sampling
from placecast.fit.quality import check_fit
from placecast.fit.settings import AggregateSettings


def _spy(monkeypatch):
    """Record the target_accept and seed of every set of chains drawn, and every compile."""
    calls: dict[str, list] = {"draw": [], "compile": []}
    draw, compiled = sampling._draw, sampling._compiled

    def spy_draw(*args, **kwargs):
        calls["draw"].append((kwargs["target_accept"], kwargs["seed"], kwargs["draws"]))
        return draw(*args, **kwargs)

    def spy_compiled(*args, **kwargs):
        calls["compile"].append(args[1])
        return compiled(*args, **kwargs)

    monkeypatch.setattr(sampling, "_draw", spy_draw)
    monkeypatch.setattr(sampling, "_compiled", spy_compiled)
    return calls


def _sample(model, *, draws, target_accept, retry, tune=100):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sampling.sample_posterior(
            model,
            draws=draws,
            tune=tune,
            chains=2,
            cores=1,
            target_accept=target_accept,
            seed=3,
            progressbar=False,
            sampler="nutpie",
            retry_var_names=["x"] if retry else None,
        )


def _normal():
    with pm.Model() as model:
        pm.Normal("x", 0.0, 1.0, shape=3)
    return model


def _funnel():
    """Neal's funnel, centred: divergent transitions at any ordinary step size."""
    with pm.Model() as model:
        v = pm.Normal("v", 0.0, 3.0)
        pm.Normal("x", 0.0, pm.math.exp(v / 2), shape=5)
    return model


def _judged(monkeypatch, *checks):
    """The convergence check of each attempt in turn, as given (R-hat, bulk ESS, divergences and
    chains, 2 unless given), whatever the draws show: which retry follows which failure,
    deterministically."""
    import pandas as pd

    made = [
        check_fit(
            pd.DataFrame({"max_r_hat": [r_hat], "min_ess_bulk": [ess], "divergences": [div]}),
            model="m",
            chains=chains,
        )
        for r_hat, ess, div, *rest in checks
        for chains in [rest[0] if rest else 2]
    ]
    monkeypatch.setattr(sampling, "_convergence", lambda idata, names: made.pop(0))


def test_r_hat_short_adds_as_many_chains_judged_together(monkeypatch):
    """R-hat above 1.01 on 2 chains: 2 more chains are drawn on the same compiled model (one
    compile) with another seed, and the posterior holds all 4."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.02, 250.0, 0), (1.005, 500.0, 0, 4))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["compile"] == ["nutpie"] and calls["draw"] == [(0.9, 3, 30), (0.9, 5, 30)]
    assert idata.posterior.sizes["chain"] == 4 and idata.sample_stats.sizes["chain"] == 4
    assert list(idata.posterior["chain"].values) == [0, 1, 2, 3]
    assert idata.posterior.attrs["sampling"].startswith("2 chains at target_accept 0.9: R-hat")
    assert idata.posterior.attrs["sampling"].endswith("; then 2 more chains, all 4 judged together")
    assert sampling.retried_sampling(idata) == idata.posterior.attrs["sampling"]
    # The two sets are different draws (seeds 3 and 5), not a copy.
    x = idata.posterior["x"].values
    assert not np.allclose(x[:2], x[2:])


def test_too_few_effective_draws_alone_draw_longer_chains(monkeypatch):
    """R-hat passing but bulk ESS under the per-chain floor: more chains of the same length
    would not lift effective draws per chain, so 2 chains of twice the draws replace the
    first (set aside), on the same compiled model with another seed."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.005, 150.0, 0), (1.005, 250.0, 0))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["compile"] == ["nutpie"] and calls["draw"] == [(0.9, 3, 30), (0.9, 5, 60)]
    assert idata.posterior.sizes["chain"] == 2 and idata.posterior.sizes["draw"] == 60
    said = idata.posterior.attrs["sampling"]
    assert said == (
        "2 chains at target_accept 0.9: R-hat 1.00, bulk ESS 150, set aside; "
        "then 2 chains of 60 draws at target_accept 0.9"
    )


def test_longer_chains_reading_r_hat_over_the_limit_get_as_many_again(monkeypatch):
    """Too few effective draws, then R-hat 1.02 on the two longer chains: two more chains of
    the longer length are drawn (another seed) and all four are judged together; the short
    first set stays aside."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.005, 150.0, 0), (1.02, 300.0, 0), (1.005, 600.0, 0, 4))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["draw"] == [(0.9, 3, 30), (0.9, 5, 60), (0.9, 6, 60)]
    assert idata.posterior.sizes["chain"] == 4 and idata.posterior.sizes["draw"] == 60
    assert idata.posterior.attrs["sampling"] == (
        "2 chains at target_accept 0.9: R-hat 1.00, bulk ESS 150, set aside; "
        "then 2 chains of 60 draws at target_accept 0.9: R-hat 1.02, bulk ESS 300; "
        "then 2 more chains, all 4 judged together"
    )
    assert idata.posterior.attrs["sampling_attempts"] == 3


def test_too_few_effective_draws_come_first_when_r_hat_is_also_over(monkeypatch):
    """R-hat 1.02 with bulk ESS under the floor: more chains of 30 draws would mend R-hat but
    not effective draws per chain (Rutland to 2022, seed 8, was refused so), so longer
    chains come first; they pass, and no more are drawn."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.02, 150.0, 0), (1.005, 250.0, 0))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["draw"] == [(0.9, 3, 30), (0.9, 5, 60)]
    assert idata.posterior.attrs["sampling"] == (
        "2 chains at target_accept 0.9: R-hat 1.02, bulk ESS 150, set aside; "
        "then 2 chains of 60 draws at target_accept 0.9"
    )


def test_each_step_is_taken_once_so_the_retries_end(monkeypatch):
    """Chains lengthened once and still short of effective draws are not lengthened again
    (nor given more chains, which would not lift draws per chain): the check refuses them."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.005, 150.0, 0), (1.005, 150.0, 0))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["draw"] == [(0.9, 3, 30), (0.9, 5, 60)]
    assert idata.posterior.sizes["chain"] == 2


def test_divergences_among_added_chains_bring_smaller_steps(monkeypatch):
    """R-hat 1.02 on two chains, then a divergence among two more (Rutland to 2022, seed 1, on
    2026-12-06, refused so): all four are set aside and two chains drawn at 0.99."""
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.02, 250.0, 0), (1.01, 450.0, 1, 4), (1.005, 250.0, 0))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["draw"] == [(0.9, 3, 30), (0.9, 5, 30), (sampling.RETRY_TARGET_ACCEPT, 4, 30)]
    assert idata.posterior.sizes["chain"] == 2
    assert idata.posterior.attrs["sampling"] == (
        "2 chains at target_accept 0.9: R-hat 1.02, bulk ESS 250; then 2 more chains, all 4 "
        "judged together: 1 divergent transitions, set aside; then 2 chains at target_accept 0.99"
    )


def test_divergences_at_the_smallest_steps_end_the_retries(monkeypatch):
    calls = _spy(monkeypatch)
    _judged(monkeypatch, (1.01, 250.0, 2), (1.02, 150.0, 1))
    idata = _sample(_normal(), draws=30, target_accept=0.9, retry=True)
    assert calls["draw"] == [(0.9, 3, 30), (sampling.RETRY_TARGET_ACCEPT, 4, 30)]
    assert idata.posterior.attrs["sampling_attempts"] == 2


def test_a_clean_fit_is_drawn_once(monkeypatch):
    calls = _spy(monkeypatch)
    idata = _sample(_normal(), draws=400, target_accept=0.9, retry=True)
    assert len(calls["draw"]) == 1 and idata.posterior.sizes["chain"] == 2
    assert idata.posterior.attrs["sampling"] == "2 chains at target_accept 0.9"
    assert sampling.retried_sampling(idata) == ""  # the check's line says nothing of it


def test_divergences_set_the_chains_aside_and_draw_again_with_smaller_steps(monkeypatch):
    calls = _spy(monkeypatch)
    idata = _sample(_funnel(), draws=200, target_accept=0.8, retry=True)
    assert [c[:2] for c in calls["draw"][:2]] == [(0.8, 3), (sampling.RETRY_TARGET_ACCEPT, 4)]
    said = idata.posterior.attrs["sampling"]
    assert said.startswith("2 chains at target_accept 0.8: ")
    assert "divergent transitions, set aside; then 2 chains at target_accept 0.99" in said
    # Divergences at 0.99 end the retries; without them, more may follow (longer, more chains).
    second_diverged = int(idata.sample_stats["diverging"].isel(chain=[0, 1]).sum()) > 0
    if second_diverged:
        assert len(calls["draw"]) == 2
    else:
        assert len(calls["draw"]) >= 3
    assert all(target == sampling.RETRY_TARGET_ACCEPT for target, *_ in calls["draw"][1:])


def test_without_retry_one_attempt_whatever_it_shows(monkeypatch):
    calls = _spy(monkeypatch)
    idata = _sample(_funnel(), draws=30, target_accept=0.8, retry=False)
    assert len(calls["draw"]) == 1 and idata.posterior.sizes["chain"] == 2
    assert "sampling" not in idata.posterior.attrs


def test_retry_is_on_for_fits_and_off_for_backtests():
    """Backtests score the first attempt, so that their rows count how often it fails."""
    assert AggregateSettings().retry == "auto"
    assert BacktestSettings().retry == "none"
    assert BacktestSettings().fit_settings().retry == "none"
    assert BacktestSettings(retry="auto").fit_settings().retry == "auto"


def test_the_check_says_how_the_fit_was_sampled_after_a_retry():
    import pandas as pd

    row = pd.DataFrame({"max_r_hat": [1.005], "min_ess_bulk": [900.0], "divergences": [0]})
    said = "2 chains at target_accept 0.95: R-hat 1.02, bulk ESS 430; then 2 more chains, all 4"
    check = check_fit(row, model="m", chains=4, sampling=said)
    assert check.passed and check.summary().endswith(f"; sampled as {said})")
    assert "sampled as" not in check_fit(row, model="m", chains=4).summary()
    with pytest.raises(Exception, match="retry must be one of auto, none"):
        AggregateSettings(retry="always")


def test_added_chains_are_numbered_on_and_the_other_groups_kept():
    import arviz as az

    def made(offset):
        rng = np.random.default_rng(offset)
        return az.from_dict(
            posterior={"x": rng.normal(size=(2, 5))},
            sample_stats={"diverging": np.zeros((2, 5), dtype=bool)},
            observed_data={"y": np.array([offset, 0.5])},
        )

    first, more = made(0), made(1)
    both = sampling.add_chains(first, more)
    assert list(both.posterior["chain"].values) == [0, 1, 2, 3]
    np.testing.assert_array_equal(both.posterior["x"].values[2:], more.posterior["x"].values)
    np.testing.assert_array_equal(both.posterior["x"].values[:2], first.posterior["x"].values)
    assert both.sample_stats.sizes["chain"] == 4
    assert both.observed_data["y"].values.tolist() == [0.0, 0.5]  # the first's, as it was
