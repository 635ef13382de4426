"""Synthetic SSDA903 from known rates, and (slow) recovery of those rates by the PyMC fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import placecast as pc
from placecast.data.ssda903 import episode_flows, read_ssda903
from placecast.data.synthetic import simulate_episodes

PERIOD = dict(period_start="2015-04-01", period_end="2020-03-31")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, hackney):
    syn = simulate_episodes(hackney.rates, seed=1)
    episodes, header = syn.write(str(tmp_path_factory.mktemp("syn")))
    return syn, read_ssda903(episodes, header)


def test_synthetic_returns_pass_validation_and_match_the_rates(synthetic, hackney):
    syn, data = synthetic
    assert data.issues.empty and len(data.episodes) == len(syn.episodes)
    flows = episode_flows(data, hackney.space, **PERIOD)
    # About 228 entries a year (Poisson: within 4 standard deviations over 5 years).
    assert abs(float(flows.entries.sum()) - 5 * 228) < 4 * np.sqrt(5 * 228)
    # Crude exit rates of well-observed cells are near the truth.
    crude = flows.crude_rates()["exit_rate_per_year"].sel(exit_reason="returned_home")
    exposure = flows.exposure_years.sum("financial_year")
    truth = hackney.rates.data["exit_rate_per_year"].isel(draw=0).sel(exit_reason="returned_home")
    big = exposure > 100
    err = np.abs(crude - truth).where(big)
    assert float(err.max()) < 4 * float(np.sqrt(truth / exposure).where(big).max()) + 1e-9
    # About 450-500 children in care (child-years per year).
    assert 400 < float(flows.exposure_years.sum() / 5) < 560


def test_synthetic_returns_refuse_changing_rates(hackney):
    ds = hackney.rates.data
    changing = pc.Rates.build(
        hackney.space,
        **{str(k): ds[k] for k in ds.data_vars if k != "exit_change_per_year"},
        exit_change_per_year=-0.05,
    )
    with pytest.raises(pc.ConfigError, match=r"exit_change_per_year"):
        simulate_episodes(changing, seed=1)
    pulled = pc.Rates.build(
        hackney.space,
        **{str(k): ds[k] for k in ds.data_vars if k != "pull_change_per_year"},
        pull_change_per_year=0.05,
    )
    with pytest.raises(pc.ConfigError, match=r"pull_change_per_year"):
        simulate_episodes(pulled, seed=1)


def test_synthetic_codes_read_back_as_the_same_categories(synthetic, hackney):
    syn, data = synthetic
    assert set(data.episodes["placement"]) <= set(hackney.space.placement_names)
    assert set(syn.episodes["RNE"]) <= {"S", "P"}


@pytest.mark.slow
def test_episode_fit_recovers_the_rates(synthetic, hackney):
    """Rule (seed 1, 5 years, ~470 children): of the rates that are positive in truth and have
    time at risk, at least 85% have the truth inside their 94% interval; rates that are zero in
    truth get posterior medians under 0.03 a year (true positive rates here: 0.01-0.6); R-hat
    <= 1.01 and no divergences; and the fitted model's two-year mean-field forecast is within 3%
    of the true rates' forecast."""
    from placecast.fit import EpisodeModel

    _, data = synthetic
    flows = episode_flows(data, hackney.space, **PERIOD)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a convergence warning fails the test
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        model = EpisodeModel().fit(flows, hackney.space, seed=1)
    diag = model.diagnostics_.iloc[0]
    assert diag["max_r_hat"] <= 1.01 and diag["divergences"] == 0
    post = model.idata_.posterior
    exposure = flows.exposure_years.sum("financial_year").transpose("age_band", "placement").values
    for var in ("move_rate_per_year", "exit_rate_per_year"):
        lo = post[var].quantile(0.03, ("chain", "draw")).values
        hi = post[var].quantile(0.97, ("chain", "draw")).values
        med = post[var].median(("chain", "draw")).values
        truth = hackney.rates.data[var].isel(draw=0).values
        at_risk = np.broadcast_to((exposure > 0)[:, :, None], truth.shape)
        if var == "move_rate_per_year":
            allowed = (
                ~np.eye(truth.shape[1], dtype=bool)[None]
                & (np.arange(truth.shape[0])[:, None] >= hackney.space.min_age_band[None, :])[
                    :, None, :
                ]
            )
            at_risk = at_risk & allowed
        positive = at_risk & (truth > 0)
        inside = (truth >= lo) & (truth <= hi)
        assert inside[positive].mean() >= 0.85, (var, inside[positive].mean())
        assert np.all(med[at_risk & (truth == 0)] < 0.03), var
    fitted = model.rates_.select_draws(np.arange(0, model.rates_.n_draws, 10))
    roomy = pc.CarerSupply(
        households=1000,
        places_per_household=2,
        approvals_per_year=0,
        deregistration_rate_per_year=0,
    )
    e_fit = pc.expected(hackney.initial, fitted, roomy, months=24)
    e_true = pc.expected(hackney.initial, hackney.rates, roomy, months=24)
    total = lambda e: float(e["children"].isel(month=-1).sum(("placement", "age_band")).mean())  # noqa: E731
    assert total(e_fit) == pytest.approx(total(e_true), rel=0.03)


@pytest.mark.slow
def test_fit_command_writes_posterior_and_summaries(synthetic, tmp_path, capsys):
    from placecast.cli import main

    syn, _ = synthetic
    episodes, header = syn.write(str(tmp_path / "in"))
    out = tmp_path / "fit"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short run may warn about convergence: that is fine
        code = main(
            [
                "fit",
                "--episodes",
                episodes,
                "--header",
                header,
                "--period-start",
                "2015-04-01",
                "--period-end",
                "2020-03-31",
                "--draws",
                "200",
                "--tune",
                "200",
                "--accept-poor-fit",  # a short run need not pass the fit check
                "--out",
                str(out),
            ]
        )
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "data_issues.csv",
        "posterior.nc",
        "rates_summary.csv",
        "diagnostics.csv",
        "stock_at_period_end.csv",
        "inputs",
        "placecast-manifest.json",  # written last: the folder is complete
    }
    import arviz as az

    idata = az.from_netcdf(out / "posterior.nc")
    # 200 draws, or 400 where the retry lengthened chains short of effective draws (and said so).
    drawn = idata.posterior.sizes["draw"]
    assert drawn == 200 or "chains of 400 draws" in idata.posterior.attrs["sampling"]
    assert "Sampler diagnostics" in capsys.readouterr().out
    # The fitted inputs drive a forecast straight away (one posterior draw per path).
    forecast_out = tmp_path / "forecast"
    assert (
        main(
            [
                "forecast",
                "--inputs",
                str(out / "inputs"),
                "--paths",
                "30",
                "--months",
                "24",
                "--out",
                str(forecast_out),
                "--no-charts",
            ]
        )
        == 0
    )
    assert "fitted from SSDA903" in capsys.readouterr().out


def test_stock_at_counts_children_in_care_on_the_day(synthetic, hackney):
    from placecast.data.ssda903 import stock_at

    _, data = synthetic
    stock = stock_at(data, hackney.space, "2020-03-31")
    ep = data.episodes
    open_then = (ep["start"] <= "2020-03-31") & (ep["end"].isna() | (ep["end"] > "2020-03-31"))
    assert stock.total == int(open_then.sum()) == ep.loc[open_then, "child"].nunique()
    with pytest.raises(pc.InputError, match="no child is in care"):
        stock_at(data, hackney.space, "1990-01-01")
