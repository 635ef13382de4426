"""Saving a fitted model to one netCDF file and loading it back.

As in pymc-marketing's model builder, the posterior is written as ArviZ InferenceData and what is
needed to rebuild the model - its kind, settings, priors, the data summary it was fitted to,
the seed and the placecast version - goes in ``idata.attrs`` as JSON. Loading refuses a file
made by another kind of model or by another version of the file layout, naming both.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import arviz as az
import xarray as xr

from placecast._version import __version__
from placecast.errors import InputError

__all__ = ["FIT_FORMAT", "read_fit", "write_fit"]

#: Version of the saved-fit layout; a file with another is refused.
FIT_FORMAT = 1


def write_fit(
    idata: az.InferenceData,
    path: str | Path,
    *,
    kind: str,
    config: dict[str, Any],
    groups: dict[str, xr.Dataset] | None = None,
) -> Path:
    """Write ``idata`` with ``config`` (plain values) and extra ``groups`` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = idata.copy()
    out.attrs = {
        **dict(out.attrs),
        "placecast_model": kind,
        "placecast_fit_format": FIT_FORMAT,
        "placecast_version": __version__,
        "placecast_config": json.dumps(config),
    }
    if groups:
        for name in set(groups) & set(out.groups()):
            del out[name]  # a loaded fit holds them already: the model's own replace them
        with warnings.catch_warnings():  # ArviZ notes groups outside its schema
            warnings.simplefilter("ignore", UserWarning)
            out.add_groups(groups)
    # Written beside it, then renamed: a reader never meets half a file (a backtest saves its
    # fits while another process may be reading the folder).
    partial = path.with_name(path.name + ".partial")
    out.to_netcdf(str(partial))
    os.replace(partial, path)
    return path


def read_fit(path: str | Path, kind: str) -> tuple[az.InferenceData, dict[str, Any]]:
    """The posterior and config of a fit of ``kind`` written by :func:`write_fit`.

    Raises
    ------
    InputError
        The file is missing, not a saved placecast fit, of another model or of another layout.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("no saved fit here (expected a .nc file written by save)", file=str(path))
    try:
        # Eager: each group is read and its file closed, so the fit can be saved over.
        with az.rc_context({"data.load": "eager"}):
            idata = az.from_netcdf(str(path))
    except (OSError, ValueError) as err:
        raise InputError(f"not a readable netCDF file: {err}", file=str(path)) from None
    attrs = dict(idata.attrs)
    made_by = attrs.get("placecast_model")
    if made_by is None:
        raise InputError("not a saved placecast fit (no placecast_model attribute)", file=str(path))
    if made_by != kind:
        raise InputError(
            f"this file holds a {made_by} fit; load it with {made_by}.load, not {kind}.load",
            file=str(path),
        )
    layout = attrs.get("placecast_fit_format")
    if layout is None or int(layout) != FIT_FORMAT:
        raise InputError(
            f"saved-fit layout {None if layout is None else int(layout)} (placecast "
            f"{attrs.get('placecast_version')}) is not this version's ({FIT_FORMAT}); refit "
            "with this version",
            file=str(path),
        )
    return idata, json.loads(attrs["placecast_config"])
