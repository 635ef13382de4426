"""Store a benchmark run in ``benchmarks/runs/<name>/`` with the settings that made it."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
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


def pin_source(argv: Sequence[str]) -> str | None:
    """With ``--source COMMIT`` in ``argv``: put that commit's ``src`` first on ``sys.path`` and
    return the commit (short hash); otherwise ``None``. Call it before placecast is imported.

    The source is extracted once into ``benchmarks/.sources/<commit>/`` (atomically, as a
    spawned worker runs this again); workers started with ``spawn`` get the parent's
    ``sys.path`` and so import the same package. A run that takes several sessions is then
    made by one version of the code while the working tree changes.
    """
    if "--source" not in argv:
        return None
    at = list(argv).index("--source") + 1
    if at >= len(argv):
        raise SystemExit("--source needs a commit (e.g. --source 4cb4bf0)")
    found = subprocess.run(
        ["git", "rev-parse", "--short=7", f"{argv[at]}^{{commit}}"],
        cwd=RUNS.parent.parent,
        capture_output=True,
        text=True,
    )
    if found.returncode:
        raise SystemExit(f"--source {argv[at]}: not a commit of this repository")
    commit = found.stdout.strip()
    folder = RUNS.parent / ".sources" / commit
    if not (folder / "src").is_dir():
        folder.parent.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent, ignore_cleanup_errors=True) as tmp:
            source_at(commit, Path(tmp))
            try:
                Path(tmp).rename(folder)  # the whole tree or nothing
            except OSError:  # another process extracted it first
                pass
    src = str(folder / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    return commit


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


def parse_variant(text: str) -> tuple[str, dict[str, object]]:
    """``name:setting=value,...`` -> (``name``, settings), values as :func:`parse_settings`."""
    name, _, body = text.partition(":")
    return name, parse_settings(body.split(","))
