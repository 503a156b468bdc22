"""The warehouse reflects the folder: file versions that are no longer in it stop counting.

At the start of every run, before anything is loaded, `retract_missing` compares the loaded
file versions in input_files (name + sha256) with the input folder:

* a version whose name is gone, or whose name now holds other content (DUO republishes a
  corrected file, under the same or another name), is marked `retracted` with the time
  (`retracted_at`): the audit trail keeps every version and when it stopped counting;
* its rows leave every raw table (raw_rows, raw_cells, raw_location_totals, raw_linked_*),
  for all school years;
* the school years those rows belonged to are returned: the run recomputes each of them
  that still has files, and `purge_years` removes the years that have none left from every
  table with a school_year column and from OUT/exports/<year>/ (the site is rebuilt from
  the warehouse after the run).

Set-based: one anti-join of input_files with the folder's (name, sha256) list.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .files import input_name
from .linked import list_linked_files
from .load import list_input_files, school_year_of
from .text import sha256_of

RAW_TABLES = (
    "raw_rows",
    "raw_cells",
    "raw_location_totals",
    "raw_linked_schools",
    "raw_linked_enrolments",
    "raw_linked_support",
)
# Not tied to one school year: their school_year-less rows are rebuilt from the raw tables.
KEEP_TABLES = ("input_files", "rejected_files")


@dataclass
class Retraction:
    files: list[str] = field(default_factory=list)  # names of versions that stopped counting
    school_years: list[str] = field(default_factory=list)  # years their rows belonged to


def folder_versions(input_dir: Path) -> list[tuple[str, str]]:
    """(stored name, sha256) of every file the loaders read in the folder."""
    return [
        (input_name(p, input_dir), sha256_of(p)) for p in list_input_files(input_dir) + list_linked_files(input_dir)
    ]


def retract_missing(con: duckdb.DuckDBPyConnection, input_dir: Path) -> Retraction:
    """Mark loaded versions that are not in the folder as retracted and remove their rows."""
    result = Retraction()
    if not con.execute("select 1 from duckdb_tables() where table_name = 'input_files'").fetchall():
        return result  # a new warehouse: nothing loaded before
    con.execute("alter table input_files add column if not exists retracted_at timestamp")
    present = folder_versions(input_dir)
    con.execute("create or replace temp table gv_present (file_name varchar, sha256 varchar)")
    if present:
        con.executemany("insert into gv_present values (?, ?)", present)
    gone = con.execute(
        """
        select f.file_name, f.count_years
        from input_files f
        where f.status = 'loaded'
          and not exists (select 1 from gv_present p where p.file_name = f.file_name and p.sha256 = f.sha256)
        order by f.file_name
        """
    ).fetchall()
    if not gone:
        return result
    names = sorted({name for name, _ in gone})
    years = sorted({y for _, ys in gone for y in (ys or [])})
    con.execute(
        """
        update input_files set status = 'retracted', retracted_at = now(),
            message = 'no longer in the input folder (removed, or replaced by another version): not counted'
        where status = 'loaded'
          and not exists (select 1 from gv_present p where p.file_name = input_files.file_name
                                                        and p.sha256 = input_files.sha256)
        """
    )
    # Rows are kept per file name; the name's current version (if any) is read again.
    existing = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    stored_years: set[str] = set()
    for table in RAW_TABLES:
        if table not in existing:
            continue
        has_year = con.execute(
            "select count(*) from duckdb_columns() where table_name = ? and column_name = 'school_year'", [table]
        ).fetchall()[0][0]
        if has_year:
            stored_years.update(
                y
                for (y,) in con.execute(
                    f"select distinct school_year from {table} where file_name in (select unnest(?::varchar[]))",
                    [names],
                ).fetchall()
                if y
            )
        con.execute(f"delete from {table} where file_name in (select unnest(?::varchar[]))", [names])
    # Files of the same name that are still there must be loaded again: forget their versions'
    # "loaded" state for the years the deleted rows covered, by letting the loader see them as new.
    con.execute(
        """
        delete from input_files
        where status = 'loaded' and file_name in (select unnest(?::varchar[]))
        """,
        [names],
    )
    result.files = names
    result.school_years = sorted(stored_years | {school_year_of(y) for y in years})
    return result


def years_with_rows(con: duckdb.DuckDBPyConnection) -> set[str]:
    """School years that still have raw rows (DUO pupil rows or linked enrolments)."""
    return {
        y
        for (y,) in con.execute(
            "select distinct school_year from raw_rows union select distinct school_year from raw_linked_enrolments"
        ).fetchall()
    }


def purge_years(con: duckdb.DuckDBPyConnection, years: list[str], out_dir: Path) -> None:
    """Remove these school years from every table with a school_year column, and their exports."""
    if not years:
        return
    tables = [
        t
        for (t,) in con.execute(
            """select distinct c.table_name from duckdb_columns() c join duckdb_tables() t
               on t.table_name = c.table_name and t.schema_name = c.schema_name
           where c.column_name = 'school_year' and t.schema_name = 'main'"""
        ).fetchall()
    ]
    for table in tables:
        if table not in KEEP_TABLES:
            con.execute(f"delete from {table} where school_year in (select unnest(?::varchar[]))", [years])
    for year in years:
        folder = Path(out_dir) / "exports" / year
        if folder.is_dir():
            shutil.rmtree(folder)


def retract_years(con: duckdb.DuckDBPyConnection, input_dir: Path, out_dir: Path) -> Retraction:
    """`retract_missing`, then `purge_years` for the touched years that have no rows left (a
    year that still has files is recomputed by the run; one whose files were replaced is
    purged now and filled again by the run)."""
    con.execute("begin transaction")
    try:
        result = retract_missing(con, input_dir)
        if result.school_years:
            purge_years(con, [y for y in result.school_years if y not in years_with_rows(con)], out_dir)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result
