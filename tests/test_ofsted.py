"""Ofsted's local-authority fostering data: read as published, matched to councils, turned into
a carer supply; each figure checked against the raw files."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED
from placecast.data.ofsted import (
    build_ofsted_bundle,
    fostering_tables,
    published_carer_supply,
    read_ofsted_fostering,
)
from placecast.errors import InputError

FOLDER = SHARED / "data" / "ofsted_fostering"
FILE_2018 = FOLDER / "Fostering_in_England_2017-18_dataset.csv"
FILE_2019 = FOLDER / "Local_authority_level_fostering_data_2018_to_2019.csv"
needs_files = pytest.mark.skipif(not FILE_2019.is_file(), reason="../shared data not present")
# Hackney, Leeds, Kent, Rutland (2018-19) and Birmingham (2017-18: its 2018-19 column is empty).
COUNCILS = {
    "E09000012": ("Hackney", FILE_2019),
    "E08000035": ("Leeds", FILE_2019),
    "E10000016": ("Kent", FILE_2019),
    "E06000017": ("Rutland", FILE_2019),
    "E08000025": ("Birmingham", FILE_2018),
}


def _raw(path, area: str, label_start: str) -> float:
    """The cell of the first row whose label starts with ``label_start``, in ``area``'s column,
    read with the csv module alone."""
    with open(path, encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f))
    col, first_area = rows[0].index(area), rows[0].index("England")
    for row in rows:
        label = next((c for c in row[:first_area][::-1] if c.strip()), "")
        if label.strip().lower().startswith(label_start.lower()):
            return float(row[col].replace(",", ""))
    raise AssertionError(f"no row {label_start!r}")


@needs_files
@pytest.mark.parametrize("code", list(COUNCILS))
def test_carer_supply_of_five_councils_matches_the_raw_files(code):
    name, path = COUNCILS[code]
    got = published_carer_supply(code)
    assert got is not None and got.year == (2019 if path == FILE_2019 else 2018)
    households = _raw(path, name, "Total approved households")
    family = _raw(path, name, "Family and Friends")
    places = _raw(path, name, "Number of approved foster places")
    assert got.supply.households == households - family
    assert got.supply.places_per_household == pytest.approx(places / households, abs=1e-3)
    assert got.supply.unusable_place_share == pytest.approx(
        _raw(path, name, "Number of places not available") / places, abs=1e-4
    )
    if path == FILE_2019:  # all households approved in the year, less friends and family
        approved = _raw(path, name, "Total number of households approved in year") - _raw(
            path, name, "Of which, number of family and friends households approved"
        )
        leaving = _raw(path, name, "Total households deregistered") / households
    else:  # 2017-18: mainstream applications approved; deregistrations of mainstream ones
        approved = _raw(path, name, "Number of applications approved")
        leaving = _raw(path, name, "Total households de-registered") / (households - family)
    assert got.supply.approvals_per_year == approved
    assert got.supply.deregistration_rate_per_year == pytest.approx(leaving, abs=1e-4)
    assert name in got.source and "Ofsted" in got.source and "OGL v3" in got.source


def test_a_council_ofsted_has_no_figures_for_is_none():
    """The City of London's columns are suppressed, and councils made after 2019 (Dorset's
    unitary council, North Northamptonshire) have none: the caller falls back and says so."""
    for code in ("E09000001", "E06000059", "E06000061"):
        assert published_carer_supply(code) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [("E10000002", "E06000060"), ("E10000023", "E06000065"), ("E10000027", "E06000066")],
)
def test_a_county_become_unitary_finds_its_ofsted_figures_under_either_code(old, new):
    """Ofsted's rows carry the county's code; the DfE series is under the unitary council's
    (Buckinghamshire, North Yorkshire, Somerset): both find the same figures."""
    by_old, by_new = published_carer_supply(old), published_carer_supply(new)
    assert by_old is not None and by_new == by_old


def test_the_shipped_table_covers_every_council_and_both_years():
    rows = fostering_tables()
    assert set(rows["year"]) == {2018, 2019}
    assert rows.groupby("year")["la_code"].nunique().min() >= 150
    assert not rows.duplicated(["la_code", "year", "measure"]).any()


@needs_files
def test_the_shipped_table_is_a_rebuild_of_ofsteds_files(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the files are Windows-1252 (placecast says so)
        out = build_ofsted_bundle(FOLDER, tmp_path / "rebuilt.csv.gz")
    rebuilt = pd.read_csv(out, dtype={"la_code": str})
    pd.testing.assert_frame_equal(rebuilt, fostering_tables(), check_dtype=False)


@needs_files
def test_regions_and_england_are_skipped_and_named():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = read_ofsted_fostering(FILE_2019)
    assert {"England", "London", "Inner London", "London Tri-borough"} <= set(
        rows.attrs["skipped_areas"]
    )
    assert "England" not in set(rows["area"])


def _write_release(path, hackney_households: str = "140") -> None:
    """A later release in the 2018-19 layout: label columns, a reference-number row, areas."""
    lines = [
        ",,,England,,London,Hackney,Camden",
        "Topic,Sub-topic,Data,,,,SC1,SC2",
        "Fostering households,Number of households (at 31 March),Total approved households,"
        f"44000,,5000,{hackney_households},100",
        ",Primary placement offer (at 31 March),Family and Friends,7000,,800,35,20",
        "Places,Fostering places (at 31 March),Number of approved foster places,"
        '"88,000",,9000,220,150',
        ",Fostering Places,Number of places not available,15000,,1000,40,..",
        ",Newly approved households,Total number of households approved in year,8000,,900,30,10",
        ",Newly approved households,"
        '"Of which, number of family and friends households approved in year ~",3000,,300,12,4',
        ",Deregistrations,Total households deregistered between 1 April and 31 March,9000,,"
        "950,20,15",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_later_release_in_the_same_layout_reads_with_no_code_change(tmp_path):
    path = tmp_path / "Local_authority_level_fostering_data_2019_to_2020.csv"
    _write_release(path)
    rows = read_ofsted_fostering(path)
    assert set(rows["year"]) == {2020} and set(rows["area"]) == {"Hackney", "Camden"}
    camden = rows[(rows["area"] == "Camden") & (rows["measure"] == "unavailable_places")]
    assert np.isnan(camden["value"].item())  # '..' is suppressed, not zero
    rows["la_code"] = rows["area"].map({"Hackney": "E09000012", "Camden": "E09000007"})
    got = published_carer_supply("E09000012", rows)
    assert got.year == 2020 and got.supply.households == 105
    assert got.supply.approvals_per_year == 18 and got.supply.places_per_household == 1.571
    assert got.source.startswith("published 2019-20")


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("Fostering_2019_to_2020.csv", ("140", "lots"), r"row 3.*column 'Hackney'.*not a count"),
        ("Fostering_2019_to_2020.csv", ("140", "-5"), r"row 3.*'-5' is not a count"),
        ("Fostering.csv", None, "cannot tell which year"),
    ],
)
def test_bad_files_are_refused_naming_file_row_and_column(tmp_path, name, change, message):
    path = tmp_path / name
    _write_release(path, *(change[1:] if change else ()))
    with pytest.raises(InputError, match=message) as err:
        read_ofsted_fostering(path)
    assert name in str(err.value)


def test_a_file_of_another_layout_is_refused(tmp_path):
    path = tmp_path / "Fostering_2019_to_2020.csv"
    path.write_text("area,households\nHackney,135\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'England' column"):
        read_ofsted_fostering(path)
