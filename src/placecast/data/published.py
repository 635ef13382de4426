"""DfE's published tables for every council, shipped with placecast.

``published_tables()`` gives the "Children looked after in England" local-authority tables
2015-2022 (children in care at 31 March by age and placement, starts, ceases, providers) for
every council, region and England, as :func:`placecast.data.dfe.read_dfe` reads them from DfE's
files - so ``placecast fit-published --council Leeds`` needs no download. Files given with it
(a newer release, or corrections) are combined by the same rule: the latest release wins.

Source: Department for Education, "Children looked after in England including adoptions"
(underlying data 2015-2019, and the explore-education-statistics files 2018-2022 as councils
download them). Crown copyright; Open Government Licence v3.0
(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). Rebuild with
``python -m placecast.data.published ../shared/data/dfe_cla_la_2015_2019
../shared/data/dfe_cla_ees_2018_2022``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from placecast.data.dfe import combine_releases, read_dfe, read_dfe_table

__all__ = ["BUNDLE", "build_bundle", "bundled_rows", "published_tables"]

#: The shipped tables (gzip CSV, one row per council, year and measure).
BUNDLE = Path(__file__).parent / "tables" / "dfe_cla_la_2015_2022.csv.gz"
_TYPES = {
    "la_code": str,
    "la_name": str,
    "geographic_level": str,
    "year": int,
    "measure": str,
    "value": float,
    "suppressed": bool,
    "source": str,
    "published": int,
    "headline": bool,
}


def bundled_rows() -> pd.DataFrame:
    """The shipped rows, with the columns that decide which release wins."""
    return pd.read_csv(BUNDLE, dtype=_TYPES, keep_default_na=False, na_values={"value": [""]})


def published_tables(paths: str | Path | Sequence[str | Path] | None = None) -> pd.DataFrame:
    """The shipped DfE tables, combined with any DfE files or folders in ``paths`` (a file of
    a later release replaces the years it holds). Same frame as :func:`read_dfe`."""
    return read_dfe(paths, rows=bundled_rows())


def build_bundle(folders: Sequence[str | Path], out: str | Path = BUNDLE) -> Path:
    """Read DfE's files in ``folders`` and write the shipped tables to ``out``."""
    files = [f for d in folders for f in sorted(Path(d).glob("*.csv"))]
    rows = combine_releases([read_dfe_table(f) for f in files], keep_order=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows[list(_TYPES)].to_csv(out, index=False, compression={"method": "gzip", "mtime": 0})
    return out


if __name__ == "__main__":
    written = build_bundle(sys.argv[1:])
    print(f"wrote {written} ({written.stat().st_size:,} bytes)")
