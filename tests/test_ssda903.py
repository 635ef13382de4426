"""SSDA903 reading: both shared synthetic sets, malformed copies, merging, and flows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placecast as pc
from conftest import SHARED
from placecast.data.ssda903 import episode_flows, read_ssda903

SETS = SHARED / "data" / "ssda903_synthetic"
HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODE = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,"
    "REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
)


def write(tmp: Path, name: str, head: str, rows: list[str]) -> Path:
    path = tmp / name
    path.write_text(head + "\n".join(rows) + "\n")
    return path


def ep(child, decom, place="U4", provider="PR1", dec="", rec="", rne="S"):
    return f"{child},{decom},{rne},C2,N1,{place},{provider},{dec},{rec},,,,"


#: A1's stay: fostered in house, then an IFA placement ending in 2018 (reason E4A).
A1_STAY = [
    ep("A1", "2016-05-01", "U4", "PR1", "2017-05-01", "X1"),
    ep("A1", "2017-05-01", "U5", "PR4", "2018-11-01", "E4A", rne="P"),
]


@pytest.fixture
def good(tmp_path):
    header = write(
        tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,", "B2,2,15/01/2003,WBRI,Y,,"]
    )
    episodes = write(
        tmp_path,
        "episodes.csv",
        EPISODE,
        [
            *A1_STAY,
            ep("B2", "01/02/2019", "K2", "PR4", "15/01/2021", "E8"),  # leaves on the 18th birthday
        ],
    )
    return episodes, header


@pytest.mark.parametrize("name", ["cs_demand_model_regional", "csc_validator_fake"])
def test_shared_synthetic_sets_read_with_every_exclusion_reported(name):
    folder = SETS / name
    raw = pd.read_csv(folder / "episodes.csv", dtype=str)
    data = read_ssda903(folder / "episodes.csv", folder / "header.csv", on_error="exclude")
    kept, excluded = len(data.episodes), int((data.issues["action"] == "excluded").sum())
    # Nothing dropped silently: kept + excluded + merged duplicates = rows read.
    assert kept + excluded + data.merged_duplicates == len(raw)
    assert kept > 1000
    assert set(data.episodes["placement"]) <= set(pc.StateSpace().placement_names)
    # Child identifiers never leave the reader: integer keys, and no CHILD values in the issues.
    assert data.episodes["child"].dtype.kind == "i"
    assert list(data.issues.columns) == ["file", "row", "column", "problem", "action"]
    words = set(" ".join(data.issues["problem"].unique()).split())
    assert not set(raw["CHILD"]) & words
    with pytest.raises(pc.InputError, match=r"file .*episodes.csv, row \d+, column"):
        read_ssda903(folder / "episodes.csv", folder / "header.csv")


def test_both_date_formats_and_category_mapping(good):
    data = read_ssda903(*good)
    assert data.episodes["placement"].tolist() == ["in_house_fostering", "ifa", "residential"]
    assert data.episodes["start"].iloc[2] == pd.Timestamp("2019-02-01")
    assert data.issues.empty


def test_yearly_returns_are_merged_keeping_the_latest(tmp_path, good):
    """Returns merge oldest first by their dates, whatever the command-line order (the audit's
    2021...2017 order kept 1,785 episodes and excluded 996); a later return's version of an
    episode wins."""
    _, header = good
    first = write(
        tmp_path,
        "return_a.csv",
        EPISODE,
        [
            *A1_STAY,
            ep("B2", "01/02/2019", "K2", "PR4"),  # open at 31 March 2019
        ],
    )
    later = write(
        tmp_path,
        "return_b.csv",
        EPISODE,
        [
            ep("A1", "2017-05-01", "U5", "PR5", "2018-11-01", "E11", rne="P"),  # corrected REC
            ep("B2", "01/02/2019", "K2", "PR4", "15/01/2021", "E8"),  # closed in 2020/21
        ],
    )
    for order in ([first, later], [later, first]):
        data = read_ssda903(order, header)
        assert data.merged_duplicates == 2
        assert len(data.episodes) == 3
        assert data.episodes["exit_reason"].iloc[1] == "adoption"
        assert data.episodes["end"].iloc[2] == pd.Timestamp("2021-01-15")
    same_year = write(tmp_path, "return_c.csv", EPISODE, [ep("B2", "01/02/2019", "K2", "PR4")])
    with pytest.raises(pc.InputError, match=r"both look like the return for the year to 31 Ma"):
        read_ssda903([first, same_year], header)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (ep("A1", "2016-13-01"), "DECOM", "not a date"),
        (ep("A1", "2016-05-01", dec="2016-04-01", rec="E8"), "DEC", "ends before it starts"),
        (ep("A1", "2016-05-01", place="ZZ"), "PLACE", "unknown placement"),
        (ep("A1", "2016-05-01", provider="PR0"), "PLACE_PROVIDER", "needs a provider"),
        (ep("A1", "2016-05-01", dec="2016-06-01", rec="E99"), "REC", "unknown reason for leaving"),
        (ep("A1", "2016-05-01", rne="Q"), "RNE", "unknown reason for new episode"),
        (ep("A1", "2016-05-01", dec="2016-06-01"), "REC", "end date but no REC"),
        (ep("C3", "2016-05-01"), "CHILD", "no row"),
        (ep("A1", "2029-01-01"), "DECOM", "aged 18 or over"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path, row, column, message):
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    episodes = write(
        tmp_path, "episodes.csv", EPISODE, [ep("A1", "2015-01-01", dec="2015-02-01", rec="E8"), row]
    )
    with pytest.raises(pc.InputError) as err:
        read_ssda903(episodes, header)
    text = str(err.value)
    assert "episodes.csv" in text and "row 3" in text and f"column {column!r}" in text
    assert message in text
    assert "C3" not in text and "A1" not in text  # locate the row, never name the child
    data = read_ssda903(episodes, header, on_error="exclude")
    assert len(data.episodes) == 1
    assert data.issues[["row", "column"]].values.tolist() == [[3, column]]


def test_overlapping_episodes_are_refused(tmp_path):
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    episodes = write(
        tmp_path,
        "episodes.csv",
        EPISODE,
        [
            ep("A1", "2016-05-01", dec="2016-09-01", rec="X1"),
            ep("A1", "2016-08-01", dec="2016-12-01", rec="X1", rne="P"),
            ep("A1", "2016-12-01", rne="P"),
        ],
    )
    with pytest.raises(pc.InputError, match="row 3, column 'DECOM': episode overlaps"):
        read_ssda903(episodes, header)
    with pytest.warns(UserWarning, match="no later episode"):
        data = read_ssda903(episodes, header, on_error="exclude")
    assert len(data.episodes) == 1
    assert data.issues["action"].tolist() == ["excluded", "excluded", "warning"]
    # The kept episode ended with X1 and its stay's next episode went: censored, and said.
    assert "censored" in data.issues["problem"].iloc[2]


def test_unknown_codes_can_be_warnings(tmp_path):
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    episodes = write(tmp_path, "episodes.csv", EPISODE, [ep("A1", "2016-05-01", place="ZZ")])
    with pytest.warns(UserWarning, match="unknown placement"):
        data = read_ssda903(episodes, header, on_unknown_code="warn")
    assert data.episodes["placement"].tolist() == ["other"]
    assert data.issues["action"].tolist() == ["warning"]


def test_missing_columns_and_files(tmp_path):
    header = write(tmp_path, "header.csv", "CHILD,SEX\n", ["A1,1"])
    episodes = write(tmp_path, "episodes.csv", EPISODE, [ep("A1", "2016-05-01")])
    with pytest.raises(pc.InputError, match=r"header.csv.*column 'DOB'.*missing column"):
        read_ssda903(episodes, header)
    with pytest.raises(pc.InputError, match="file not found"):
        read_ssda903(tmp_path / "nope.csv", header)


def test_flows_known_answer(good):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = read_ssda903(*good)
    f = episode_flows(data, pc.StateSpace(), period_start="2016-04-01", period_end="2021-03-31")
    assert int(f.entries.sum()) == 2
    by_month = f.entries_by_month
    assert int(by_month.sel(month="2016-05", age_years=5, placement="in_house_fostering")) == 1
    assert int(by_month.sel(month="2019-02", age_years=16, placement="residential")) == 1
    assert int(by_month.sum()) == 2
    assert (
        int(f.entries.sel(financial_year=2016, age_band="5_9", placement="in_house_fostering")) == 1
    )
    move = f.moves.sel(
        financial_year=2017, age_band="5_9", from_placement="in_house_fostering", to_placement="ifa"
    )
    assert int(move) == 1 and int(f.moves.sum()) == 1
    assert int(f.exits.sel(placement="ifa", exit_reason="returned_home").sum()) == 1
    assert f.aged_18.values.tolist() == [0, 0, 0, 0, 1]  # B2 left on her 18th birthday
    assert int(f.exits.sum()) == 1
    # A1: 1 May 2016 -> 1 Nov 2018 in care; B2: 1 Feb 2019 -> 15 Jan 2021 (her 18th birthday).
    days = (pd.Timestamp("2018-11-01") - pd.Timestamp("2016-05-01")).days
    days += (pd.Timestamp("2021-01-15") - pd.Timestamp("2019-02-01")).days
    assert float(f.exposure_years.sum()) == pytest.approx(days / 365.25)
    rates = f.crude_rates()
    assert np.isfinite(
        float(
            rates["exit_rate_per_year"].sel(
                age_band="5_9", placement="ifa", exit_reason="returned_home"
            )
        )
    )


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        # the audit: 2025 on data ending 2021 counted unobserved years (rates ~42% low)
        ("2016-04-01", "2025-03-31", r"period_end 2025-03-31 is after the latest return, which"),
        ("2005-04-01", "2021-03-31", r"period_start 2005-04-01 is before .* 2016-04-01 or later"),
        ("2016-04-01", "31 March 2021", r"period_end '31 March 2021' is not a date"),
        ("2016-04-01", "2021-13-01", r"period_end '2021-13-01' is not a date"),
    ],
)
def test_a_period_outside_the_returns_is_refused(good, start, end, message):
    data = read_ssda903(*good)
    assert data.last_year == 2021  # the latest date, 15 January 2021, is in 2020/21
    with pytest.raises(pc.InputError, match=message):
        episode_flows(data, pc.StateSpace(), period_start=start, period_end=end)


def test_period_dates_are_read_day_first_like_the_files(good):
    """01/04/2016 is 1 April, as in the returns (the audit found it read as 4 January)."""
    data = read_ssda903(*good)
    uk = episode_flows(data, pc.StateSpace(), period_start="01/04/2016", period_end="31/03/2021")
    iso = episode_flows(data, pc.StateSpace(), period_start="2016-04-01", period_end="2021-03-31")
    assert float(uk.exposure_years.sum()) == float(iso.exposure_years.sum())
    assert list(uk.entries["financial_year"].values) == list(iso.entries["financial_year"].values)


def test_repeated_rows_in_one_file_are_said_and_clashes_refused(tmp_path, good):
    """The audit: a second episode with the same CHILD and DECOM replaced the first (an exit was
    lost) and was counted as "merged across yearly returns", like exact copies."""
    _, header = good
    rows = A1_STAY
    copied = write(tmp_path, "copied.csv", EPISODE, [*rows, rows[1]])
    with pytest.warns(UserWarning, match=r"1 row\(s\): exact copy .*copied.csv, row 4"):
        data = read_ssda903(copied, header)
    assert len(data.episodes) == 2 and data.merged_duplicates == 0
    summary = data.summary().set_index("item")["count"]
    assert summary["warning: exact copy of an earlier row of the same file, kept once"] == 1
    clash = write(
        tmp_path, "clash.csv", EPISODE, [*rows, ep("A1", "2017-05-01", "K2", "PR4", rne="P")]
    )
    with pytest.raises(pc.InputError, match=r"clash.csv, row 4, column 'DECOM': a second episode"):
        read_ssda903(clash, header)
    kept = read_ssda903(clash, header, on_error="exclude")
    assert (kept.issues["action"] == "excluded").sum() >= 1 and kept.merged_duplicates == 0


def _read_noting(tmp_path, rows, header_rows=("A1,1,2010-06-15,WBRI,X,,",), **kwargs):
    header = write(tmp_path, "header.csv", HEADER, list(header_rows))
    episodes = write(tmp_path, "episodes.csv", EPISODE, rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_ssda903(episodes, header, **kwargs)
    return data, [str(w.message) for w in caught]


def test_x1_on_an_open_episode_is_read_as_open_and_said(tmp_path):
    """19-21% of the rows of the shared third-party samples carry X1 with no end date; they
    used to be excluded."""
    data, said = _read_noting(tmp_path, [ep("A1", "2016-05-01", rec="X1")])
    assert len(data.episodes) == 1 and data.episodes["end"].isna().all()
    assert data.issues[["row", "column", "action"]].values.tolist() == [[2, "REC", "warning"]]
    assert any("1 row(s): REC X1 on an episode with no end date" in s for s in said)
    with pytest.raises(pc.InputError, match="row 2, column 'DEC'.*REC.*no end date"):
        _read_noting(tmp_path, [ep("A1", "2016-05-01", rec="E8")])


def test_x1_on_the_last_episode_is_censored_not_an_exit_and_said(tmp_path):
    data, said = _read_noting(tmp_path, [ep("A1", "2016-05-01", dec="2017-05-01", rec="X1")])
    assert any("no later episode" in s and "censored" in s for s in said)
    f = episode_flows(data, pc.StateSpace(), period_start="2016-04-01", period_end="2017-03-31")
    assert float(f.exits.sum()) == 0.0
    # Time in care stops at the window's end, and would at the episode's.
    assert float(f.exposure_years.sum()) == pytest.approx(335 / 365.25)  # 1 May to 1 April


def test_a_gap_inside_a_stay_is_said_and_not_counted_as_time_in_care(tmp_path):
    rows = [
        ep("A1", "2016-05-01", dec="2016-06-01", rec="X1"),
        ep("A1", "2016-07-01", dec="2016-08-01", rec="E8", rne="P"),
    ]
    data, said = _read_noting(tmp_path, rows)
    assert any("a gap" in s for s in said)
    assert data.issues[["row", "column"]].values.tolist() == [[3, "DECOM"]]
    f = episode_flows(data, pc.StateSpace(), period_start="2016-04-01", period_end="2017-03-31")
    assert float(f.entries.sum()) == 1 and float(f.exits.sum()) == 1
    assert float(f.exposure_years.sum()) == pytest.approx((31 + 31) / 365.25)


def test_conflicting_dates_of_birth_use_the_latest_and_are_said(tmp_path):
    data, said = _read_noting(
        tmp_path,
        [ep("A1", "2016-05-01")],
        header_rows=("A1,1,2010-06-15,WBRI,X,,", "A1,1,2010-07-15,WBRI,X,,"),
    )
    assert data.episodes["dob"].iloc[0] == pd.Timestamp("2010-07-15")
    assert data.issues[["file", "row", "column"]].values[0, 1:].tolist() == [2, "DOB"]
    assert any("date of birth differs" in s for s in said)


_BORN_2015 = ("A1,1,2015-06-15,WBRI,X,,",)


@pytest.mark.parametrize(
    ("rows", "header_rows", "where", "problem"),
    [
        ([ep("A1", "2016-05-01", dec="2099-01-01", rec="E8")], None, "column 'DEC'", "ends after"),
        ([ep("A1", "2027-05-01")], _BORN_2015, "row 2, column 'DECOM'", "starts after today"),
        (
            [ep("A1", "2016-05-01")],
            ("A1,1,2099-06-15,WBRI,X,,",),
            "header.csv, row 2, column .DOB.",
            "after",
        ),
    ],
)
def test_dates_after_today_are_refused(tmp_path, rows, header_rows, where, problem):
    with pytest.raises(pc.InputError, match=f"{where}: .*{problem}"):
        _read_noting(tmp_path, rows, **({"header_rows": header_rows} if header_rows else {}))


def test_unknown_legal_status_is_refused_or_warned(tmp_path):
    bad = ep("A1", "2016-05-01").replace(",C2,", ",Q9,")
    with pytest.raises(pc.InputError, match="row 2, column 'LS': unknown legal status"):
        _read_noting(tmp_path, [bad])
    data, said = _read_noting(tmp_path, [bad], on_unknown_code="warn")
    assert len(data.episodes) == 1 and any("unknown legal status" in s for s in said)


def test_an_excluded_first_episode_takes_the_stays_later_episodes_with_it(tmp_path):
    """Under on_error="exclude" a bad first episode used to leave the later ones, which then
    read as a new entry in the middle of a stay."""
    rows = [
        ep("A1", "2016-05-01", place="ZZ", dec="2016-09-01", rec="X1"),
        ep("A1", "2016-09-01", dec="2017-01-01", rec="E8", rne="P"),
        ep("A1", "2018-01-01"),  # a later stay, after an exit: still after the bad episode
    ]
    data, _ = _read_noting(tmp_path, rows, on_error="exclude")
    assert data.episodes.empty
    assert data.issues["action"].tolist() == ["excluded"] * 3
    assert data.issues["problem"].iloc[1].startswith("follows an excluded episode")


def test_rows_are_located_by_their_line_in_the_file(tmp_path):
    """Blank lines and a line break inside a quoted cell count, as in an editor: the bad row
    below sits on line 6."""
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    good = ep("A1", "2015-01-01", dec="2015-02-01", rec="E8")
    quoted = good.replace("2015-01-01", "2015-03-01").replace("2015-02-01", "2015-04-01")
    quoted = quoted.rsplit(",", 1)[0] + ',"two\nlines"'  # URN across two lines
    rows = ["", good, quoted, "", ep("A1", "2016-05-01", place="ZZ")]
    episodes = write(tmp_path, "episodes.csv", EPISODE, rows)
    with pytest.raises(pc.InputError, match=r"episodes.csv, row 7, column 'PLACE'"):
        read_ssda903(episodes, header)
    data = read_ssda903(episodes, header, on_error="exclude")
    assert data.episodes["source"].str.rsplit(":", n=1).str[1].tolist() == ["3", "4"]


def test_an_la_column_in_some_files_only_is_refused_naming_them(tmp_path):
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    episodes = write(
        tmp_path, "episodes.csv", "LA," + EPISODE, ["E09000012," + ep("A1", "2016-05-01")]
    )
    with pytest.raises(
        pc.InputError, match=r"header.csv, column 'LA': has no LA column but .*episodes"
    ):
        read_ssda903(episodes, header)


def test_empty_files_and_folders_are_refused(tmp_path):
    header = write(tmp_path, "header.csv", HEADER, ["A1,1,2010-06-15,WBRI,X,,"])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(pc.InputError, match="empty.csv: the file is empty"):
        read_ssda903(empty, header)
    with pytest.raises(pc.InputError, match="is a folder, not a CSV file"):
        read_ssda903(tmp_path, header)
