"""data/README.md states the provenance of every file in data/, with its sha256: recomputed here,
so a file changed without its README entry (or an entry left stale) fails. The maintainer script
data/reference/build_reference.py checks the same after a rebuild; this runs with every test run."""

from __future__ import annotations

import hashlib
import re

import fixtures as F

DATA = F.REPO / "data"
README = DATA / "README.md"
# what is not a bundled file (git-ignored: the warehouse and its companions, bytecode)
NOT_BUNDLED = re.compile(r"warehouse\.duckdb.*|.*\.duckdb\.wal|.*\.duckdb\.dagster|.*\.pyc")
# a quoted sha256 that is not of a file in data/ says whose it is: the original it was made from
OF_AN_ORIGINAL = re.compile(r"sha256 of (the )?(original|extracted file)\s*`?$")


def _bundled() -> dict[str, str]:
    """sha256 -> path (relative to data/) of every file in data/ but the README."""
    return {
        hashlib.sha256(p.read_bytes()).hexdigest(): str(p.relative_to(DATA))
        for p in sorted(DATA.rglob("*"))
        if p.is_file() and p != README and "__pycache__" not in p.parts and not NOT_BUNDLED.fullmatch(p.name)
    }


def test_every_file_in_data_is_in_the_readme_with_its_sha256():
    text = README.read_text(encoding="utf-8")
    files = _bundled()
    assert len(files) > 30
    missing = sorted(path for sha, path in files.items() if sha not in text)
    assert missing == [], f"data/README.md does not quote the current sha256 of {missing}"
    unnamed = sorted(path for path in files.values() if path.rsplit("/", 1)[-1] not in text)
    assert unnamed == []


def test_every_sha256_in_the_readme_is_of_a_file_in_data_or_of_an_original():
    text = README.read_text(encoding="utf-8")
    files = _bundled()
    stale = [
        (m.group(), " ".join(text[max(0, m.start() - 120) : m.start()].split()[-8:]))
        for m in re.finditer(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", text)
        if m.group() not in files and not OF_AN_ORIGINAL.search(" ".join(text[: m.start()].split()[-6:]))
    ]
    assert stale == [], "stale sha256 in data/README.md (sha256, the words before it)"
