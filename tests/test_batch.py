"""Many councils at once on Dask: seeds from the council's code, resumable folders, failures
reported, totals summed path by path, the command."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import placecast as pc
from placecast.batch import (
    BacktestJob,
    CompareJob,
    ForecastJob,
    council_seed,
    regional_totals,
    resolve_councils,
    run_batch,
    write_totals,
)
from placecast.batch.jobs import PATHS_FILE
from placecast.data.dfe import RECODED
from placecast.data.published import bundled_rows, published_tables
from placecast.data.regions import council_regions, councils_in
from placecast.errors import ConfigError, InputError
from placecast.evaluation.settings import BacktestSettings

# Two London boroughs and a North West council, each given the default council's inputs.
CODES = ["E09000012", "E09000007", "E08000003"]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Dask's notes on ports and memory limits
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
        with Client(cluster) as c:
            yield c
        cluster.close()


@pytest.fixture(scope="module")
def inputs_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    inputs = pc.hackney_2022()
    # Each council its own order of the posterior's draws, as separate fits would have: the
    # same draws on every council's path i would move them together.
    rng = np.random.default_rng(0)
    for code in CODES:
        draws = rng.permutation(inputs.rates.n_draws)
        pc.save_inputs(replace(inputs, rates=inputs.rates.select_draws(draws)), folder / code)
    return folder


JOB = dict(months=24, paths=100)


def _children(folder: Path, code: str) -> xr.DataArray:
    with xr.open_dataset(folder / "councils" / code / PATHS_FILE) as ds:
        return ds["children"].load()


def test_a_council_seed_comes_from_the_base_seed_and_its_code_alone():
    seeds = {council_seed(1, c) for c in CODES}
    assert len(seeds) == len(CODES)
    assert council_seed(1, "E09000012") == council_seed(1, "E09000012")
    assert council_seed(2, "E09000012") != council_seed(1, "E09000012")


def test_results_do_not_depend_on_workers_or_on_which_councils_run(client, inputs_folder, tmp_path):
    """Two workers and all three councils, against one worker and one council: the same
    council gets the same paths, and each council its own seed's."""
    from distributed import Client, LocalCluster

    job = ForecastJob(inputs=str(inputs_folder), **JOB)
    both = run_batch(job, CODES, tmp_path / "two", client=client)
    assert list(both.councils["status"]) == ["done"] * 3
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as one_worker:
            one = run_batch(job, [CODES[1]], tmp_path / "one", client=one_worker)
    assert one.councils["status"].tolist() == ["done"]
    xr.testing.assert_identical(
        _children(tmp_path / "two", CODES[1]), _children(tmp_path / "one", CODES[1])
    )
    # Same inputs, different codes: different seeds, so different paths.
    assert not _children(tmp_path / "two", CODES[0]).equals(_children(tmp_path / "two", CODES[1]))
    attrs = xr.open_dataset(tmp_path / "two" / "councils" / CODES[0] / PATHS_FILE).attrs
    assert attrs["seed"] == council_seed(1, CODES[0])


def test_a_failed_council_is_reported_and_retried_and_finished_ones_are_skipped(
    client, inputs_folder, tmp_path
):
    """A council with a broken inputs.json fails with its reason and the others finish; run
    again once it is mended, only that council runs; other settings in the folder are refused."""
    broken = tmp_path / "inputs"
    for code in CODES:
        pc.save_inputs(pc.hackney_2022(), broken / code)
    (broken / CODES[2] / "inputs.json").write_text("{ not json")
    job = ForecastJob(inputs=str(broken), **JOB)
    out = tmp_path / "batch"
    first = run_batch(job, CODES, out, client=client)
    assert first.councils.set_index("la_code")["status"].to_dict() == {
        CODES[0]: "done",
        CODES[1]: "done",
        CODES[2]: "failed",
    }
    error = first.failed["error"].iloc[0]
    assert "inputs.json" in error and CODES[2] in error
    assert not (out / "councils" / CODES[2]).exists()
    assert pd.read_csv(out / "councils.csv")["status"].tolist() == ["done", "done", "failed"]

    done_before = (out / "councils" / CODES[0] / PATHS_FILE).stat().st_mtime_ns
    pc.save_inputs(pc.hackney_2022(), broken / CODES[2])  # mended
    second = run_batch(job, CODES, out, client=client)
    assert second.councils["status"].tolist() == ["done"] * 3
    assert (out / "councils" / CODES[0] / PATHS_FILE).stat().st_mtime_ns == done_before
    # The earlier councils keep their first run's rows (their seconds), the retried one is new.
    assert second.councils["seconds"].notna().all()

    with pytest.raises(InputError, match="other settings"):
        run_batch(ForecastJob(inputs=str(broken), months=12, paths=100), CODES, out, client=client)
    with pytest.raises(InputError, match="other settings"):
        run_batch(job, CODES, out, client=client, seed=2)
    assert json.loads((out / "batch.json").read_text())["job"] == "forecast"


def test_totals_are_sums_of_paths_by_region_cooperative_and_england(
    client, inputs_folder, tmp_path
):
    out = tmp_path / "batch"
    run_batch(ForecastJob(inputs=str(inputs_folder), **JOB), CODES, out, client=client)
    by_region = regional_totals(out)
    assert list(by_region.paths["group"].values) == ["London", "North West"]
    london = _children(out, CODES[0]) + _children(out, CODES[1])
    got = by_region.paths["children"].sel(group="London")
    np.testing.assert_array_equal(got.transpose(*london.dims).values, london.values)
    # Intervals come from the summed paths, not from adding intervals: councils moving
    # independently, the sum's 90% interval is narrower than the two intervals end to end.
    year = int(london["year"][-1])
    total = london.sum("placement").sel(year=year)
    width = float(total.quantile(0.95) - total.quantile(0.05))
    widths = 0.0
    for code in CODES[:2]:
        own = _children(out, code).sum("placement").sel(year=year)
        widths += float(own.quantile(0.95) - own.quantile(0.05))
    shown = by_region.children().loc[("London", year)]
    assert shown["p05"] == pytest.approx(float(total.quantile(0.05)))
    assert width < 0.85 * widths  # about 1/sqrt(2) of it
    england = regional_totals(out, "england")
    all_three = sum(_children(out, c) for c in CODES)
    np.testing.assert_array_equal(
        england.paths["children"].sel(group="England").transpose(*all_three.dims).values,
        all_three.values,
    )
    cooperative = regional_totals(out, {"two boroughs": ["Hackney", "E09000007"]})
    np.testing.assert_array_equal(
        cooperative.paths["children"].sel(group="two boroughs").transpose(*london.dims).values,
        london.values,
    )
    assert set(cooperative.councils["council"]) == {"Hackney", "Camden"}
    assert "independent" in by_region.pairing
    with pytest.raises(InputError, match="no finished forecast"):
        regional_totals(out, {"with Leeds": ["Hackney", "Leeds"]})
    with pytest.raises(InputError, match="not a DfE region"):
        regional_totals(out, {"nowhere": ["Atlantis"]})

    written = write_totals(by_region, tmp_path / "totals", {"job": "forecast"})
    assert {"totals.xlsx", "totals.html", "children.csv", "councils.csv", "cost.csv"} <= {
        p.name for p in written.iterdir()
    }
    page = (written / "totals.html").read_text()
    assert "independent" in page and "Camden" in page


def test_totals_refuse_councils_forecast_unlike(client, inputs_folder, tmp_path):
    out = tmp_path / "batch"
    run_batch(ForecastJob(inputs=str(inputs_folder), **JOB), CODES[:2], out, client=client)
    other = tmp_path / "other"
    fewer = run_batch(
        ForecastJob(inputs=str(inputs_folder), months=24, paths=50), CODES[2:], other, client=client
    )
    assert fewer.councils["status"].tolist() == ["done"], fewer.failed
    (out / "councils" / CODES[2]).symlink_to(other / "councils" / CODES[2])
    with pytest.raises(InputError, match="forecast alike"):
        regional_totals(out)


def test_compare_batch_sums_each_scenarios_savings(client, inputs_folder, tmp_path):
    scenario = pc.Scenario("recruit 10", extra_approvals_per_year=10)
    out = tmp_path / "batch"
    job = CompareJob(inputs=str(inputs_folder), scenarios=(scenario,), **JOB)
    run_batch(job, CODES, out, client=client)
    totals = regional_totals(out, "england")
    savings = totals.savings()
    assert list(savings.index.get_level_values("scenario").unique()) == ["recruit 10"]
    each = sum(
        xr.open_dataset(out / "councils" / c / PATHS_FILE)["saving_gbp"].load() for c in CODES
    )
    np.testing.assert_allclose(
        totals.paths["saving_gbp"].sel(group="England").transpose(*each.dims).values, each.values
    )
    own = pd.read_csv(out / "councils" / CODES[0] / "savings_summary.csv")
    assert set(own["scenario"]) == {"recruit 10"} and "probability_above_zero" in own
    with pytest.raises(ConfigError, match="at least one scenario"):
        run_batch(CompareJob(inputs=str(inputs_folder)), CODES, tmp_path / "none", client=client)


def test_councils_from_names_codes_regions_and_all():
    assert resolve_councils(["hackney", "E09000007"]) == ["E09000012", "E09000007"]
    assert resolve_councils(["Dorset"]) == ["E06000059"]  # the council since 2019
    london = resolve_councils(regions=["London"])
    assert len(london) == 33 and "E09000001" in london  # with the City of London
    assert (
        len(resolve_councils(regions=["Inner London"]))
        + len(resolve_councils(regions=["Outer London"]))
        == 33
    )
    every = resolve_councils(every=True)
    assert len(every) > 140 and "E10000009" not in every  # Dorset's old county code
    # A region is its councils of today: Bournemouth, Christchurch and Poole, not also Poole
    # and Bournemouth (abolished 2019); North and West Northamptonshire, not Northamptonshire.
    south_west = resolve_councils(regions=["South West"])
    assert "E06000058" in south_west and not {"E06000028", "E06000029"} & set(south_west)
    east_midlands = resolve_councils(regions=["East Midlands"])
    assert {"E06000061", "E06000062"} <= set(east_midlands) and "E10000021" not in east_midlands
    assert sorted(resolve_councils(regions=["England"])) == sorted(every)
    assert resolve_councils(["Poole"]) == ["E06000029"]  # by name, still
    with pytest.raises(InputError, match="did you mean"):
        resolve_councils(["Hackny"])
    with pytest.raises(ConfigError, match="not both"):
        resolve_councils(["Hackney"], every=True)
    with pytest.raises(ConfigError, match="no councils"):
        resolve_councils()


def test_every_council_with_published_children_has_a_region():
    rows = bundled_rows()
    published = rows[
        (rows["geographic_level"] == "la")
        & (rows["measure"] == "children_in_care")
        & rows["value"].notna()
    ]
    regions = council_regions()
    # One row a council: a code changed without a change of area is under its current code.
    assert set(published["la_code"].replace(RECODED)) == set(regions["la_code"])
    assert regions["la_code"].is_unique
    assert regions["region_code"].str.match(r"^E12\d{6}$").all()
    hackney = regions.set_index("la_code").loc["E09000012"]
    assert (hackney["region_name"], hackney["subregion"]) == ("London", "Inner London")
    assert len(councils_in(["North East"])) >= 12
    with pytest.raises(InputError, match="not a DfE region"):
        councils_in(["Wessex"])


def test_batch_forecast_command_writes_councils_and_totals(inputs_folder, tmp_path, capsys):
    from placecast.cli import main

    out = tmp_path / "batch"
    argv = ["batch", "forecast", "--inputs", str(inputs_folder), "--months", "24"]
    argv += ["--paths", "50", "--council", "Hackney", "--council", "Camden", "--workers", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 of 2 councils done" in err and "Hackney" in err
    assert (out / "totals" / "region" / "totals.xlsx").is_file()
    assert (out / "totals" / "england" / "councils.csv").is_file()
    assert main(["batch", "forecast", "--inputs", str(tmp_path), "--council", "Atlantis"]) == 2
    assert "'Atlantis' is not in DfE's tables" in capsys.readouterr().err


@pytest.mark.slow
def test_backtest_batch_rows_are_the_same_on_one_and_two_workers(tmp_path):
    """The backtest on Dask keeps its numbers whatever the workers: every council uses the
    settings' seed, as the one-process backtest does."""
    settings = BacktestSettings(
        last_fit_year=2019, horizon=1, draws=60, tune=100, paths=50, step_months=6
    )
    job = BacktestJob(backtest=settings)
    councils = ["E09000001", "E06000017"]  # the City of London and Rutland: small councils
    rows = {}
    for workers in (1, 2):
        result = run_batch(job, councils, tmp_path / str(workers), workers=workers)
        assert result.councils["status"].tolist() == ["done", "done"], result.failed
        rows[workers] = pd.concat(
            [pd.read_csv(result.council_folder(c) / "backtest_rows.csv") for c in councils]
        ).drop(columns="fit_seconds")
    pd.testing.assert_frame_equal(rows[1], rows[2])
    # And they are the one-process backtest's rows (Rutland's, to keep the check short).
    from placecast.data.dfe import published_counts
    from placecast.evaluation.backtesting import backtest_council, backtest_priors

    tidy = published_tables()
    alone = backtest_council(
        published_counts(tidy, "E06000017"), settings, backtest_priors(tidy, settings)
    ).drop(columns="fit_seconds")
    batch = rows[1][rows[1]["la_code"] == "E06000017"].drop(columns="origin")
    pd.testing.assert_frame_equal(
        batch.reset_index(drop=True), alone.reset_index(drop=True), check_dtype=False
    )


def test_fits_on_workers_sample_on_no_more_cores_than_the_worker_has(client):
    """Two one-thread workers on one machine, each fitting with two parallel chains, would
    oversubscribe it: on a worker the fit's cores are capped at the worker's threads."""
    from placecast.batch.jobs import _cores_of_this_worker
    from placecast.evaluation.settings import BacktestSettings
    from placecast.fit.settings import AggregateSettings

    assert AggregateSettings().cores == 2
    on_worker = client.submit(
        lambda: (
            _cores_of_this_worker(AggregateSettings()).cores,
            _cores_of_this_worker(BacktestSettings(last_fit_year=2019)).cores,
        ),
        pure=False,
    ).result()
    assert on_worker == (1, 1)
    assert _cores_of_this_worker(AggregateSettings()).cores == 2  # not on a worker: as given


def test_batch_fit_says_which_fits_failed_their_check_and_exits_non_zero(
    monkeypatch, tmp_path, capsys
):
    """A council whose fit fails placecast's check finishes (its diagnostics are kept) but has
    no inputs: the command names it and exits 2, as fit-published does; with
    --accept-poor-fit it exits 0."""
    import placecast.cli.batch as cli_batch
    from placecast.batch.runner import BatchResult
    from placecast.cli import main

    table = pd.DataFrame(
        {
            "la_code": ["E09000012", "E09000007"],
            "council": ["Hackney", "Camden"],
            "status": ["done", "done"],
            "check_passed": [True, False],
        }
    )
    monkeypatch.setattr(cli_batch, "_run", lambda job, options: BatchResult(tmp_path, table))
    assert main(["batch", "fit", "--council", "Hackney", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "1 councils' fits failed placecast's check" in err and "E09000007 Camden" in err
    assert "Hackney" not in err
    argv = ["batch", "fit", "--council", "Hackney", "--accept-poor-fit", "--out", str(tmp_path)]
    assert main(argv) == 0
    # A fit that passed but rests on one year of flows is named too, and does not fail.
    said = "Dorset is fitted to 1 year(s) of ceases and children in care after its first stock"
    table = pd.DataFrame(
        {
            "la_code": ["E09000012", "E06000059"],
            "council": ["Hackney", "Dorset"],
            "status": ["done", "done"],
            "check_passed": [True, True],
            "caution": [np.nan, said],  # as read back from councils.csv
        }
    )
    assert main(["batch", "fit", "--council", "Hackney", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "1 councils' fits rest on one or two years of flows" in err
    assert "E06000059 Dorset" in err and "Hackney" not in err
