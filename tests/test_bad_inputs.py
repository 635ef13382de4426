"""A table-driven corpus of bad inputs across every input surface (issue 22).

Each case goes through the command line as a user would and asserts: exit status 2, one line
``placecast: error: ...`` (or click's usage message for an option) that names the place (file,
row and column, or the setting) and the problem, no traceback, and no output folder left. Then
hypothesis corrupts valid files at random: the readers give a placecast error or a result,
never another exception.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placecast as pc
from conftest import SHARED
from placecast.cli import main
from placecast.data.dfe import read_dfe
from placecast.data.ssda903 import read_ssda903
from placecast.scenario.levers import lever_bounds

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODE = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"  # noqa: E501
GOOD_HEADER_ROW = "A1,1,2010-06-15,WBRI,X,,"
DFE = SHARED / "data" / "dfe_cla_la_2015_2019"


def ep(
    decom="2016-05-01", rne="S", ls="C2", place="U4", provider="PR1", dec="", rec="", child="A1"
):
    return f"{child},{decom},{rne},{ls},N1,{place},{provider},{dec},{rec},,,,"


def run(argv: list[str], capsys) -> tuple[int, str]:
    """The command's exit status and what it printed to standard error."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except SystemExit as done:  # click's usage errors
            code = int(done.code or 0)
    return code, capsys.readouterr().err


def refused(argv, capsys, *where: str, out: Path) -> None:
    code, err = run([*argv, "--out", str(out)], capsys)
    assert code == 2, err
    assert "Traceback" not in err
    for text in where:
        assert text in err, (text, err)
    assert not out.exists(), "a refused run left an output folder"


# -- SSDA903 episodes: one bad row on line 3, after a good one ---------------------------------
FIRST = ep("2015-01-01", dec="2015-02-01", rec="E8")
EPISODE_CASES = [
    *[(ep(decom=v), "DECOM", "not a date") for v in
      ["2016-13-01", "32/01/2016", "2016/05/01", "tomorrow", "", "2016-5-1x", "01-05-2016"]],
    *[(ep(dec=v, rec="E8"), "DEC", "not a date") for v in
      ["2016-13-01", "31/02/2016", "soon", "2016.06.01"]],
    *[(ep(rne=v), "RNE", "unknown reason for new episode") for v in ["Q", "s", "", "1", "SS"]],
    *[(ep(ls=v), "LS", "unknown legal status") for v in ["Q9", "c2", "", "V5", "C3"]],
    *[(ep(place=v), "PLACE", "unknown placement") for v in ["ZZ", "u4", "", "K9", "R4", "Z2"]],
    *[(ep(provider=v), "PLACE_PROVIDER", "needs a provider") for v in ["PR0", "", "PR9", "pr1"]],
    *[(ep(dec="2016-06-01", rec=v), "REC", "unknown reason for leaving") for v in
      ["E99", "e8", "X2", "E4", "E10"]],
    (ep(dec="2016-06-01"), "REC", "end date but no REC"),
    (ep(rec="E8"), "DEC", "no end date"),
    (ep(rec="E11"), "DEC", "no end date"),
    (ep(dec="2016-04-01", rec="E8"), "DEC", "ends before it starts"),
    (ep("2029-01-01"), "DECOM", "aged 18 or over"),
    (ep("2009-01-01"), "DECOM", "before the child's date of birth"),
    (ep(dec="2099-01-01", rec="E8"), "DEC", "ends after today"),
    (ep(child="C3"), "CHILD", "no row"),
    (ep(child=""), "CHILD", "missing child identifier"),
    (ep("2015-01-15"), "DECOM", "overlaps"),
    (FIRST, "DECOM", "starting on the same date in the same file"),
]  # fmt: skip


def _fit_args(tmp_path: Path, episodes: str, header: str) -> list[str]:
    (tmp_path / "episodes.csv").write_text(episodes)
    (tmp_path / "header.csv").write_text(header)
    return [
        "fit",
        "--episodes",
        str(tmp_path / "episodes.csv"),
        "--header",
        str(tmp_path / "header.csv"),
        "--period-start",
        "2014-04-01",
        "--period-end",
        "2015-03-31",
    ]


@pytest.mark.parametrize(("row", "column", "problem"), EPISODE_CASES)
def test_bad_episode_rows(tmp_path, capsys, row, column, problem):
    if row == FIRST:  # same start, other details
        row = ep("2015-01-01", dec="2015-03-01", rec="E8")
    args = _fit_args(tmp_path, EPISODE + FIRST + "\n" + row + "\n", HEADER + GOOD_HEADER_ROW + "\n")
    where = f"episodes.csv, row 3, column '{column}'"
    refused(args, capsys, where, problem, out=tmp_path / "out")
    _, err = run([*args, "--out", str(tmp_path / "again")], capsys)
    # Locate the row, never name the child (A1, or C3 with no header row).
    assert not re.search(r"\b(A1|C3)\b", err.replace(str(tmp_path), "")), err


HEADER_CASES = [
    *[(f"A1,1,{v},WBRI,X,,", "DOB", "date of birth missing or not a date") for v in
      ["", "2010-02-30", "15/13/2010", "June 2010", "2010"]],
    ("A1,1,2099-06-15,WBRI,X,,", "DOB", "after today"),
    (",1,2010-06-15,WBRI,X,,", "CHILD", "missing child identifier"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "problem"), HEADER_CASES)
def test_bad_header_rows(tmp_path, capsys, row, column, problem):
    args = _fit_args(tmp_path, EPISODE + FIRST + "\n", HEADER + row + "\n")
    refused(args, capsys, f"header.csv, row 2, column '{column}'", problem, out=tmp_path / "out")


@pytest.mark.parametrize("column", EPISODE.strip().split(",")[:9])
def test_an_episodes_file_missing_a_column(tmp_path, capsys, column):
    names = EPISODE.strip().split(",")
    if column == "CIN":  # not needed by placecast: the file reads
        return
    keep = [i for i, n in enumerate(names) if n != column]
    text = "\n".join(",".join(np.array(line.split(","))[keep]) for line in [EPISODE.strip(), FIRST])
    args = _fit_args(tmp_path, text + "\n", HEADER + GOOD_HEADER_ROW + "\n")
    refused(
        args, capsys, "episodes.csv, column", f"missing column(s) ['{column}']", out=tmp_path / "o"
    )


@pytest.mark.parametrize("column", ["CHILD", "SEX", "DOB"])
def test_a_header_file_missing_a_column(tmp_path, capsys, column):
    names = HEADER.strip().split(",")
    keep = [i for i, n in enumerate(names) if n != column]
    text = "\n".join(
        ",".join(np.array(s.split(","))[keep]) for s in [HEADER.strip(), GOOD_HEADER_ROW]
    )
    args = _fit_args(tmp_path, EPISODE + FIRST + "\n", text + "\n")
    refused(
        args, capsys, "header.csv, column", f"missing column(s) ['{column}']", out=tmp_path / "o"
    )


@pytest.mark.parametrize(
    ("episodes", "where", "problem"),
    [
        ("", "episodes.csv", "the file is empty"),
        ("CHILD,DECOM\nA1,2016-05-01\n", "episodes.csv, column 'RNE'", "missing column"),
        ("LA," + EPISODE + "E1," + FIRST + "\n", "header.csv, column 'LA'", "has no LA column"),
        ('CHILD,"DECOM\n', "episodes.csv", "not a readable CSV"),
    ],
)
def test_bad_ssda903_files(tmp_path, capsys, episodes, where, problem):
    args = _fit_args(tmp_path, episodes, HEADER + GOOD_HEADER_ROW + "\n")
    refused(args, capsys, where, problem, out=tmp_path / "out")


def test_ssda903_periods_outside_the_returns(tmp_path, capsys):
    args = _fit_args(tmp_path, EPISODE + FIRST + "\n", HEADER + GOOD_HEADER_ROW + "\n")
    for flag, value, text in (
        ("--period-end", "2025-03-31", "period_end 2025-03-31 is after the latest return"),
        ("--period-start", "2005-04-01", "before the financial year of the earliest episode"),
        ("--period-start", "soon", "is not a date"),
    ):
        i = args.index(flag)
        bad = [*args[: i + 1], value, *args[i + 2 :]]
        refused(bad, capsys, flag.strip("-").replace("-", "_"), text, out=tmp_path / "out")


# -- DfE tables ------------------------------------------------------------------------------
DFE_VALUES = ["-405", "inf", "1e12", "405.7", "twelve", "-0.5", "1 2", "NaN!", "0x10", "--3"]


@pytest.mark.parametrize("value", DFE_VALUES)
@pytest.mark.parametrize("name", ["ADM2019.csv", "CEA2019.csv", "CLA2019.csv"])
def test_bad_dfe_counts(tmp_path, capsys, name, value):
    lines = (DFE / name).read_text(encoding="utf-8").splitlines()
    columns = lines[0].split(",")
    measure = {"ADM": "CLA_started2019", "CEA": "CLA_cease2019", "CLA": "CLA_Mar2019"}[name[:3]]
    cells = lines[7].split(",")
    cells[columns.index(measure)] = value
    lines[7] = ",".join(cells)
    (tmp_path / name).write_text("\n".join(lines) + "\n")
    args = ["fit-published", "--council", "Hackney", "--data", str(tmp_path / name)]
    refused(
        [*args, "--default-priors"],
        capsys,
        f"{name}, row 8, column '{measure}'",
        out=tmp_path / "o",
    )


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda t: t.replace("CLA_Mar2019", "CLA_March2019", 1), "column 'CLA_March2019'"),
        (lambda t: t.replace("CLA_Mar2019", "cla_mar2019", 1), "column 'cla_mar2019'"),
        (lambda t: t.replace("New_geog_code", "code", 1), "column 'New_geog_code'"),
        (lambda t: t.replace("geog_n", "name", 1), "column 'geog_n'"),
        (lambda t: t.replace("geog_l", "level", 1), "column 'geog_l'"),
        (lambda t: t + t.splitlines()[9] + "\n", "are for the same area"),
        (lambda t: "", "the file is empty"),
    ],
)
def test_bad_dfe_files(tmp_path, capsys, change, where):
    text = (DFE / "CLA2019.csv").read_text(encoding="utf-8")
    (tmp_path / "CLA2019.csv").write_text(change(text))
    args = ["fit-published", "--council", "Hackney", "--data", str(tmp_path / "CLA2019.csv")]
    refused([*args, "--default-priors"], capsys, "CLA2019.csv", where, out=tmp_path / "o")


# -- scenario files --------------------------------------------------------------------------
LEVER_VALUES = ['"10"', "true", "-1", "nan", "inf", "[1]", "{a = 1}"]
NUMERIC_LEVERS = [name for name in lever_bounds() if name != "budget_gbp"]


def _scenario_case(body: str) -> str:
    return f'[[scenario]]\nname = "s"\n{body}\n'


SCENARIO_CASES = [
    *[(_scenario_case(f"{lever} = {v}"), lever) for lever in NUMERIC_LEVERS for v in LEVER_VALUES],
    *[(_scenario_case(f"{lever} = {most * 10 + 1:g}"), "at most") for lever, (most, _) in
      lever_bounds().items() if lever != "budget_gbp"],
    *[(_scenario_case(f"foster_care_first = {v}"), "foster_care_first") for v in ["1", '"yes"']],
    *[(_scenario_case(f"inflation_per_year = {v}"), "inflation_per_year") for v in
      ["0.05", '{ifa = "x"}', "{ifa = -2}", "{ifa = 5}", "{unknown = 0.1}", "{ifa = true}"]],
    *[(_scenario_case(f"budget_gbp = {v}"), "budget_gbp") for v in
      ["{2099 = 2e7}", "{2023 = -1}", '{x = 1}', "{2023 = 1e12}", "5", '{2023 = "1"}']],
    *[(_scenario_case(v), k) for v, k in [
      ("from_month = 2.5", "from_month"), ("from_month = 0", "from_month"),
      ("from_month = true", "from_month"), ("from_month = 1000", "outside the forecast"),
      ('from_date = "soon"', "from_date"), ('from_date = "2099-01"', "outside the forecast"),
      ("from_date = 1", "from_date"), ('from_month = 3\nfrom_date = "2023-01"', "not both"),
      ("colour = 1", "unknown lever")]],
    ('[[scenario]]\nname = ""\n', "name"),
    ("[[scenario]]\nname = 5\n", "name"),
    ('[[scenario]]\nname = "\\u001b[31m"\n', "name"),
    ("[[scenario]]\nextra_approvals_per_year = 1\n", "needs a name"),
    ('[[scenario]]\nname = "baseline"\n', "baseline"),
    ('[[scenario]]\nname = "s"\n[[scenario]]\nname = "s "\n', "unique"),
    ("[run]\nmonths = true\n" + _scenario_case(""), "months"),
    ("[run]\nmonths = 0\n" + _scenario_case(""), "months"),
    ("[run]\nmonths = 601\n" + _scenario_case(""), "months"),
    ("[run]\nmonths = 1.5\n" + _scenario_case(""), "months"),
    ('[run]\nmonths = "60"\n' + _scenario_case(""), "months"),
    ("[run]\npaths = 0\n" + _scenario_case(""), "paths"),
    ("[run]\npaths = 2000000\n" + _scenario_case(""), "paths"),
    ("[run]\nseed = -1\n" + _scenario_case(""), "seed"),
    ("[run]\nseed = 4294967296\n" + _scenario_case(""), "seed"),
    ("[run]\ndraws = 5\n" + _scenario_case(""), "unknown [run] setting"),
    ("[runs]\nmonths = 5\n" + _scenario_case(""), "unknown table"),
    ("[run]\nmonths = 60\n", "no [[scenario]]"),
    ("scenario = 5\n", "no [[scenario]]"),
    ("[[scenario]\nname = 1", "not valid TOML"),
    ("", "no [[scenario]]"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "names"), SCENARIO_CASES)
def test_bad_scenario_files(tmp_path, capsys, text, names):
    (tmp_path / "s.toml").write_text(text)
    argv = ["compare", str(tmp_path / "s.toml"), "--paths", "20"]
    refused(argv, capsys, names, out=tmp_path / "out")


# -- inputs folders --------------------------------------------------------------------------
def _edit(meta: dict, path: str, value) -> dict:
    *parents, last = path.split(".")
    node = meta
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return meta


INPUTS_CASES = [
    ("published_children_in_care.2021", -3, "published_children_in_care"),
    ("published_children_in_care.2021", "418", "published_children_in_care"),
    ("published_children_in_care.20x1", 418, "published_children_in_care"),
    ("published_children_in_care", [418, 405], "published_children_in_care"),
    ("costs.price_base_financial_year", "2022", "price_base_financial_year"),
    ("costs.price_base_financial_year", True, "price_base_financial_year"),
    ("costs.inflation_per_year", KeyError, "inflation_per_year"),
    ("costs.inflation_per_year.ifa", KeyError, "no rate for ['ifa']"),
    ("costs.inflation_per_year.ifa", "3%", "inflation_per_year['ifa']"),
    ("costs.weekly_cost_gbp.ifa", "£1,050", "without a £ sign"),
    ("costs.weekly_cost_gbp.ifa", -5, "weekly_cost_gbp['ifa']"),
    ("costs.weekly_cost_gbp.ifa", KeyError, "no cost for ['ifa']"),
    ("costs.cost_cv", {"residential": True}, "cost_cv['residential']"),
    ("supply.households", "x", "households"),
    ("supply.households", -1, "households"),
    ("supply.households", 1e12, "households"),
    ("budget", [1, 2], "'budget'"),
    ("budget.2022", "19,200,000", "placement_budget_gbp[2022]"),
    ("budget.x", 5, "budget year 'x'"),
    ("start", "soon", "column 'start'"),
    ("name", 5, "column 'name'"),
    ("sources", "DfE", "column 'sources'"),
    ("supply", KeyError, "no 'supply' section"),
    ("format", 99, "unknown format 99"),
]


@pytest.fixture(scope="module")
def saved_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs") / "base"
    pc.save_inputs(pc.hackney_2022(), folder)
    return folder


@pytest.mark.parametrize(("path", "value", "where"), INPUTS_CASES)
def test_bad_inputs_folders(tmp_path, capsys, saved_inputs, path, value, where):
    folder = tmp_path / "inputs"
    shutil.copytree(saved_inputs, folder)
    meta = _edit(json.loads((folder / "inputs.json").read_text()), path, value)
    (folder / "inputs.json").write_text(json.dumps(meta))
    argv = ["forecast", "--inputs", str(folder), "--paths", "20", "--months", "24"]
    refused(argv, capsys, "inputs.json", where, out=tmp_path / "out")


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda f: (f / "inputs.nc").unlink(), "inputs.nc: missing"),
        (
            lambda f: (f / "inputs.nc").write_bytes((f / "inputs.nc").read_bytes()[:3000]),
            "truncated",
        ),
        (lambda f: (f / "inputs.json").write_text("{bad"), "not valid JSON"),
        (lambda f: (f / "inputs.json").write_text("[1, 2]"), "got a list"),
        (lambda f: (f / "inputs.json").unlink(), "inputs.json missing"),
        (lambda f: (f / ".." / ".placecast-writing").write_text("999999999"), "did not finish"),
    ],
)
def test_damaged_inputs_folders(tmp_path, capsys, saved_inputs, damage, where):
    folder = tmp_path / "inputs"
    shutil.copytree(saved_inputs, folder)
    damage(folder)
    argv = ["forecast", "--inputs", str(folder), "--paths", "20", "--months", "24"]
    refused(argv, capsys, where, out=tmp_path / "out")


# -- command-line options --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value"),
    [
        *[("--paths", v) for v in ["0", "-1", "x", "2000001", "1.5"]],
        *[("--months", v) for v in ["0", "601", "x", "-5", "1e3"]],
        *[("--seed", v) for v in ["-1", "x", "4294967296", "1.5"]],
        *[("--recruit", v) for v in ["-10", "nan", "inf", "1001", "x"]],
    ],
)
def test_bad_options(tmp_path, capsys, option, value):
    refused(["forecast", option, value], capsys, "Invalid value", option, out=tmp_path / "out")


def test_too_large_a_run(tmp_path, capsys):
    argv = ["forecast", "--paths", "1000000", "--months", "600"]
    refused(argv, capsys, "1,000,000 paths x 600 months", "GB allowed", out=tmp_path / "out")


# -- fuzzing: random corruptions of valid files ------------------------------------------------
_GOOD_EPISODES = EPISODE + "\n".join(
    [
        ep("2015-01-01", dec="2015-06-01", rec="X1"),
        ep("2015-06-01", rne="P", place="U5", provider="PR4", dec="2016-02-01", rec="E4A"),
        ep("2016-05-01", place="K2", provider="PR4", child="B2"),
    ]
)
_GOOD_HEADER = HEADER + GOOD_HEADER_ROW + "\nB2,2,2004-01-15,WBRI,Y,,\n"


def _corrupt(text: str, data) -> str:
    """Replace, delete or insert a few characters anywhere in ``text``."""
    alphabet = st.sampled_from(list(',"\n\r-/0123456789AEXUKPRSZ é\t;'))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        c = data.draw(alphabet)
        if kind == "replace" and i < len(text):
            text = text[:i] + c + text[i + 1 :]
        elif kind == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + c + text[i:]
    return text


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_ssda903_files_give_an_error_or_a_result(tmp_path, data):
    """Never another exception: a placecast error naming the file, or episodes that every later
    step can use (each kept row accounted for)."""
    which = data.draw(st.sampled_from(["episodes", "header"]))
    episodes = _corrupt(_GOOD_EPISODES, data) if which == "episodes" else _GOOD_EPISODES
    header = _corrupt(_GOOD_HEADER, data) if which == "header" else _GOOD_HEADER
    (tmp_path / "e.csv").write_text(episodes, encoding="utf-8")
    (tmp_path / "h.csv").write_text(header, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = read_ssda903(tmp_path / "e.csv", tmp_path / "h.csv", on_error="exclude")
        except pc.PlacecastError as err:
            assert ("e.csv" in str(err)) or ("h.csv" in str(err)), str(err)
            return
    assert set(got.episodes["placement"]) <= set(pc.StateSpace().placement_names)
    assert got.episodes["start"].notna().all() and got.episodes["dob"].notna().all()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_dfe_files_give_an_error_or_a_result(tmp_path, data):
    text = (DFE / "ADM2019.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    row = data.draw(st.integers(0, 20))
    lines[row] = _corrupt(lines[row], data)
    (tmp_path / "ADM2019.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tables = read_dfe(tmp_path / "ADM2019.csv")
        except pc.PlacecastError as err:
            assert "ADM2019.csv" in str(err), str(err)
            return
    values = tables["value"].dropna()
    assert ((values >= 0) & (values == np.round(values))).all()
    assert isinstance(tables, pd.DataFrame)
