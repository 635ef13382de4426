"""Run a per-council job over many councils on Dask, resumably.

A batch folder holds ``batch.json`` (the job, its settings and the base seed), one folder per
finished council under ``councils/`` (moved into place whole, so a council is either finished
or absent) and ``councils.csv`` (a row per council: done or failed, with the error). Running
the same job into the same folder again skips the finished councils and retries the failed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placecast._version import __version__
from placecast.batch.jobs import CouncilJob
from placecast.data.dfe import current_code
from placecast.data.regions import council_name, council_regions, councils_in
from placecast.errors import ConfigError, InputError, PlacecastError

__all__ = ["BATCH_FILE", "BatchResult", "council_seed", "resolve_councils", "run_batch"]

#: The batch's own record: job, settings, base seed (a resumed run must match it).
BATCH_FILE = "batch.json"
COUNCILS_TABLE = "councils.csv"


def council_seed(seed: int, la_code: str) -> int:
    """One council's seed, from the base seed and the council's code alone.

    So a council's results do not depend on which other councils run, in what order, or on
    how many workers.

    Examples
    --------
    >>> council_seed(1, "E09000012") == council_seed(1, "E09000012")
    True
    >>> council_seed(1, "E09000012") != council_seed(2, "E09000012")
    True
    """
    sequence = np.random.SeedSequence([int(seed), zlib.crc32(la_code.encode())])
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def resolve_councils(
    councils: Iterable[str] = (), regions: Iterable[str] = (), every: bool = False
) -> list[str]:
    """Council codes from names or codes, DfE regions, or every current council.

    A name shared by an old and a new code (Dorset, 2019) means the current council, the one
    with the latest published year; a council abolished since (Poole) is found by its name or
    code. ``every`` gives the councils published in the latest year, and a region those of its
    councils.
    """
    table = council_regions()
    names = list(councils)
    groups = list(regions)
    if every and (names or groups):
        raise ConfigError("give --all, or councils and regions, not both")
    latest = int(table["last_year"].max())
    if every:
        return table.loc[table["last_year"] == latest, "la_code"].tolist()
    if not names and not groups:
        raise ConfigError("no councils chosen: give council names or codes, a region, or --all")
    current = table.sort_values("last_year").drop_duplicates("la_name", keep="last")
    codes: list[str] = []
    for name in names:
        key = current_code(name).casefold()
        found = table.loc[table["la_code"].str.casefold() == key, "la_code"].tolist() or (
            current.loc[current["la_name"].str.casefold() == key, "la_code"].tolist()
        )
        if not found:
            close = [n for n in table["la_name"] if key[:4] in n.casefold()][:5]
            raise InputError(
                f"council {name!r} is not in DfE's tables; give a name as DfE writes it or an "
                f"ONS code (E06..., E08..., E09..., E10...)"
                + (f"; did you mean {', '.join(close)}?" if close else "")
            )
        codes += [c for c in found if c not in codes]
    # A region is its councils of today, as --all: not also their predecessors (Poole and
    # Bournemouth beside Bournemouth, Christchurch and Poole), which would count an area twice.
    in_groups = councils_in(groups, table[table["last_year"] == latest]) if groups else []
    return codes + [c for c in in_groups if c not in codes]


@dataclass(frozen=True)
class BatchResult:
    """A finished (or partly finished) batch.

    Attributes
    ----------
    folder
        The batch folder.
    councils
        One row per council: ``la_code``, ``council``, ``status`` ("done", "failed"),
        ``seconds``, ``error`` and the job's own columns.
    """

    folder: Path
    councils: pd.DataFrame

    @property
    def failed(self) -> pd.DataFrame:
        """The councils that failed, with their errors."""
        return self.councils[self.councils["status"] == "failed"]

    def council_folder(self, la_code: str) -> Path:
        """Where a finished council's files are."""
        return self.folder / "councils" / la_code


def _run_council(
    job: CouncilJob, code: str, shared: dict[str, Any], seed: int
) -> tuple[str, dict[str, bytes], dict[str, Any]]:
    """One council on a worker: its files (relative path -> bytes) and its row.

    A council's failure is its row's error, never the batch's.
    """
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="placecast-batch-") as tmp:
        out = Path(tmp) / code
        try:
            row = job.run(code, shared, seed, out)
        except PlacecastError as err:
            return code, {}, {"status": "failed", "error": str(err)}
        except Exception as err:  # one council's failure must not lose the others' results
            return code, {}, {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        files = {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }
    return code, files, {**row, "status": "done", "seconds": round(time.perf_counter() - t0, 1)}


def _store(folder: Path, code: str, files: dict[str, bytes]) -> None:
    """Put a council's files in place whole: written beside, then renamed."""
    partial = folder / "councils" / f".{code}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    for name, data in files.items():
        target = partial / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    partial.mkdir(parents=True, exist_ok=True)
    final = folder / "councils" / code
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)


def _start(folder: Path, job: CouncilJob, seed: int) -> None:
    """Write the batch's record, or refuse a folder started with another job or settings."""
    record = {"job": job.kind, "settings": job.settings(), "seed": int(seed)}
    path = folder / BATCH_FILE
    if path.is_file():
        before = json.loads(path.read_text())
        wanted = json.loads(json.dumps(record, default=str))
        differ = [k for k in wanted if before.get(k) != wanted[k]]
        if differ:
            raise InputError(
                f"{path}: this folder holds a batch started with other settings "
                f"({', '.join(differ)} differ: it was {before.get('job')} with seed "
                f"{before.get('seed')}); resume it with the same job, settings and seed, or "
                "give another --out folder"
            )
        return
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**record, "placecast": __version__}, indent=2, default=str))


def _client(stack: ExitStack, scheduler: str | None, workers: int | None) -> Any:
    """A Dask client: on the scheduler at ``scheduler``, else on a local cluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        return stack.enter_context(Client(scheduler))
    n = workers or os.cpu_count() or 1
    # One thread a worker: a fit's sampler and the engine use threads of their own.
    cluster = stack.enter_context(
        LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=None)
    )
    return stack.enter_context(Client(cluster))


def run_batch(
    job: CouncilJob,
    councils: Sequence[str],
    out: str | Path,
    *,
    seed: int = 1,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    progress: bool = False,
) -> BatchResult:
    """Run ``job`` for each council on Dask; finished councils are stored and skipped on rerun.

    Parameters
    ----------
    job
        A :class:`~placecast.batch.jobs.FitJob`, :class:`~placecast.batch.jobs.ForecastJob`,
        :class:`~placecast.batch.jobs.CompareJob` or :class:`~placecast.batch.jobs.BacktestJob`.
    councils
        Council codes (:func:`resolve_councils` turns names and regions into codes).
    out
        The batch folder.
    seed
        The base seed: each council's is :func:`council_seed` of it and the council's code
        (a backtest uses its own settings' seed for every council, as a one-process one does).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); default a local cluster.
    workers
        Workers of the local cluster (default: one per core).
    client
        An existing ``distributed.Client`` to use instead (a notebook's).
    progress
        A progress bar, and a line per council as it finishes, on standard error.

    Returns
    -------
    BatchResult

    Notes
    -----
    What every council needs (the published tables, England's priors) is made once and
    scattered to every worker once, not sent with each task. A council's files come back to
    this process and are written here, so workers need no shared disk.
    """
    from distributed import as_completed
    from tqdm.auto import tqdm

    folder = Path(out)
    codes = list(dict.fromkeys(councils))
    if not codes:
        raise ConfigError("run_batch: no councils to run")
    _start(folder, job, seed)
    table_path = folder / COUNCILS_TABLE
    before = pd.read_csv(table_path, dtype={"la_code": str}) if table_path.is_file() else None
    done = {c for c in codes if (folder / "councils" / c).is_dir()}
    todo = [c for c in codes if c not in done]
    rows: list[dict[str, Any]] = []
    if todo:
        own_seed = getattr(job, "uses_own_seed", True)
        with ExitStack() as stack:
            client = client or _client(stack, scheduler, workers)
            shared = job.shared(todo)
            # Unique keys: runs on one client (a notebook's) must not share or free each other's.
            [shared_future] = client.scatter([shared], broadcast=True, hash=False)
            run_id = uuid.uuid4().hex[:8]
            futures = [
                client.submit(
                    _run_council,
                    job,
                    code,
                    shared_future,
                    council_seed(seed, code) if own_seed else seed,
                    key=f"placecast-{job.kind}-{code}-{run_id}",
                    pure=False,
                )
                for code in todo
            ]
            bar = tqdm(total=len(todo), disable=not progress, file=sys.stderr, unit="council")
            for future in as_completed(futures):
                try:
                    code, files, row = future.result()
                except Exception as err:  # the worker died: the council is reported, not lost
                    code = todo[futures.index(future)]
                    files, row = {}, {"status": "failed", "error": f"{type(err).__name__}: {err}"}
                if row["status"] == "done":
                    _store(folder, code, files)
                rows.append({"la_code": code, **row})
                bar.update()
                if progress:
                    what = f"in {row['seconds']:.0f} s" if "seconds" in row else row["error"]
                    bar.write(
                        f"{code} {council_name(code)}: {row['status']} {what}", file=sys.stderr
                    )
            bar.close()
    table = _council_table(codes, done, rows, before)
    table.to_csv(table_path, index=False)
    return BatchResult(folder=folder, councils=table)


def _council_table(
    codes: list[str], done: set[str], rows: list[dict[str, Any]], before: pd.DataFrame | None
) -> pd.DataFrame:
    """This run's rows, with earlier runs' rows for councils not run again, in council order
    (a council finished earlier whose row was lost reads "done")."""
    new = pd.DataFrame(rows)
    frames = [new] if not new.empty else []
    if before is not None:
        frames.insert(0, before[~before["la_code"].isin(new.get("la_code", []))])
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"la_code": []})
    lost = sorted(done - set(table["la_code"]))
    table = pd.concat([table, pd.DataFrame({"la_code": lost, "status": "done"})], ignore_index=True)
    table["council"] = table["la_code"].map(council_name)  # DfE's name
    for column in ("status", "seconds", "error"):
        if column not in table:
            table[column] = np.nan
    order = {c: i for i, c in enumerate(codes)}
    table = table.sort_values("la_code", key=lambda s: s.map(order).fillna(len(order)))
    first = ["la_code", "council", "status", "seconds", "error"]
    return table[first + [c for c in table.columns if c not in first]].reset_index(drop=True)
