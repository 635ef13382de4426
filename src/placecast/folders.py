"""Output folders written whole or not at all: staging, one writer at a time, a manifest last.

A run's files are written to a staging folder inside the output folder, then moved into place
one rename each; the previous run's files (listed in its manifest) are removed, so nothing
stale survives a rerun with fewer outputs; and the manifest, written last, lists every file
with its SHA-256 and the run's settings. A folder without a manifest, or with a writer's lock
left by a process that no longer runs, is incomplete: :func:`check_complete` says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from placecast._version import __version__
from placecast.errors import InputError

__all__ = ["LOCK", "MANIFEST", "check_complete", "check_finished", "file_digests", "written_folder"]

#: The manifest of a complete run: settings, package version and every file's SHA-256.
MANIFEST = "placecast-manifest.json"
#: Present while a run writes the folder; holds the writer's process id.
LOCK = ".placecast-writing"
_STAGING = ".placecast-staging-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _lock(out: Path) -> None:
    path = out / LOCK
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        text = path.read_text().strip()
        pid = int(text) if text.isdigit() else -1
        if pid > 0 and pid != os.getpid() and _alive(pid):
            raise InputError(
                f"another placecast run (process {pid}) is writing to this folder; wait for it "
                "to finish or give another output folder",
                file=str(out),
            ) from None
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)  # a killed run's lock: take it over
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))


def _digests(root: Path, item: Path) -> dict[str, str]:
    files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
    return {p.relative_to(root).as_posix(): _sha256(p) for p in files}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_digests(paths: Iterable[str | Path]) -> dict[str, str]:
    """SHA-256 of each input file (every file under a folder), for a run's manifest: which
    inputs made the outputs."""
    out: dict[str, str] = {}
    for given in map(Path, paths):
        files = sorted(p for p in given.rglob("*") if p.is_file()) if given.is_dir() else [given]
        out.update({str(f): _sha256(f) for f in files})
    return out


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def written_folder(out: str | Path, about: Mapping[str, Any]) -> Iterator[Path]:
    """Write a run's outputs to ``out`` whole or not at all.

    Yields a staging folder to write into. When the block ends without an error the staged
    files replace the previous run's (whose files not written again are removed) and
    :data:`MANIFEST` is written last with ``about`` (the run's settings), the package version
    and every file's SHA-256. On an error the staging folder is removed and the previous run's
    files are left as they were.

    Raises
    ------
    InputError
        Another live process is writing to ``out``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _lock(out)
    for left in out.glob(_STAGING + "*"):  # a killed run's: this run holds the folder now
        shutil.rmtree(left, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=out))
    try:
        yield staging
        manifest = out / MANIFEST
        old: list[str] = []
        if manifest.exists():
            try:
                old = list(json.loads(manifest.read_text()).get("outputs", []))
            except (ValueError, AttributeError):
                old = []
            manifest.unlink()  # from here until the new one is written the folder is incomplete
        new = sorted(p.name for p in staging.iterdir())
        for name in set(old) - set(new):
            _remove(out / Path(name).name)  # a name, never a path out of the folder
        files: dict[str, str] = {}
        for name in new:
            _remove(out / name)
            os.replace(staging / name, out / name)
            files.update(_digests(out, out / name))
        record = {
            "complete": True,
            "placecast_version": __version__,
            "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "about": dict(about),
            "outputs": new,
            "files": files,
        }
        part = out / (MANIFEST + ".part")
        part.write_text(json.dumps(record, indent=2, default=str))
        os.replace(part, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        (out / LOCK).unlink(missing_ok=True)


def _lists(run: Path, name: str) -> bool:
    """Whether ``run`` has a manifest listing the output ``name``."""
    try:
        return name in json.loads((run / MANIFEST).read_text()).get("outputs", [])
    except (OSError, ValueError, AttributeError):
        return False


def check_finished(folder: str | Path) -> None:
    """Refuse ``folder`` if a placecast run writing it, or the run folder it is in, did not
    finish (its lock or staging folder is left) or is still writing. Unlike
    :func:`check_complete` it does not compare files with the manifest, so files a person is
    meant to edit (an inputs folder's ``inputs.json``) may be edited.

    Raises
    ------
    InputError
        Naming the folder and what to do.
    """
    folder = Path(folder)
    for place in {folder, folder.parent}:
        lock = place / LOCK
        staging = list(place.glob(_STAGING + "*")) if place.is_dir() else []
        if lock.exists() or staging:
            text = lock.read_text().strip() if lock.exists() else ""
            if text.isdigit() and _alive(int(text)) and int(text) != os.getpid():
                why = f"a placecast run (process {text}) is still writing it"
            else:
                why = "the placecast run writing it did not finish"
            raise InputError(
                f"this folder is incomplete: {why}. Run the command again (into a fresh "
                "output folder if you like) and use that",
                file=str(place),
            )


def check_complete(folder: str | Path) -> None:
    """Refuse ``folder`` (or the run folder it is in) if a run writing it did not finish, or
    its files no longer match the manifest (changed, or mixed with another run's).

    A folder that has no manifest and no sign of a placecast run writing it (files saved from
    Python with :func:`~placecast.results.save_comparison`) is taken as it is.

    Raises
    ------
    InputError
        Naming the folder and what to do.
    """
    folder = Path(folder)
    # A run folder's own output (e.g. results/) is judged by the run's manifest.
    inside = not (folder / MANIFEST).exists() and _lists(folder.parent, folder.name)
    run = folder.parent if inside else folder
    check_finished(folder)
    manifest = run / MANIFEST
    if not manifest.exists():
        return
    record = json.loads(manifest.read_text())
    prefix = "" if run == folder else folder.name + "/"
    listed = {k: v for k, v in record.get("files", {}).items() if k.startswith(prefix)}
    present = {p.relative_to(run).as_posix() for p in folder.rglob("*") if p.is_file()} - {MANIFEST}
    for name in sorted(present | set(listed)):
        if name not in present:
            state = "missing"
        elif name not in listed:
            state = "not the run's"
        elif _sha256(run / name) != listed[name]:
            state = "changed since the run"
        else:
            continue
        raise InputError(
            f"{name} is {state} (see {MANIFEST}): the folder mixes runs or was edited. Run "
            "the forecast again into a fresh output folder",
            file=str(run),
        )
