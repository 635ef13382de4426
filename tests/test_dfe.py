"""DfE local-authority tables: every council, revised back-series, quirks, malformed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import placecast as pc
from conftest import SHARED
from placecast.data.dfe import council_series, published_counts, read_dfe, read_dfe_table
from placecast.evaluation import naive_forecasts

FOLDER = SHARED / "data" / "dfe_cla_la_2015_2019"


@pytest.fixture(scope="module")
def dfe():
    return read_dfe(FOLDER)


def test_every_council_and_level(dfe):
    levels = dfe.groupby("geographic_level")["la_code"].nunique()
    assert levels["national"] == 1 and levels["region"] >= 9  # 9 regions (+ inner/outer London)
    assert levels["la"] >= 150
    assert set(dfe["geographic_level"]) == {"national", "region", "la"}
    assert not dfe.duplicated(["la_code", "year", "measure"]).any()


def test_hackney_matches_published_figures(dfe):
    # FIGURES.md: Hackney CLA at 31 March 2019 = 405; entered care 2018/19 = 212; ceased 195.
    h = council_series(dfe, "Hackney")
    assert h.loc[2019, "children_in_care"] == 405
    assert h.loc[2019, "starts"] == 212
    assert h.loc[2019, "ceases"] == 195
    assert h.loc[2019, "stock_age_16_over"] == 149  # the annual report's 2019 age table
    england = council_series(dfe, "E92000001")
    assert england.loc[2017, "children_in_care"] == pytest.approx(72_600, abs=20)


def test_latest_publication_wins_and_quirks(dfe):
    rows = dfe[(dfe["la_name"] == "Hackney") & (dfe["measure"] == "children_in_care")]
    assert rows.set_index("year").loc[2015, "source"] == "CLA2019.csv"  # revised back-series
    # SFR34_ADM2015's CLA_started2014 is the 2015 figure; later files revise it.
    adm2015 = read_dfe_table(FOLDER / "SFR34_ADM2015.csv")
    assert set(adm2015.loc[adm2015["measure"] == "starts", "year"]) == {2015}
    # CEA 2015/2016 name the ceases column without a year: it is the publication's year.
    cea2016 = read_dfe_table(FOLDER / "SFR41_CEA2016.csv")
    assert set(cea2016.loc[cea2016["measure"] == "ceases", "year"]) == {2016}


def test_suppressed_values_are_flagged_not_dropped(dfe):
    assert dfe["suppressed"].any()
    assert dfe.loc[dfe["suppressed"], "value"].isna().all()
    assert dfe.loc[~dfe["suppressed"], "value"].notna().all()


def test_malformed_tables_name_file_row_and_column(tmp_path):
    bad = tmp_path / "CLA2019.csv"
    lines = (FOLDER / "CLA2019.csv").read_text(encoding="utf-8", errors="replace").splitlines()
    cells = lines[5].split(",")
    cells[5] = "twelve"  # CLA_Mar2015 of the 5th data row
    lines[5] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(pc.InputError, match=r"CLA2019.csv, row 6, column 'CLA_Mar2015': 'twelve'"):
        read_dfe(bad)
    no_id = tmp_path / "ADM2019.csv"
    no_id.write_text("geog_n,CLA_started2019\nHackney,212\n")
    with pytest.raises(pc.InputError, match="missing column"):
        read_dfe(no_id)
    odd = tmp_path / "children.csv"
    shutil.copy(FOLDER / "CLA2019.csv", odd)
    with pytest.raises(pc.InputError, match="publication year from the file name"):
        read_dfe(odd)
    with pytest.raises(pc.InputError, match="no council called"):
        council_series(read_dfe(FOLDER / "CLA2019.csv"), "Atlantis")


def test_stock_sums_are_consistent(dfe):
    # Placement categories add up to the total for councils without suppression.
    la = dfe[(dfe["geographic_level"] == "la") & (dfe["year"] == 2019)]
    placements = [m for m in la["measure"].unique() if m.startswith("placement_")]
    wide = la.pivot_table(index="la_code", columns="measure", values="value")
    complete = wide[placements].notna().all(axis=1) & wide["children_in_care"].notna()
    gap = (
        wide.loc[complete, placements].sum(axis=1) - wide.loc[complete, "children_in_care"]
    ).abs()
    assert complete.sum() >= 20  # councils with no suppressed placement count in 2019
    assert np.median(gap) <= 10  # published counts are rounded to the nearest 10 nationally


TIDY = Path(__file__).parent / "data" / "dfe_tidy"


def test_tidy_layout_reads_like_the_wide_one(dfe):
    tidy = read_dfe(TIDY)
    h = council_series(tidy, "Hackney")
    wide = council_series(dfe, "Hackney")
    for measure in (
        "children_in_care",
        "starts",
        "ceases",
        "placement_fostering",
        "placement_secure_homes_semi_independent",
        "stock_age_16_over",
        "starts_age_16_over",
        "provider_own_la",
    ):
        assert h.loc[2019, measure] == wide.loc[2019, measure], measure
    # 2020: the later split of children's homes and semi-independent living is added back up.
    assert h.loc[2020, "placement_secure_homes_semi_independent"] == 26 + 57
    assert h.loc[2020, "children_in_care"] == 432
    # Suppressed cells are flagged, the duplicated "Total" of each group is counted once.
    rows = tidy[(tidy["la_name"] == "Hackney") & (tidy["year"] == 2020)].set_index("measure")
    assert bool(rows.loc["stock_age_under_1", "suppressed"])
    assert council_series(tidy, "E92000001").loc[2020, "children_in_care"] == 80080
    assert set(tidy["geographic_level"]) == {"national", "region", "la"}


def test_tidy_and_wide_files_combine_and_later_years_extend_the_series(dfe):
    both = read_dfe([*sorted(FOLDER.glob("*.csv")), *sorted(TIDY.glob("*.csv"))])
    counts = published_counts(both, "Hackney")
    assert counts.years.tolist() == [2014, 2015, 2016, 2017, 2018, 2019, 2020]
    frame = counts.frame()
    assert frame.loc[2020, "children_in_care"] == 432
    assert frame.loc[2020, "residential_semi_independent"] == 83
    assert frame.loc[2020, "other"] == 432 - 323 - 83
    assert frame.loc[2020, "starts"] == 228 and frame.loc[2020, "ceases"] == 208
    # The backtest's baselines run on the extended series without code changes.
    naive = naive_forecasts(counts, 2019, 1).set_index("measure")
    assert naive.loc["children_in_care", "last_value"] == 405


def test_malformed_tidy_files_name_file_row_and_column(tmp_path):
    src = (TIDY / "la_children_looked_after_at_31_march.csv").read_text().splitlines()
    bad_year = tmp_path / "cla_31_march.csv"
    bad_year.write_text("\n".join([src[0], src[1].replace("201819", "latest"), *src[2:]]))
    with pytest.raises(pc.InputError, match=r"row 2, column 'time_period'"):
        read_dfe(bad_year)
    bad_level = tmp_path / "cla_level.csv"
    bad_level.write_text("\n".join([src[0], *src[1:3], src[3].replace("Local authority", "Ward")]))
    with pytest.raises(
        pc.InputError, match=r"row 4, column 'geographic_level': 'Ward' is not a known"
    ):
        read_dfe(bad_level)
    bad_number = tmp_path / "cla_number.csv"
    bad_number.write_text("\n".join([src[0], src[1].replace(",405,", ",four hundred,")]))
    with pytest.raises(pc.InputError, match=r"row 2, column 'number': 'four hundred'"):
        read_dfe(bad_number)
    no_value = tmp_path / "cla_novalue.csv"
    no_value.write_text(
        "time_period,geographic_level,la_name,characteristic\n2019,National,,Total\n"
    )
    with pytest.raises(pc.InputError, match=r"without column\(s\) \['value'\]"):
        read_dfe(no_value)
    unknown = tmp_path / "cla_unknown.csv"
    unknown.write_text(src[0] + "\n" + src[1].replace("Total,Total", "Gender,Male") + "\n")
    with pytest.raises(pc.InputError, match="no recognised characteristics"):
        read_dfe(unknown)


def test_recoded_councils_keep_one_series(dfe):
    gateshead = published_counts(dfe, "Gateshead")
    assert gateshead.la_code == "E08000037"
    assert not np.isnan(gateshead.children_in_care[1:]).any()  # 2015-2019 in one series
    assert published_counts(dfe, "E08000020").la_code == "E08000037"  # the old code finds it
