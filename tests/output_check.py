"""Compare two placecast output folders value by value (CSV tables and netCDF results).

Used by ``tests/test_outputs_unchanged.py`` against the committed golden summary, and as a script
to check that a restructure left the README's main jobs unchanged::

    placecast forecast --out before/fc   # on the old commit
    placecast forecast --out after/fc    # on the new one
    python tests/output_check.py before/fc after/fc

Exit status 0 when every CSV cell and every netCDF variable agrees (to ``rtol=1e-12``), 1 with a
list of the differences otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

RTOL = 1e-12


def summarise(folder: str | Path) -> dict[str, Any]:
    """A compact, comparable summary of an output folder.

    CSV tables: every numeric column's values and every text column's values. netCDF results:
    for each variable, its dims, shape, dtype, and (integers) a hash of the values or (floats)
    the sum, the sum of squares and the first and last values.
    """
    folder = Path(folder)
    out: dict[str, Any] = {"csv": {}, "netcdf": {}}
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path)
        out["csv"][path.name] = {
            str(c): (
                frame[c].astype(float).tolist()
                if pd.api.types.is_numeric_dtype(frame[c])
                else frame[c].astype(str).tolist()
            )
            for c in frame.columns
        }
    for path in sorted((folder / "results").glob("*.nc")):
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            ds = ds.load()
        variables = {}
        for name in sorted(map(str, ds.variables)):
            values = ds[name].values
            entry: dict[str, Any] = {"dims": list(ds[name].dims), "shape": list(values.shape)}
            if np.issubdtype(values.dtype, np.integer):
                entry["sha256"] = hashlib.sha256(values.astype(np.int64).tobytes()).hexdigest()
            elif np.issubdtype(values.dtype, np.floating):
                flat = values.astype(float).ravel()
                entry["float"] = [
                    float(flat.sum()),
                    float((flat**2).sum()),
                    float(flat[0]) if flat.size else 0.0,
                    float(flat[-1]) if flat.size else 0.0,
                ]
            else:
                entry["text"] = hashlib.sha256(str(values.tolist()).encode()).hexdigest()
            variables[name] = entry
        out["netcdf"][path.name] = variables
    return out


def differences(a: dict[str, Any], b: dict[str, Any], where: str = "") -> list[str]:
    """Where two summaries differ (numbers to within ``RTOL``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [f"{where}/{k}: only in one" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            found += differences(a[k], b[k], f"{where}/{k}")
        return found
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: length {len(a)} != {len(b)}"]
        if all(isinstance(x, (int, float)) for x in a + b):
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            ok = np.isclose(x, y, rtol=RTOL, atol=0.0, equal_nan=True)
            return [] if ok.all() else [f"{where}: {int((~ok).sum())} values differ"]
        return [] if a == b else [f"{where}: values differ"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python tests/output_check.py FOLDER_A FOLDER_B|SUMMARY.json", file=sys.stderr)
        return 2
    first = summarise(argv[0])
    other = Path(argv[1])
    second = json.loads(other.read_text()) if other.suffix == ".json" else summarise(other)
    found = differences(first, second)
    for line in found:
        print(line)
    counted = sum(len(v) for v in first["csv"].values()) + sum(
        len(v) for v in first["netcdf"].values()
    )
    print(f"{counted} columns and variables compared, {len(found)} differences")
    return 0 if not found else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
