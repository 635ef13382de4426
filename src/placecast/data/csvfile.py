"""CSV files as councils and DfE save them, read as text with each row's line in the file.

Both readers (SSDA903 and DfE) report problems by file, line and column, so the line must be the
one a person sees in an editor: blank lines and line breaks inside quoted cells count, and a
file saved from Excel in Windows-1252 rather than UTF-8 reads with its accents intact.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.errors import InputError

__all__ = ["read_text_csv"]

#: Tried in order: UTF-8 (with or without a byte-order mark), then Excel's default on Windows.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def read_text_csv(path: str | Path) -> pd.DataFrame:
    """Every cell as text (empty cells as ``""``), header names stripped.

    The index is each row's line in the file minus 2, so ``index + 2`` is the line a person
    sees (the header is line 1), counting blank lines, which are skipped, and line breaks
    inside quoted cells. A file that is not UTF-8 is read as Windows-1252, with a warning.

    Raises
    ------
    InputError
        The file is missing, a folder, empty, or not CSV.
    """
    path = Path(path)
    frame = None
    for encoding in _ENCODINGS:
        try:
            frame = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                encoding=encoding,
            )
            break
        except UnicodeDecodeError:
            continue
        except FileNotFoundError:
            raise InputError("file not found", file=str(path)) from None
        except IsADirectoryError:
            raise InputError("is a folder, not a CSV file", file=str(path)) from None
        except pd.errors.EmptyDataError:
            raise InputError("the file is empty: no header row", file=str(path)) from None
        except pd.errors.ParserError as err:
            raise InputError(f"not a readable CSV file: {err}", file=str(path)) from None
    assert frame is not None  # latin-1 decodes any bytes
    if encoding != _ENCODINGS[0]:
        warnings.warn(
            f"{path}: not UTF-8 text; read as Windows-1252 (Excel's default). Save it as "
            "'CSV UTF-8' to be sure names such as council names read as written.",
            stacklevel=2,
        )
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    # Line breaks inside quoted cells push every later row down by as many lines.
    breaks = np.zeros(len(frame), dtype=int)
    for column in frame.columns:
        breaks += frame[column].str.count("\n").to_numpy(dtype=int)
    frame.index = pd.Index(np.arange(len(frame)) + np.cumsum(breaks) - breaks)
    blank = (frame == "").all(axis=1) if len(frame.columns) else pd.Series(False, frame.index)
    return frame.loc[~blank]
