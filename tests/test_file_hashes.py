"""The input files' hashes are kept between runs (ingest/hashes.py, docs/warehouse.md
`input_file_hashes`): an unchanged file is not read again, and a changed one always is, even
when its size and modification time are put back (its change time cannot be)."""

from __future__ import annotations

import os
import time

import duckdb
import pytest

import fixtures as F
from grensverkeer.ingest import hashes
from grensverkeer.ingest.text import sha256_of


@pytest.fixture(autouse=True)
def _fresh_cache():
    hashes.forget()  # as a new process
    yield
    hashes.forget()


def _same_size_same_mtime(path, old: bytes, new: bytes) -> None:
    """Replace `old` by `new` (as long) in the file, in place, and put its modification time back."""
    assert len(old) == len(new)
    st = path.stat()
    data = path.read_bytes()
    assert old in data
    with open(path, "r+b") as fh:  # the same inode
        fh.write(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)


def _no_reading(monkeypatch) -> list[str]:
    read: list[str] = []
    real = hashes._sha256_uncached
    monkeypatch.setattr(hashes, "_sha256_uncached", lambda p: read.append(p) or real(p))
    return read


def test_a_file_changed_with_its_size_and_mtime_kept_is_hashed_again(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x;y\n1;2\n")
    time.sleep(hashes.RACY_NS / 1e9 + 0.1)  # older than the racy margin: its hash is kept
    read = _no_reading(monkeypatch)
    first = sha256_of(path)
    assert sha256_of(path) == first and len(read) == 1  # kept for the process
    _same_size_same_mtime(path, b"1;2", b"3;4")
    assert sha256_of(path) == F.sha256(path) != first
    assert len(read) == 2


def test_a_file_changed_within_the_racy_margin_is_not_kept(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x;y\n1;2\n")
    read = _no_reading(monkeypatch)
    sha256_of(path)
    sha256_of(path)
    assert len(read) == 2  # changed less than RACY_NS ago: not trusted yet
    _same_size_same_mtime(path, b"1;2", b"3;4")
    assert sha256_of(path) == F.sha256(path)


def test_hashes_are_kept_in_the_warehouse_between_processes(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    a, b, c = folder / "a.csv", folder / "sub" / "b.csv", folder / "c.csv"
    for p in (a, b, c):
        p.write_bytes(f"x;y\n{p.name};2\n".encode())
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"x\n1\n")
    time.sleep(hashes.RACY_NS / 1e9 + 0.1)
    for p in (a, b, c, outside):
        sha256_of(p)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    hashes.save(con, folder)
    rows = dict(con.execute("select path, sha256 from input_file_hashes").fetchall())
    assert rows == {str(p): F.sha256(p) for p in (a, b, c)}  # only the folder's files
    c.unlink()
    _same_size_same_mtime(b, b"b.csv", b"B.CSV")
    hashes.forget()  # the next process
    assert hashes.load(con) == 3
    read = _no_reading(monkeypatch)
    assert sha256_of(a) == F.sha256(a) and read == []  # unchanged: not read
    assert sha256_of(b) == F.sha256(b) and read == [str(b)]  # changed: read
    hashes.save(con, folder)
    rows = dict(con.execute("select path, sha256 from input_file_hashes").fetchall())
    assert set(rows) == {str(a), str(b)}  # the removed file's row is gone
    # b changed less than RACY_NS ago: its new hash is not kept, the old row's key no longer fits
    hashes.forget()
    hashes.load(con)
    assert sha256_of(b) == F.sha256(b) and read == [str(b)] * 2
    con.close()


@pytest.mark.slow
def test_a_run_sees_a_file_changed_with_its_size_and_mtime_kept(tmp_path):
    folder, wh, out = tmp_path / "in", tmp_path / "wh.duckdb", tmp_path / "out"
    files = F.write_baseline(folder)
    time.sleep(hashes.RACY_NS / 1e9 + 0.1)
    first = F.run(folder, wh, out, region=F.BASE_REGION)
    assert first.outcome.success, first.outcome.failures
    kept = dict(first.query("select path, sha256 from input_file_hashes"))
    assert kept[str(files["delft"])] == F.sha256(files["delft"])
    cells = "select cell_label, value_text from raw_cells where file_name = '2024/Delft.csv' and line = 2 order by 1"
    assert dict(first.query(cells))["LEEFTIJD_4"] == "10"
    # the first row's pupils of 4 and 5 (10, 12) become 12 and 10: the same bytes, in another order
    _same_size_same_mtime(files["delft"], b'"10";"12"', b'"12";"10"')
    hashes.forget()  # the next run is a new process: only the warehouse's hashes
    second = F.run(folder, wh, out, region=F.BASE_REGION)
    assert second.outcome.success, second.outcome.failures
    shas = dict(second.query("select file_name, sha256 from input_files where status = 'loaded'"))
    assert shas["2024/Delft.csv"] == F.sha256(files["delft"])
    assert dict(second.query(cells))["LEEFTIJD_4"] == "12"
