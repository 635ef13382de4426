"""Store a benchmark run in ``benchmarks/runs/<name>/`` with the settings that made it."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any

import pandas as pd

RUNS = Path(__file__).parent / "runs"


def write_run(name: str, rows: pd.DataFrame, record: dict[str, Any]) -> Path:
    """``rows.csv`` and ``settings.json`` (``record`` plus the command line, the commit and the
    date) in the run's folder; returns the folder."""
    folder = RUNS / name
    folder.mkdir(parents=True, exist_ok=True)
    rows.to_csv(folder / "rows.csv", index=False)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=RUNS.parent
    ).stdout.strip()
    full = {
        "name": name,
        "command": f"python benchmarks/{Path(sys.argv[0]).name} " + " ".join(sys.argv[1:]),
        **record,
        "commit": commit,
        "recorded": time.strftime("%Y-%m-%d"),
    }
    (folder / "settings.json").write_text(json.dumps(full, indent=2))
    return folder


def source_at(commit: str, folder: Path) -> Path:
    """``commit``'s ``src`` folder, extracted from git into ``folder`` (to import an earlier
    commit's package beside the working tree's); returns its path."""
    archive = subprocess.run(
        ["git", "archive", commit, "src"], cwd=RUNS.parent.parent, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def parse_settings(items: Iterable[str]) -> dict[str, object]:
    """``setting=value`` texts -> settings; values are whole numbers, numbers or words."""
    changes: dict[str, object] = {}
    for item in filter(None, items):
        key, _, value = item.partition("=")
        for kind in (int, float, str.strip):
            try:
                changes[key.strip()] = kind(value)
                break
            except ValueError:
                continue
    return changes
