"""The input files' content hashes, kept between runs (issue 17; docs/warehouse.md, `input_file_hashes`).

Every run names each input file version by its sha256 (input_files, retraction, the loaders'
"loaded before" test). Hashing the national folder again on every run read 2 GB of linked
Parquet files and 3,431 DUO files: most of a run that adds one school year. So a hash is kept
with what the file system says about the file when it was hashed, in memory for the process and
in the warehouse table `input_file_hashes` for the next run, and used again while the file
still has the same

    (size, mtime_ns, ctime_ns, inode, device)

The change time (ctime) is the file system's own: every write, rename into place, truncation,
link or `touch`/`os.utime` sets it to the current time, and no user call can set it back. A file
whose content changed, even with its size and modification time restored, has another ctime,
so it is hashed again. One gap remains and is closed by the "racy" rule (as git does for its
index): file times have the resolution of the kernel's clock tick, so a file changed twice
within one tick can keep its ctime. A hash is therefore kept only when the file's ctime was at
least `RACY_NS` older than the moment its stat was taken; a file changed in the last second is
hashed again each time it is asked for.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import duckdb
import polars as pl

RACY_NS = 1_000_000_000  # a hash of a file changed less than this before its stat is not kept
TABLE = "input_file_hashes"
_MAX_ENTRIES = 200_000

# absolute path (symbolic links not resolved: the stat is the target's) -> (stat key, sha256)
_CACHE: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}
_LOCK = threading.Lock()

_SCHEMA = {
    "path": pl.String,
    "size_bytes": pl.Int64,
    "mtime_ns": pl.Int64,
    "ctime_ns": pl.Int64,
    "inode": pl.UInt64,
    "device": pl.UInt64,
    "sha256": pl.String,
}
_DDL = f"""
create table if not exists {TABLE} (
    path varchar, size_bytes bigint, mtime_ns bigint, ctime_ns bigint, inode ubigint, device ubigint,
    sha256 varchar, hashed_at timestamp
)
"""


def stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    """What a kept hash is kept with: a file whose key is unchanged has the same content."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def sha256_of_file(path: Path) -> str:
    """The sha256 of the file's bytes, from the cache while its stat key is unchanged.
    OSError when the file cannot be read."""
    absolute = os.path.abspath(path)
    now = time.time_ns()  # before the stat: a change after it has a later ctime than this - RACY_NS
    st = os.stat(absolute)
    key = stat_key(st)
    hit = _CACHE.get(absolute)
    if hit is not None and hit[0] == key:
        return hit[1]
    sha = _sha256_uncached(absolute)
    if now - st.st_ctime_ns >= RACY_NS:
        with _LOCK:
            if len(_CACHE) >= _MAX_ENTRIES:
                _CACHE.clear()
            _CACHE[absolute] = (key, sha)
    return sha


def _sha256_uncached(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def forget() -> None:
    """Empty the process's cache (tests)."""
    with _LOCK:
        _CACHE.clear()


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute("select 1 from duckdb_tables() where table_name = ? and schema_name = 'main'", [TABLE]).fetchall()
    )


def load(con: duckdb.DuckDBPyConnection) -> int:
    """Take the hashes the warehouse kept into the process's cache (an entry this process made
    itself wins: it is at least as recent). Returns how many were taken."""
    if not _has_table(con):
        return 0
    rows = con.execute(f"select path, size_bytes, mtime_ns, ctime_ns, inode, device, sha256 from {TABLE}").fetchall()
    taken = 0
    with _LOCK:
        for path, size, mtime, ctime, inode, device, sha in rows:
            if path not in _CACHE:
                _CACHE[path] = ((size, mtime, ctime, inode, device), sha)
                taken += 1
    return taken


def load_from(warehouse: Path) -> None:
    """`load` from a warehouse file, read-only (the sensor); nothing when there is none yet or
    another process holds it."""
    if not Path(warehouse).exists():
        return
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return
    try:
        load(con)
    finally:
        con.close()


def _storable(path: str) -> bool:
    """A path DuckDB can store (valid UTF-8): a file name with other bytes (an old zip tool's
    Windows-1252 name) is hashed again each run instead."""
    try:
        path.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def save(con: duckdb.DuckDBPyConnection, input_dir: Path) -> None:
    """Write the process's hashes of the files under `input_dir` into the warehouse, in one
    statement: a path's row is replaced when its key or hash changed; rows of files under the
    folder that are gone are removed."""
    folder = os.path.join(os.path.abspath(input_dir), "")
    with _LOCK:
        entries = [
            (path, *key, sha) for path, (key, sha) in _CACHE.items() if path.startswith(folder) and _storable(path)
        ]
    frame = pl.DataFrame(entries, schema=_SCHEMA, orient="row")  # noqa: F841 (read by DuckDB)
    con.execute(_DDL)
    con.execute(
        f"""
        create or replace temp table _gv_hashes as
        select * from frame f
        where not exists (select 1 from {TABLE} t
                          where t.path = f.path and t.size_bytes = f.size_bytes and t.mtime_ns = f.mtime_ns
                            and t.ctime_ns = f.ctime_ns and t.inode = f.inode and t.device = f.device
                            and t.sha256 = f.sha256)
        """
    )
    con.execute(f"delete from {TABLE} where path in (select path from _gv_hashes)")
    con.execute(f"insert into {TABLE} select *, now()::timestamp from _gv_hashes")
    con.execute("drop table _gv_hashes")
    # Rows of files under the folder that are not there any more (removed or renamed).
    known = [p for (p,) in con.execute(f"select path from {TABLE} where starts_with(path, ?)", [folder]).fetchall()]
    gone = [p for p in known if not os.path.lexists(p)]
    if gone:
        con.execute(f"delete from {TABLE} where path in (select unnest(?::varchar[]))", [gone])
