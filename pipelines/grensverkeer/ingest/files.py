"""What is in the input folder: file names as stored, symbolic links, files that cannot be read.

Every loader and the summary name a file by `input_name`, so the same file has the same
name in input_files, rejected_files, raw tables and messages:

* the path relative to the input folder;
* a name that is not valid UTF-8 (an old zip tool writes `Fr\\xfdsl\\xe2n.csv` in
  Windows-1252) is stored with the bad bytes escaped as `\\xNN` (DuckDB only stores
  UTF-8), and `readable_name` shows it as the supplier probably meant it ("Frýslân");
* a symbolic link is followed when its target exists; a link whose target is missing is
  listed too, so that it is refused by name (`broken_link`) instead of skipped.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


def input_name(path: Path, input_dir: Path) -> str:
    """The file's name as stored: relative to the input folder, invalid UTF-8 escaped."""
    rel = str(path.relative_to(input_dir)) if path.is_relative_to(input_dir) else path.name
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", errors="backslashreplace")


_ESCAPE = re.compile(r"\\x([0-9a-f]{2})")


def is_escaped(name: str) -> bool:
    return bool(_ESCAPE.search(name))


def readable_name(name: str) -> str:
    """`Fr\\xfdsl\\xe2n.csv` -> `Frýslân.csv`: escaped bytes read as Windows-1252."""
    if not is_escaped(name):
        return name
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]).decode("cp1252", errors="replace"), name)


def shown_name(name: str) -> str:
    """A stored name for a message: with the readable form when the name had to be escaped."""
    if not is_escaped(name):
        return name
    return f'{name} ("{readable_name(name)}"; the file name is not valid UTF-8: rename the file to keep it readable)'


def listed(path: Path) -> bool:
    """A file to read: a regular file, a link to one, or a link whose target is missing."""
    return path.is_file() or (path.is_symlink() and not path.exists())


def files_under(folder: Path) -> list[Path]:
    """Every listed file under `folder` (`listed`), in no particular order: what
    `[p for p in folder.rglob("*") if listed(p)]` gives (links to folders are not followed), from
    the directory entries' types instead of a stat per file and folder (the national input
    folder: 3,775 files each in a folder of its own, listed several times a run)."""
    found: list[Path] = []
    stack = [str(folder)]
    while stack:
        try:
            entries = os.scandir(stack.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path)):
                        found.append(Path(entry.path))
                except OSError:
                    continue
    return found


def broken_link(path: Path) -> str | None:
    """Why a listed path cannot be opened as a link, or None."""
    if path.is_symlink() and not path.exists():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        return (
            f"the file is a symbolic link to {os.fsdecode(target)!s}, which does not exist: "
            "copy the file itself into the input folder, or remove the link"
        )
    return None


def size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return path.lstat().st_size


def link_sha256(path: Path) -> str:
    """A stand-in content hash for a link that points nowhere (its target path)."""
    return hashlib.sha256(b"broken symbolic link:" + os.fsencode(os.readlink(path))).hexdigest()
