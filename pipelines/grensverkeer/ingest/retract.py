"""The warehouse reflects the folder: file versions that are no longer in it stop counting.

At the start of every run, before anything is loaded, `retract_missing` compares the loaded
file versions in input_files (name + sha256) with the input folder:

* a version whose name is gone, or whose name now holds other content (DUO republishes a
  corrected file, under the same or another name), is marked `retracted` with the time
  (`retracted_at`): the audit trail keeps every version and when it stopped counting;
* it stops counting in the raw layer for all school years (its rows in raw_location_totals go;
  a DUO pupil file's versions leave duo_loaded, so raw_rows, raw_cells and raw_cell_columns no
  longer show them, and the rows of a version no longer staged leave duo_rows), and a linked file stops counting in raw_linked_* (linked_loaded; the rows of a
  version no longer in the folder leave linked_rows_*);
* the school years those rows belonged to are returned: the run recomputes each of them
  that still has files, and `purge_years` removes the years that have none left from every
  table with a school_year column and from OUT/exports/<year>/ (the site is rebuilt from
  the warehouse after the run).

DUO's location-totals file ('historisch overzicht') holds a column per count year, and each
year DUO publishes it again with one column more under the same name. A new version that
gives a year the same location totals as the old one (`_same_totals_years`) does not touch
that year: its raw and staged rows are taken from the new version at once (the folder is the
truth, down to the line numbers), and only the years whose totals changed, or that are new,
are computed again. Adding a school year stays that one year's work.

Set-based: one anti-join of input_files with the folder's (name, sha256) list.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from .. import warehouse
from .files import input_name
from .kinds import PO_LOCATION_TOTALS
from .linked import drop_unused_rows, list_linked_files
from .load import _totals_frame, drop_unused_versions, list_input_files, parse_file, school_year_of
from .text import FileRejected, sha256_of

RAW_TABLES = (
    "duo_loaded",
    "raw_location_totals",
)
# Not tied to one school year: their school_year-less rows are rebuilt from the raw tables. The
# linked rows of every read version: what counts of them (raw_linked_enrolments) is linked_loaded's.
KEEP_TABLES = ("input_files", "rejected_files", "linked_rows_enrolments", "linked_loaded", "duo_rows", "duo_cells")


@dataclass
class Retraction:
    files: list[str] = field(default_factory=list)  # names of versions that stopped counting
    school_years: list[str] = field(default_factory=list)  # years their rows belonged to


def folder_versions(input_dir: Path) -> list[tuple[str, str]]:
    """(stored name, sha256) of every file the loaders read in the folder."""
    return [(name, sha) for name, (_, sha) in _folder_files(input_dir).items()]


def _folder_files(input_dir: Path) -> dict[str, tuple[Path, str]]:
    """stored name -> (path, sha256) of every file the loaders read in the folder."""
    return {
        input_name(p, input_dir): (p, sha256_of(p)) for p in list_input_files(input_dir) + list_linked_files(input_dir)
    }


# What a location-totals row means for its year (stg_location_totals without where it stands in
# the file). A row without a total and without a problem says nothing, nor does a total of 0 for
# a location with no pupil rows that year (DUO lists a location opened later with 0 for the
# years before it): those are left out. Over the school years of `run_years`.
_TOTALS_MEANING = """
    select school_year, school_location_id, soort, municipality_code, school_name, total_low, total_high, reason_code
    from {source} left join located using (school_year, school_location_id)
    where run_years(school_year) and file_name = $1
      and (reason_code is not null or total_high > 0 or (total_high = 0 and has_pupil_rows))
"""

# The years (of `run_years`) whose meaning is the same in the old rows (stg_location_totals) and
# the new ones (the model over the new raw rows), and where no old row has a problem (a row with a
# problem in either version counts as a change: rejected_rows name its line). `located`: the
# locations with pupil rows in a year (a join, not an `in` over pairs: 0.2 s instead of 0.9 s
# for each version nationally).
_SAME_YEARS = """
    with located as (
        select distinct school_year, school_location_id, true as has_pupil_rows
        from stg_duo_rows where run_years(school_year)
    ),
    old as ({old}), new as ({new}),
    changed as (
        select school_year from (select * from old except all select * from new)
        union select school_year from (select * from new except all select * from old)
        union select school_year from old where reason_code is not null
    )
    select y from unnest(getvariable('school_years')) as t(y) where y not in (select school_year from changed)
"""


def _same_totals_years(
    con: duckdb.DuckDBPyConnection,
    replaced: dict[str, Path],
    years: dict[str, set[str]],
    fed: dict[str, set[str]],
) -> set[tuple[str, str]]:
    """(name, school year) of location-totals files replaced under the same name whose new
    version gives that year the same totals as the old one. Their raw rows (already deleted
    with the old version's) are loaded from the new version and their staged rows rebuilt
    from them, so nothing of the old version is left; the year need not be computed again.
    A row with a problem (reason_code) in either version counts as a change: rejected_rows
    name its line, which the downstream tables must be rebuilt with. A year of the file's
    columns that no run loaded (`years` but not `fed`: not a school year of the warehouse)
    held nothing of the old version and gets nothing of the new one.

    Set-based over the years (issue 17: DUO republishes this file with every new school year,
    so adding a year compares every year before it): the new version's rows of every year it
    fed are inserted, compared with the old ones and kept or taken out in a few statements."""
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    if not {"stg_location_totals", "stg_duo_rows"} <= tables:
        return set()
    same = set()
    staged = f"({warehouse.model_sql('staging/stg_location_totals')}\n)"  # the model's rows, computed now
    for name, path in sorted(replaced.items()):
        try:
            parsed = parse_file(path, name, sha256_of(path))
        except FileRejected:
            continue  # the run rejects it with its reason; every year it fed is touched
        if parsed.kind is not PO_LOCATION_TOTALS:
            continue
        same |= {(name, year) for year in years.get(name, set()) - fed.get(name, set())}
        frames = {year: _totals_frame(parsed, int(year[:4])) for year in sorted(fed.get(name, ()))}
        frames = {year: f for year, f in frames.items() if f is not None}  # else no column for the year any more
        if not frames:
            continue
        frame = pl.concat(list(frames.values()))  # noqa: F841 (DuckDB reads it by name)
        warehouse.set_school_years(con, list(frames))
        con.execute("insert into raw_location_totals by name select * from frame")
        kept = [
            y
            for (y,) in con.execute(
                _SAME_YEARS.format(
                    old=_TOTALS_MEANING.format(source="stg_location_totals"), new=_TOTALS_MEANING.format(source=staged)
                ),
                [name],
            ).fetchall()
        ]
        changed = [y for y in frames if y not in kept]
        if changed:
            con.execute(
                "delete from raw_location_totals where file_name = ? and list_contains(?::varchar[], school_year)",
                [name, changed],
            )
        if kept:
            warehouse.set_school_years(con, kept)
            con.execute("delete from stg_location_totals where run_years(school_year) and file_name = ?", [name])
            con.execute(f"insert into stg_location_totals by name select * from {staged} where file_name = ?", [name])
            same |= {(name, year) for year in kept}
    return same


def retract_missing(con: duckdb.DuckDBPyConnection, input_dir: Path) -> Retraction:
    """Mark loaded versions that are not in the folder as retracted and remove their rows."""
    result = Retraction()
    if not con.execute("select 1 from duckdb_tables() where table_name = 'input_files'").fetchall():
        return result  # a new warehouse: nothing loaded before
    con.execute("alter table input_files add column if not exists retracted_at timestamp")
    files = _folder_files(input_dir)
    present = pl.DataFrame(  # noqa: F841 (read by DuckDB; one statement, not a statement per file)
        [(name, sha) for name, (_, sha) in files.items()],
        schema={"file_name": pl.String, "sha256": pl.String},
        orient="row",
    )
    con.execute("create or replace temp table gv_present as select * from present")
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
    years_of: dict[str, set[str]] = {}  # name -> school years its rows belonged to
    fed: dict[str, set[str]] = {}  # name -> school years of its rows in a raw table with a school_year
    for name, ys in gone:
        years_of.setdefault(name, set()).update(school_year_of(y) for y in ys or [])
    for table in RAW_TABLES:
        if table not in existing:
            continue
        has_year = con.execute(
            "select count(*) from duckdb_columns() where table_name = ? and column_name = 'school_year'", [table]
        ).fetchall()[0][0]
        if has_year:
            for name, y in con.execute(
                f"select distinct file_name, school_year from {table} where file_name in (select unnest(?::varchar[]))",
                [names],
            ).fetchall():
                if y:
                    years_of.setdefault(name, set()).add(y)
                    fed.setdefault(name, set()).add(y)
        delete = f"delete from {table} where file_name in (select unnest(?::varchar[]))"
        if table == "duo_loaded":  # the versions' rows go, unless still staged (until discovery)
            drop_unused_versions(con, con.execute(delete + " returning version", [names]).fetchall())
        else:
            con.execute(delete, [names])
    # Linked files: they stop counting (every version of the name, as above), and the versions no
    # longer in the folder are not the ones read last (their rows go: `drop_unused_rows`).
    for name, y in con.execute(
        "select distinct file_name, school_year from linked_loaded where file_name in (select unnest(?::varchar[]))",
        [names],
    ).fetchall():
        if y:
            years_of.setdefault(name, set()).add(y)
            fed.setdefault(name, set()).add(y)
    con.execute("delete from linked_loaded where file_name in (select unnest(?::varchar[]))", [names])
    con.execute(
        """update linked_versions set read_last = false
           where read_last and not exists (select 1 from gv_present p where p.file_name = linked_versions.file_name
                                                                         and p.sha256 = linked_versions.sha256)"""
    )
    drop_unused_rows(con)
    # A location-totals file replaced under its name: the years it gives the same totals stay as they are.
    replaced = {name: files[name][0] for name in names if name in files}
    same = _same_totals_years(con, replaced, years_of, fed)
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
    result.school_years = sorted({y for name, ys in years_of.items() for y in ys if (name, y) not in same})
    return result


def years_with_rows(con: duckdb.DuckDBPyConnection) -> set[str]:
    """School years that still have raw rows (DUO pupil rows or linked enrolments)."""
    return {
        y
        for (y,) in con.execute(
            "select distinct school_year from raw_rows union select distinct school_year from linked_loaded "
            "where school_year is not null"
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
    warehouse.setup(con)  # (a warehouse of an older version gets the current tables first)
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
