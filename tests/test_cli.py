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
    """The CLI lists the entry, exit and placement models by name (importing them would load
    PyMC at start-up); the lists must stay the ones AggregateModel accepts, default first."""
    from placecast.backtest import BacktestSettings
    from placecast.cli import _parser
    from placecast.fit.aggregate import ENTRY_MODELS, EXIT_MODELS, PLACEMENT_MODELS, AggregateModel

    for command in ("fit-published", "backtest"):
        sub = next(a for a in _parser()._actions if a.dest == "command").choices[command]
        for dest, models in (
            ("entry_model", ENTRY_MODELS),
            ("exit_model", EXIT_MODELS),
            ("placement_model", PLACEMENT_MODELS),
        ):
            # The library's defaults are the CLI's.
            assert getattr(AggregateModel(), dest) == models[0]
            assert getattr(BacktestSettings(), dest) == models[0]
            option = next(a for a in sub._actions if a.dest == dest)
            assert tuple(option.choices) == models and option.default == models[0]
        for dest in ("draws", "tune"):  # NUTS settings, so the CLI's fit is the library's
            option = next(a for a in sub._actions if a.dest == dest)
            assert option.default == getattr(AggregateModel(), dest)
            assert option.default == getattr(BacktestSettings(), dest)
