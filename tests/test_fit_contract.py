"""One contract for both fits: ``fit(data, *, seed)`` returns the model with ``idata_``,
``rates_`` and ``diagnostics_``; ``save`` and ``load`` give back the same rates and diagnostics;
a file made by the other model, by another layout or by nothing is refused by name."""

from __future__ import annotations

import json
import warnings

import arviz as az
import numpy as np
import pytest

import placecast as pc
from conftest import SHARED
from placecast.data.dfe import published_counts, read_dfe
from placecast.data.ssda903 import episode_flows, read_ssda903
from placecast.data.synthetic import simulate_episodes
from placecast.fit import AggregateModel, EpisodeModel


def _aggregate(tmp_path_factory):
    counts = published_counts(read_dfe(SHARED / "data" / "dfe_cla_la_2015_2019"), "Rutland")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the contract matters
        return AggregateModel(draws=40, tune=60, step_months=6).fit(counts.upto(2018), seed=5)


def _episodes(tmp_path_factory):
    hackney = pc.hackney_2020()
    syn = simulate_episodes(hackney.rates, seed=1)
    episodes, header = syn.write(str(tmp_path_factory.mktemp("syn")))
    flows = episode_flows(
        read_ssda903(episodes, header),
        hackney.space,
        period_start="2017-04-01",
        period_end="2020-03-31",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return EpisodeModel(draws=40, tune=60, cores=1).fit(flows, seed=5)


FITS = {
    "AggregateModel": pytest.param(_aggregate, id="aggregate"),
    "EpisodeModel": pytest.param(_episodes, id="episodes", marks=pytest.mark.slow),
}


@pytest.fixture(scope="module", params=list(FITS.values()))
def fitted(request, tmp_path_factory):
    return request.param(tmp_path_factory)


def test_fit_sets_the_learned_attributes(fitted):
    assert isinstance(fitted.idata_, az.InferenceData)
    # 40 draws on 2 chains cannot reach the check's 200 effective draws, so the default retry
    # drew again (chains of 80 draws, 2 more chains, smaller steps after divergences), and the
    # rates are every kept chain's draws; the check says how the fit was sampled.
    chains, draws = fitted.idata_.posterior.sizes["chain"], fitted.idata_.posterior.sizes["draw"]
    assert chains in (2, 4) and draws in (40, 80)
    assert "; then " in fitted.idata_.posterior.attrs["sampling"]
    assert isinstance(fitted.rates_, pc.Rates) and fitted.rates_.n_draws == draws * chains
    assert {"max_r_hat", "divergences"} <= set(fitted.diagnostics_.columns)
    assert "sampled as 2 chains at target_accept" in fitted.check().summary()
    assert fitted.check().chains == chains


def test_save_and_load_give_the_same_fit(fitted, tmp_path):
    path = fitted.save(tmp_path / "fit.nc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a loaded short fit warns as it did
        loaded = type(fitted).load(path)
    assert loaded.rates_.data.equals(fitted.rates_.data)
    assert loaded.diagnostics_.equals(fitted.diagnostics_)
    assert type(loaded) is type(fitted) and repr(loaded.priors) == repr(fitted.priors)
    if isinstance(fitted, AggregateModel):
        assert loaded.settings == fitted.settings
        assert loaded.fitted_.equals(fitted.fitted_)
        stock = loaded.initial_stock()
        np.testing.assert_array_equal(stock.counts, fitted.initial_stock().counts)
    # The file is closed once read: the loaded fit saves over it (a refit to the same path).
    loaded.save(path)
    assert type(fitted).load(path).rates_.data.equals(fitted.rates_.data)
    assert [f.name for f in tmp_path.iterdir()] == ["fit.nc"]  # written beside, then renamed


def test_load_refuses_another_models_file(fitted, tmp_path):
    path = fitted.save(tmp_path / "fit.nc")
    other = EpisodeModel if isinstance(fitted, AggregateModel) else AggregateModel
    with pytest.raises(pc.InputError, match=f"holds a {type(fitted).__name__} fit"):
        other.load(path)


def test_load_refuses_another_layout_and_foreign_files(fitted, tmp_path):
    path = fitted.save(tmp_path / "fit.nc")
    idata = az.from_netcdf(str(path))
    idata.attrs["placecast_fit_format"] = 99
    idata.to_netcdf(str(tmp_path / "future.nc"))
    with pytest.raises(pc.InputError, match="layout 99"):
        type(fitted).load(tmp_path / "future.nc")
    del idata.attrs["placecast_model"]
    idata.to_netcdf(str(tmp_path / "foreign.nc"))
    with pytest.raises(pc.InputError, match="not a saved placecast fit"):
        type(fitted).load(tmp_path / "foreign.nc")
    with pytest.raises(pc.InputError, match="no saved fit here"):
        type(fitted).load(tmp_path / "missing.nc")
    settings = json.loads(az.from_netcdf(str(path)).attrs["placecast_config"])
    assert "seed" in settings and "priors" in settings  # what load rebuilds from


def test_an_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(pc.ConfigError, match="fit the model first"):
        AggregateModel().save(tmp_path / "x.nc")
    with pytest.raises(pc.ConfigError, match="fit the model first"):
        EpisodeModel().save(tmp_path / "x.nc")
