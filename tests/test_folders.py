"""Output folders are written whole or not at all: stale files never survive, a killed or
concurrent run is detected, and reports refuse a folder that mixes runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import placecast as pc
from placecast.cli import main
from placecast.folders import LOCK, MANIFEST, check_complete, written_folder
from placecast.results import load_comparison

RUN = ["--paths", "20", "--months", "24"]


def test_a_rerun_replaces_the_whole_set(tmp_path, capsys):
    """The audit: a rerun with --no-charts or fewer scenarios left the earlier charts, CSVs and
    HTML beside the new ones."""
    out = tmp_path / "run"
    assert main(["forecast", *RUN, "--out", str(out)]) == 0
    first = json.loads((out / MANIFEST).read_text())
    assert first["complete"] and "report.html" in first["outputs"]
    assert any(name.endswith(".png") for name in first["outputs"])
    assert main(["forecast", *RUN, "--no-charts", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert not {n for n in names if n.endswith((".png", ".svg", ".html"))}
    second = json.loads((out / MANIFEST).read_text())
    assert names == {*second["outputs"], MANIFEST}  # nothing else, no lock, no staging
    check_complete(out / "results")
    assert "seed" in json.dumps(second["about"]).lower()


def test_a_run_killed_mid_write_is_detected_and_a_rerun_is_clean(tmp_path):
    out = tmp_path / "run"
    code = (
        "import os, signal, sys\n"
        "from placecast.folders import written_folder\n"
        "with written_folder(sys.argv[1], {'seed': 1}) as staging:\n"
        "    (staging / 'half.csv').write_text('a,b\\n1,')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code, str(out)], check=False)
    assert killed.returncode == -9
    assert (out / LOCK).exists() and not (out / MANIFEST).exists()
    assert not (out / "half.csv").exists()  # the half-written file never reached the folder
    with pytest.raises(pc.InputError, match="incomplete: the placecast run writing it did not"):
        check_complete(out)
    with written_folder(out, {"seed": 2}) as staging:  # the dead run's lock is taken over
        (staging / "whole.csv").write_text("a,b\n1,2\n")
    assert {p.name for p in out.iterdir()} == {"whole.csv", MANIFEST}
    check_complete(out)


def test_a_failed_run_leaves_the_previous_set(tmp_path):
    out = tmp_path / "run"
    with written_folder(out, {}) as staging:
        (staging / "table.csv").write_text("x\n1\n")
    with pytest.raises(RuntimeError), written_folder(out, {}) as staging:
        (staging / "table.csv").write_text("x\n2\n")
        raise RuntimeError("simulation failed")
    assert (out / "table.csv").read_text() == "x\n1\n"
    check_complete(out)


def test_a_second_writer_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / LOCK).write_text(str(os.getppid()))  # a live process holds the folder
    with pytest.raises(pc.InputError, match=r"another placecast run \(process \d+\) is writing"):
        with written_folder(out, {}):
            pass
    assert (out / LOCK).read_text() == str(os.getppid())  # not taken from its writer


def test_report_refuses_a_folder_that_mixes_runs(tmp_path, capsys):
    """The audit: a killed run left seed-2 CSVs beside seed-1 results, and report read them."""
    out = tmp_path / "run"
    assert main(["forecast", *RUN, "--no-charts", "--out", str(out)]) == 0
    load_comparison(out / "results")
    other = tmp_path / "other"
    assert main(["forecast", *RUN, "--seed", "2", "--no-charts", "--out", str(other)]) == 0
    (out / "results" / "forecast_0.nc").write_bytes(
        (other / "results" / "forecast_0.nc").read_bytes()
    )
    capsys.readouterr()
    assert main(["report", str(out / "results"), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "results/forecast_0.nc is changed since the run" in err and "fresh output" in err
    with pytest.raises(pc.InputError, match="mixes runs"):
        load_comparison(out / "results")


def test_results_saved_beside_a_run_are_not_judged_by_its_manifest(tmp_path, capsys):
    from placecast.results import save_comparison

    out = tmp_path / "run"
    assert main(["forecast", *RUN, "--no-charts", "--out", str(out)]) == 0
    cmp = load_comparison(out / "results")
    save_comparison(cmp, out / "my_copy")  # saved from Python into the run's folder
    load_comparison(out / "my_copy")
