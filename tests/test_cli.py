"""The command line: the README's main job, on tiny settings."""

from __future__ import annotations

import pytest

from placecast.cli import main


def test_forecast_writes_tables_and_charts(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["forecast", "--paths", "30", "--months", "24", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Children in care at 31 March" in printed
    assert "recruit 10 more households a year" in printed
    assert "P(overspend)" in printed
    assert "£-" not in printed  # negative money reads "-£0.64m"
    names = {p.name for p in out.iterdir()}
    assert {"spend_by_financial_year.csv", "savings_by_financial_year.csv", "fan_ifa.png"} <= names


def test_bad_options_fail_clearly(tmp_path, capsys):
    assert main(["forecast", "--paths", "3", "--months", "6", "--out", str(tmp_path)]) == 2
    assert "no complete financial year" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["forecast", "--paths", "lots"])


def test_model_choices_and_defaults_are_the_libraries():
    """The fit's options are generated from AggregateSettings (and the backtest's from
    BacktestSettings): every field is an option with the library's default and choices."""
    from dataclasses import fields

    from placecast.cli import app
    from placecast.evaluation.settings import BacktestSettings
    from placecast.fit.aggregate import ENTRY_MODELS, EXIT_MODELS, PLACEMENT_MODELS, AggregateModel
    from placecast.fit.settings import AggregateSettings

    for command, settings in (("fit-published", AggregateSettings), ("backtest", BacktestSettings)):
        params = {p.name: p for p in app.commands[command].params}
        for f in fields(settings):
            if f.name == "seed" and command == "fit-published":
                continue
            assert params[f.name].default == getattr(settings(), f.name), (command, f.name)
        for dest, models in (
            ("entry_model", ENTRY_MODELS),
            ("exit_model", EXIT_MODELS),
            ("placement_model", PLACEMENT_MODELS),
        ):
            # The library's defaults are the CLI's.
            assert getattr(AggregateModel(), dest) == models[0]
            assert getattr(BacktestSettings(), dest) == models[0]
            assert tuple(params[dest].type.choices) == models and params[dest].default == models[0]
        for dest in ("draws", "tune"):  # NUTS settings, so the CLI's fit is the library's
            assert params[dest].default == getattr(AggregateModel(), dest)


def test_misspelt_commands_and_bad_values_are_refused_with_a_suggestion(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["forcast"])
    assert exit_.value.code == 2 and "Did you mean 'forecast'?" in capsys.readouterr().err
    for bad in (
        ["forecast", "--paths", "0"],
        ["forecast", "--seed", "-1"],
        ["forecast", "--recruit", "-10"],
    ):
        with pytest.raises(SystemExit):
            main(bad)
        assert "Invalid value" in capsys.readouterr().err


def test_no_traceback_reaches_a_user(tmp_path, capsys, monkeypatch):
    """Errors placecast did not raise on purpose are one line naming what to do; --debug shows
    the traceback."""
    afile = tmp_path / "a_file"
    afile.write_text("not a folder")
    code = main(["forecast", "--paths", "20", "--months", "24", "--out", str(afile / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert str(afile) in err and "could not read or write a file" in err

    import placecast.cli.simulate as simulate

    def broken(*args, **kwargs):
        raise RuntimeError("engine state\nlost")

    monkeypatch.setattr(simulate, "_run", broken)
    code = main(["forecast", "--paths", "20", "--months", "24", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1  # one line, the message's newline folded
    assert "unexpected RuntimeError: engine state lost" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="engine state"):
        main(["--debug", "forecast", "--paths", "20", "--months", "24", "--out", str(tmp_path)])


def test_backtest_of_no_council_is_refused_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "bt"
    code = main(["backtest", "--council", "Nowhere", "--default-priors", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "no council could be backtested" in err
    assert "Nowhere: no council called 'Nowhere'" in err
    assert not out.exists()


@pytest.mark.parametrize("year", ["2030", "2014", "1990"])
def test_fit_published_refuses_a_last_year_outside_the_tables(tmp_path, capsys, year):
    """The audit's --last-year 2030 fitted to 2019 but wrote "fitted to 31 March 2030"."""
    out = tmp_path / "fit"
    code = main(
        [
            "fit-published",
            "--council",
            "Hackney",
            "--last-year",
            year,
            "--default-priors",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"--last-year {year}" in err and "give a year from 2015 to 2022" in err
    assert not out.exists()


def test_fit_published_refuses_a_council_with_no_children_in_care(tmp_path, capsys):
    """The Isles of Scilly (0 children in care at every published 31 March) once failed
    inside scipy's rounding of a starting stock of nobody, as "a fault in placecast"."""
    out = tmp_path / "fit"
    args = ["fit-published", "--council", "Isles of Scilly", "--default-priors"]
    code = main([*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "fault in placecast" not in err
    assert "Isles of Scilly: DfE published no child in care at any 31 March (2015-2019)" in err
    assert "placecast fit --episodes" in err
    assert not out.exists()


@pytest.mark.parametrize("council", ["North Northamptonshire", "West Northamptonshire"])
def test_fit_published_refuses_a_council_with_one_published_year(tmp_path, capsys, council):
    """The councils formed in 2021 have one year (2022) in the shipped tables: the error says
    which year the fit would start from, where the tables end, and what to do."""
    out = tmp_path / "fit"
    code = main(["fit-published", "--council", council, "--default-priors", "--out", str(out)])
    err = capsys.readouterr().err
    year = "2022"
    assert code == 2 and "Traceback" not in err
    assert f"{council}: the fit starts from the children in care by age band at 31 March " in err
    assert f"these tables end there for it ({year}); add a later DfE release with --data" in err
    assert "placecast fit --episodes" in err
    assert not out.exists()


@pytest.mark.slow  # a fit end to end (about 40 s); the note's words: test_aggregate_fit
def test_fit_published_says_when_a_council_has_one_year_of_flows(tmp_path, capsys):
    """Dorset Council (formed 2019; no placement table in 2020) is fitted to 2021/22 alone:
    the command says its rates rest mostly on England's priors, with the fitted and published
    flows of that year."""
    import warnings

    args = ["fit-published", "--council", "Dorset", "--default-priors", "--out", str(tmp_path)]
    args += ["--draws", "15", "--tune", "15", "--retry", "none", "--accept-poor-fit"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(args) == 0
    err = capsys.readouterr().err
    assert "Note: Dorset is fitted to 1 year(s) of ceases and children in care after its " in err
    assert "first stock (2021/22): its entry and exit rates rest mostly on England's" in err
    assert "against 138 published, ceases " in err and "against 138); check the" in err
    # The inputs carry it as the fit's caution, which the reports box above their results.
    from placecast.inputs import load_inputs

    (caution,) = load_inputs(tmp_path / "inputs").fit_check["cautions"]
    assert "rest mostly on England's priors" in caution


def test_too_large_a_run_is_refused_with_its_size_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "big"
    code = main(["forecast", "--paths", "1000000", "--months", "600", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "1,000,000 paths x 600 months x 2 forecasts" in err
    assert "GB allowed" in err and "use fewer paths" in err and "Traceback" not in err
    assert not out.exists()
    with pytest.raises(SystemExit) as exit_:
        main(["forecast", "--months", "601", "--out", str(out)])
    assert exit_.value.code == 2 and "601 is not in the range 1<=x<=600" in capsys.readouterr().err
