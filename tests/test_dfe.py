"""DfE local-authority tables: every council, revised back-series, quirks, malformed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
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
    # 2020: the later split of children's homes and semi-independent living is kept as two
    # measures (the placement group adds them up, see test_placement_groups_...).
    assert h.loc[2020, "placement_secure_childrens_homes"] == 26
    assert h.loc[2020, "placement_independent_semi_independent"] == 57
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
    # A level that is not England, a region or a council is skipped and counted, not guessed.
    with pytest.warns(UserWarning, match="skipped rows at geographic levels .*: 1 Ward"):
        skipped = read_dfe(bad_level)
    assert skipped.attrs["skipped_levels"] == {"Ward": 1}
    assert "stock_age_1_4" not in set(skipped["measure"])  # the skipped row's measure
    assert "stock_age_under_1" in set(skipped["measure"])
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


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("Buckinghamshire", "E10000002", "E06000060"),  # unitary from 2020, same area
        ("North Yorkshire", "E10000023", "E06000065"),  # 2023; new code in the 2021-22 rows
        ("Somerset", "E10000027", "E06000066"),
    ],
)
def test_a_county_become_unitary_keeps_one_series_under_its_new_code(name, old, new):
    """The shipped tables publish these councils under two codes (the same figures where
    both appear): one series 2015-2022, found by name and by either code, and one council in
    a backtest's list (North Yorkshire and Somerset were once counted twice in every-council
    batches and regional totals)."""
    from placecast.data.published import published_tables
    from placecast.data.regions import council_regions
    from placecast.evaluation.backtesting import la_councils

    tables = published_tables()
    series = published_counts(tables, name)
    assert series.la_code == new and published_counts(tables, old).la_code == new
    assert not np.isnan(series.children_in_care[1:]).any()  # 2015-2022
    assert old not in la_councils(tables) and new in la_councils(tables)
    regions = council_regions()
    assert (regions["la_name"] == name).sum() == 1 and old not in set(regions["la_code"])


def test_a_name_two_councils_have_had_means_the_current_one():
    """Dorset's county council (to 2019) and the unitary council formed in 2019 without
    Christchurch are different councils: the name finds the current one, alone; the old code
    finds the county's years."""
    from placecast.data.published import published_tables

    tables = published_tables()
    dorset = published_counts(tables, "dorset")
    assert dorset.la_code == "E06000059"
    assert dorset.years[~np.isnan(dorset.children_in_care)].tolist() == [2020, 2021, 2022]
    county = published_counts(tables, "E10000009")
    assert county.years[~np.isnan(county.children_in_care)].tolist() == list(range(2014, 2020))


EES = SHARED / "data" / "dfe_cla_ees_2018_2022"


@pytest.fixture(scope="module")
def current():
    """Every DfE file as councils download them: 2015-2019 wide and 2018-2022 tidy."""
    return read_dfe([FOLDER, EES])


def _raw(name: str, la_code: str, label_col: str, label: str, value_col: str) -> dict[int, str]:
    """Values straight from one of DfE's files, by year (the check reads them with csv, not
    with placecast); England's rows have no code, only their level."""
    import csv

    def area(r: dict[str, str]) -> bool:
        england = la_code == "E92000001" and r["geographic_level"] == "National"
        return r["new_la_code"] == la_code or england

    with (EES / name).open(encoding="utf-8-sig") as fh:
        return {
            int(r["time_period"]): r[value_col]
            for r in csv.DictReader(fh)
            if area(r) and r[label_col] == label
        }


@pytest.mark.parametrize(
    "council",
    ["E09000012", "E08000035", "E10000016", "E08000025", "E06000017", "E09000001"],
    ids=["Hackney", "Leeds", "Kent", "Birmingham", "Rutland", "City of London"],
)
def test_every_layout_since_2018_gives_the_published_series(current, council):
    """Children in care, starts and ceases 2019-2022 are the headline table's; fostering and
    the age bands 2021-2022 the characteristics table's; nothing is filled in for 2020."""
    counts = published_counts(current, council)
    frame = counts.frame()
    assert counts.years[-1] == 2022 and counts.years[0] <= 2015
    headline = "cla_number_and_rate_per_10k_children_2019_2022.csv"
    later = "cla_number_and_rate_per_10k_children_2021_2022_population_type_layout.csv"
    for measure, label in (
        ("children_in_care", "Children looked after at 31 March each year"),
        ("starts", "Children starting to be looked after each year"),
        ("ceases", "Children ceasing to be looked after each year"),
    ):
        raw = _raw(headline, council, "population_count", label, "number")
        newer = _raw(
            later, council, "population_type", label.replace(" at ", " on "), "children_count"
        )
        for year in (2019, 2020, 2021, 2022):
            published = newer.get(year, raw[year])  # the later release wins
            expected = np.nan if not published.isdigit() else float(published)
            assert frame.loc[year, measure] == pytest.approx(expected, nan_ok=True), (measure, year)
    chars = "la_cla_on_31_march_by_characteristics_2021_2022_processed.csv"
    fostering = _raw(chars, council, "characteristic", "Foster placements", "cla_31_march_number")
    sixteen = _raw(chars, council, "characteristic", "16 years and over", "cla_31_march_number")
    for year in (2021, 2022):
        for got, raw in (
            (frame.loc[year, "fostering"], fostering),
            (counts.stock_by_age_band[list(counts.years).index(year), 4], sixteen),
        ):
            assert got == pytest.approx(
                float(raw[year]) if raw[year].isdigit() else np.nan, nan_ok=True
            )
    # 2020 has no placement or age table: left out, never filled in.
    i2020 = list(counts.years).index(2020)
    assert np.isnan(counts.stock_by_group[i2020]).all()
    assert np.isnan(counts.stock_by_age_band[i2020]).all()


def test_hackney_since_2019_is_dfes(current):
    """Hackney (DfE, children looked after in England 2022): 418 in care at 31 March 2021 and
    405 at 31 March 2022; 164 started in 2021/22; 188 ceased."""
    h = council_series(current, "Hackney")
    assert h.loc[2021, "children_in_care"] == 418 and h.loc[2022, "children_in_care"] == 405
    assert h.loc[2022, "starts"] == 164 and h.loc[2022, "ceases"] == 188
    england = council_series(current, "England")
    # England's ceases did not fall after 2019 (the measurement): 29,570 ... 30,230.
    assert england.loc[[2019, 2020, 2021, 2022], "ceases"].tolist() == [29570, 29710, 28120, 30230]
    assert set(current["geographic_level"]) == {"national", "region", "la"}
    assert not current.duplicated(["la_code", "year", "measure"]).any()


def test_placement_groups_mean_the_same_in_every_year(current):
    """Residential / semi-independent is secure units, children's homes, semi-independent and
    independent living in every year: to 2019 DfE's combined type plus the community
    placements (where independent living sat), from 2021 the two new types added up."""
    h = council_series(current, "Hackney")
    frame = published_counts(current, "Hackney").frame()
    assert frame.loc[2019, "residential_semi_independent"] == (
        h.loc[2019, "placement_secure_homes_semi_independent"]
        + h.loc[2019, "placement_other_community"]
    )
    assert frame.loc[2021, "residential_semi_independent"] == (
        h.loc[2021, "placement_secure_childrens_homes"]
        + h.loc[2021, "placement_independent_semi_independent"]
    )
    assert frame.loc[2021, "residential_semi_independent"] == 41 + 45  # the raw file's
    # Where the community placements are not published (the 2015 file), the combined type alone.
    assert np.isnan(h.loc[2015, "placement_other_community"])
    assert frame.loc[2015, "residential_semi_independent"] == 43
    # England's provider split comes from the national placement x provider table.
    england = council_series(current, "England")
    assert england.loc[2022, "provider_own_la"] == 37470


@pytest.mark.parametrize("council", ["E09000012", "E08000021", "E92000001"])
def test_ages_on_ceasing_are_read_from_every_layout(current, council):
    """Ceases by age on ceasing: 2018-2022 the tidy ceases table's ("16 years" and "17 years"
    added up, "18 years and over"), 2016-2017 the wide files' (two column namings), 2015 only
    to 10-15 (its last band is 16 and over, which cannot be split)."""
    import csv

    counts = published_counts(current, council)
    bands = dict(zip(counts.years.tolist(), counts.ceases_by_age_band, strict=True))
    labels = ["Under 1 year", "1 to 4 years", "5 to 9 years", "10 to 15 years"]
    raw = {
        label: _raw(
            "la_children_who_ceased_during_year_2018_2022.csv",
            council,
            "characteristic",
            label,
            "number",
        )
        for label in [*labels, "16 years", "17 years", "18 years and over"]
    }

    def number(text: str) -> float:
        return float(text) if text.isdigit() else np.nan

    for year in range(2018, 2023):
        expected = [number(raw[label][year]) for label in labels]
        expected += [number(raw["16 years"][year]) + number(raw["17 years"][year])]
        expected += [number(raw["18 years and over"][year])]
        assert bands[year] == pytest.approx(expected, nan_ok=True), year
    with (FOLDER / "SFR41_CEA2016.csv").open(encoding="utf-8-sig") as fh:
        row = next(r for r in csv.DictReader(fh) if r["New_geog_code"] == council)
    names = ["CLA_cea1", "CLA_cea14", "CLA_cea59", "CLA_cea1015"]
    expected = [number(row[n]) for n in names]
    expected += [number(row["CLA_cea16"]) + number(row["CLA_cea17"]), number(row["CLA_cea18"])]
    assert bands[2016] == pytest.approx(expected, nan_ok=True)
    assert np.isnan(bands[2015][4:]).all() and not np.isnan(bands[2015][:4]).all()
    if council == "E92000001":  # England's bands add up to its ceases (DfE rounds to 10s)
        i = list(counts.years).index(2019)
        assert counts.ceases_by_age_band[i].sum() == pytest.approx(counts.ceases[i], rel=0.002)
        assert counts.ceases_by_age_band[i, -1] == 9600


def test_a_series_saved_before_ages_on_ceasing_reads_with_them_unknown(current):
    counts = published_counts(current, "Hackney")
    saved = counts.to_dict()
    del saved["ceases_by_age_band"]
    old = type(counts).from_dict(saved)
    assert old.ceases_by_age_band.shape == (counts.years.size, 6)
    assert np.isnan(old.ceases_by_age_band).all()
    assert type(counts).from_dict(counts.to_dict()).fingerprint() == counts.fingerprint()


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\ufeff" + header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_later_release_in_the_same_layouts_reads_without_code_change(tmp_path):
    """Rows for 2023 in the newest layouts (label column population_type, value column
    children_count; the processed characteristics file) extend the series; a BOM, a 'k' and a
    level that is not a council are taken as DfE's guidance says."""
    area = "Local authority,E92000001,England,E13000001,Inner London,204,Hackney,E09000012"
    _write(
        tmp_path / "cla_number_and_rate_per_10k_children_2023.csv",
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,old_la_code,la_name,new_la_code,population_type,population_estimate,"
        "children_count,rate_per_10000",
        [
            f"2023,Reporting year,{area},Children looked after on 31 March each year,55000,399,72",
            f"2023,Reporting year,{area},Children starting to be looked after each year,55000,k,k",
            f"2023,Reporting year,{area},Children ceasing to be looked after each year,"
            "55000,170,31",
            "2023,Reporting year,Local authority district,E92000001,England,,,,Somewhere,E07000001,"
            "Children looked after on 31 March each year,100,1,1",
        ],
    )
    _write(
        tmp_path / "la_cla_on_31_march_by_characteristics_2023_processed.csv",
        "time_period,geographic_level,region_code,region_name,new_la_code,old_la_code,la_name,"
        "geo_breakdown,cla_group,characteristic,cla_31_march_number,percentage",
        [
            "2023,Local authority,E13000001,Inner London,E09000012,204,Hackney,Hackney,Placement,"
            "Foster placements,290,73",
            "2023,Local authority,E13000001,Inner London,E09000012,204,Hackney,Hackney,Placement,"
            "Secure homes and children's homes,40,10",
            "2023,Local authority,E13000001,Inner London,E09000012,204,Hackney,Hackney,Placement,"
            "Independent and semi-independent living arrangements/supported accommodation,42,11",
            "2023,Local authority,E13000001,Inner London,E09000012,204,Hackney,Hackney,Placement,"
            "Total,399,100",
            "2023,Local authority,E13000001,Inner London,E09000012,204,Hackney,Hackney,"
            "LA of placement,Total,180,100",
        ],
    )
    _write(
        tmp_path / "la_children_who_ceased_during_year_2023.csv",
        "time_period,time_identifier,geographic_level,country_code,country_name,region_code,"
        "region_name,old_la_code,la_name,new_la_code,cla_group,characteristic,number,percentage",
        [
            f"2023,Reporting year,{area},Age on ceasing,{label},{n},1"
            for label, n in (
                ("Under 1 year", 6),
                ("1 to 4 years", 20),
                ("5 to 9 years", 15),
                ("10 to 15 years", 22),
                ("16 years", 9),
                ("17 years", "c"),
                ("18 years and over", 98),
                ("Total", 170),
            )
        ],
    )
    with pytest.warns(UserWarning, match="1 Local authority district"):
        tidy = read_dfe([FOLDER, EES, tmp_path])
    counts = published_counts(tidy, "Hackney")
    frame = counts.frame()
    assert counts.years[-1] == 2023
    assert frame.loc[2023, "children_in_care"] == 399  # the headline, not a subset's total
    assert np.isnan(frame.loc[2023, "starts"])  # 'k': not zero, not published
    assert frame.loc[2023, "residential_semi_independent"] == 82
    assert frame.loc[2023, "other"] == 399 - 290 - 82
    assert frame.loc[2022, "children_in_care"] == 405  # earlier years as before
    # Ages on ceasing: a suppressed 17 leaves 16-17 unknown, never 16 alone.
    assert counts.ceases_by_age_band[-1] == pytest.approx([6, 20, 15, 22, np.nan, 98], nan_ok=True)


def test_bad_values_in_the_new_layouts_name_file_row_and_column(tmp_path):
    src = EES / "cla_number_and_rate_per_10k_children_2021_2022_population_type_layout.csv"
    lines = src.read_text(encoding="utf-8-sig").splitlines()
    lines[5] = lines[5].rsplit(",", 2)[0] + ",four hundred,1"
    bad = tmp_path / "cla_number_and_rate_bad.csv"
    bad.write_text("\n".join(lines))
    with pytest.raises(pc.InputError, match=r"row 6, column 'children_count': 'four hundred'"):
        read_dfe(bad)
    national = EES / (
        "national_cla_on_31_march_by_placement_provider_placement_type_and_locality_2019_2022.csv"
    )
    lines = national.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(",1100,", ",lots,")  # within the block that is read
    bad = tmp_path / "national_placement_provider_bad.csv"
    bad.write_text("\n".join(lines))
    with pytest.raises(pc.InputError, match=r"row 3, column 'number': 'lots'"):
        read_dfe(bad)


def test_the_shipped_tables_are_dfes_files_as_read(current):
    """placecast ships DfE's tables for every council (source and licence beside them), the
    same frame as reading DfE's files; files given with them are a later release."""
    from placecast.data.published import BUNDLE, published_tables

    shipped = published_tables()
    columns = ["la_code", "year", "measure", "value", "suppressed", "source", "published"]
    pd.testing.assert_frame_equal(
        shipped[columns].reset_index(drop=True),
        current[columns].reset_index(drop=True),
        check_dtype=False,
    )
    assert (shipped["geographic_level"] == "la").groupby(shipped["la_code"]).any().sum() >= 150
    licence = (BUNDLE.parent / "README.md").read_text()
    assert "Open Government Licence v3.0" in licence and "Department for Education" in licence


def test_a_file_given_with_the_shipped_tables_is_a_later_release(tmp_path):
    from placecast.data.published import published_tables

    newer = EES / "cla_number_and_rate_per_10k_children_2021_2022_population_type_layout.csv"
    lines = newer.read_text(encoding="utf-8-sig").splitlines()
    rows = [
        line.replace("2022,", "2023,", 1).replace(",405,", ",407,")
        for line in lines
        if ",Hackney," in line and line.startswith("2022")
    ]
    release = _write(tmp_path / "cla_number_and_rate_2023.csv", lines[0], rows)
    tables = published_tables(release)
    h = council_series(tables, "Hackney")
    assert h.loc[2023, "children_in_care"] == 407  # the new year
    assert h.loc[2022, "children_in_care"] == 405  # the shipped years stay
    assert h.loc[2015, "children_in_care"] == 340


def test_scaled_series_keeps_shares_and_gaps(dfe):
    """England as an average council: counts divided and rounded, missing stays missing, the
    year-on-year growth and the mixes are England's up to the rounding; the fingerprint tells
    the two series apart."""
    england = published_counts(dfe, "E92000001")
    average = england.scaled(1 / 150, "England / 150")
    assert average.council == "England / 150" and average.la_code == england.la_code
    np.testing.assert_array_equal(
        average.children_in_care, np.round(england.children_in_care / 150)
    )
    np.testing.assert_array_equal(
        np.isnan(average.stock_by_group), np.isnan(england.stock_by_group)
    )
    growth = np.diff(np.log(england.children_in_care))
    np.testing.assert_allclose(np.diff(np.log(average.children_in_care)), growth, atol=0.003)
    assert average.fingerprint() != england.fingerprint()
    assert england.fingerprint() == published_counts(dfe, "E92000001").fingerprint()
    with pytest.raises(pc.InputError, match="factor must be > 0"):
        england.scaled(0.0)


@pytest.mark.parametrize("value", ["-405", "inf", "1e12", "405.7", "-0.5", "nan_x"])
@pytest.mark.parametrize("layout", ["wide", "tidy"])
def test_a_count_that_cannot_be_one_is_refused(tmp_path, layout, value):
    """Negative, fractional, infinite or absurd counts (the audit's -405, inf, 1e12, 405.7)
    are refused naming file, row and column, in both layouts."""
    if layout == "wide":
        name, column, src = "ADM2019.csv", "CLA_started2019", FOLDER / "ADM2019.csv"
    else:
        name = "cla_number_and_rate_bad.csv"
        column = "children_count"
        src = EES / "cla_number_and_rate_per_10k_children_2021_2022_population_type_layout.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.loc[4, column] = value
    frame.to_csv(tmp_path / name, index=False)
    with pytest.raises(pc.InputError, match=rf"{name}, row 6, column '{column}'"):
        read_dfe(tmp_path / name)


@pytest.mark.parametrize("layout", ["wide", "tidy"])
def test_a_duplicate_council_row_is_refused_not_merged(tmp_path, layout):
    """A repeated row would replace the first (wide) or be added to it (tidy): refused,
    naming both lines."""
    if layout == "wide":
        name, src = "ADM2019.csv", FOLDER / "ADM2019.csv"
    else:
        name = "la_cla_who_started_to_be_looked_after_dup.csv"
        src = EES / "la_cla_who_started_to_be_looked_after_2018_2022.csv"
    frame = pd.read_csv(src, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    first = 20 if layout == "wide" else int(np.flatnonzero(frame["characteristic"] == "Total")[5])
    row = frame.iloc[[first]]
    pd.concat([frame, row], ignore_index=True).to_csv(tmp_path / name, index=False)
    where = rf"{name}, row {len(frame) + 2}.*lines {first + 2} and"
    with pytest.raises(pc.InputError, match=where):
        read_dfe(tmp_path / name)


def test_inner_and_outer_london_do_not_replace_london(dfe):
    """The wide files repeat London's code for Inner and Outer London; they get ONS's own."""
    london = council_series(dfe, "E12000007")
    inner, outer = council_series(dfe, "E13000001"), council_series(dfe, "E13000002")
    both = inner.loc[2018, "children_in_care"] + outer.loc[2018, "children_in_care"]
    assert london.loc[2018, "children_in_care"] == pytest.approx(both, abs=10)  # rounded to 10s
    assert outer.loc[2018, "children_in_care"] < london.loc[2018, "children_in_care"]


def test_a_file_saved_as_windows_1252_reads_with_its_names_as_written(tmp_path):
    """Excel on Windows saves CSV as Windows-1252: names read as written (not U+FFFD), with
    a warning saying how the file was read."""
    text = (FOLDER / "ADM2019.csv").read_text(encoding="utf-8")
    assert ",Hackney," in text
    (tmp_path / "ADM2019.csv").write_bytes(
        text.replace(",Hackney,", ",Hackney é,").encode("cp1252")
    )
    with pytest.warns(UserWarning, match="not UTF-8 text; read as Windows-1252"):
        tables = read_dfe(tmp_path / "ADM2019.csv")
    assert "Hackney é" in set(tables["la_name"])


def test_rows_after_blank_lines_are_located_by_their_line(tmp_path):
    lines = (FOLDER / "ADM2019.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[5] = "twelve"  # CLA_started2015 of the 5th data row
    lines[5] = ",".join(cells)
    lines[2:2] = ["", ""]  # two blank lines before it: it is now line 8
    (tmp_path / "ADM2019.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(pc.InputError, match=r"ADM2019.csv, row 8, column 'CLA_started2015'"):
        read_dfe(tmp_path / "ADM2019.csv")


@pytest.mark.parametrize("renamed", ["CLA_March2019", "cla_mar2019", "CLA_Mar 2019", "CLA Mar2019"])
def test_a_renamed_measure_column_is_refused_not_dropped(tmp_path, renamed):
    text = (FOLDER / "CLA2019.csv").read_text(encoding="utf-8")
    (tmp_path / "CLA2019.csv").write_text(text.replace("CLA_Mar2019", renamed, 1))
    with pytest.raises(pc.InputError, match=rf"column '{renamed}': .*'CLA_Mar2019' renamed"):
        read_dfe(tmp_path / "CLA2019.csv")


@pytest.mark.parametrize(
    ("given", "suggested"),
    [("Leds", "'Leeds'"), ("hackny", "'Hackney'"), ("kingston", "'Kingston upon Thames'")],
)
def test_an_unknown_council_gets_a_suggestion(dfe, given, suggested):
    with pytest.raises(
        pc.InputError, match=f"no council called '{given}'; did you mean .*{suggested}"
    ):
        council_series(dfe, given)
