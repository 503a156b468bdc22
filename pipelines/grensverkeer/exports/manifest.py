"""What manifest.json says about where a school year's numbers come from: the input files
behind them (with sha256), the sources of the linked records, and the code version."""

from __future__ import annotations

import subprocess

import duckdb

from .. import settings as project

# Per staging table: the accepted rows of the school year that a file contributed. A file
# whose rows were all rejected, or duplicates counted from another file, is not behind a number.
_BEHIND = {
    "stg_duo_rows": "select file_name, count(*) as rows from stg_duo_rows "
    "where school_year = $year and reason_code is null group by file_name",
    "stg_location_totals": "select file_name, count(*) as rows from stg_location_totals "
    "where school_year = $year and reason_code is null group by file_name",
    "stg_linked_enrolments": "select file_name, count(*) as rows from stg_linked_enrolments "
    "where school_year = $year and reason_code is null group by file_name",
    # support episodes that overlap the school year, of pupils enrolled that year
    "stg_linked_support": """
        select s.file_name, count(*) as rows from stg_linked_support as s
        where s.reason_code is null
          and s.start_date <= make_date(count_year_of($year) + 1, 7, 31)
          and coalesce(s.end_date, date '9999-12-31') >= make_date(count_year_of($year), 8, 1)
          and s.student_id in (select student_id from stg_linked_enrolments
                               where school_year = $year and reason_code is null)
        group by s.file_name""",
    # schools the year's enrolments are at
    "stg_linked_schools": """
        select file_name, count(*) as rows from stg_linked_schools
        where reason_code is null
          and school_location_id in (select school_location_id from stg_linked_enrolments
                                     where school_year = $year and reason_code is null)
        group by file_name""",
}


def year_input_files(con: duckdb.DuckDBPyConnection, school_year: str) -> list[dict]:
    """The input files with accepted rows behind the year's numbers: name, sha256 and kind of
    the version whose rows are in the warehouse (the last one loaded), and how many of its
    rows count for this year."""
    present = {
        r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
    }
    parts = [sql for table, sql in _BEHIND.items() if table in present]
    if not parts:
        return []
    rows = con.execute(
        f"""
        with behind as ({" union all ".join(f"({p})" for p in parts)}),
        latest as (
            select file_name,
                   arg_max(sha256, seen_at) as sha256,
                   arg_max(kind, seen_at) as kind,
                   arg_max(size_bytes, seen_at) as size_bytes
            from input_files where status = 'loaded' group by file_name
        )
        select behind.file_name, latest.sha256, latest.kind, latest.size_bytes, sum(behind.rows)::bigint
        from behind join latest using (file_name)
        group by all order by behind.file_name""",
        {"year": school_year},
    ).fetchall()
    keys = ["file", "sha256", "kind", "size_bytes", "rows_counted"]
    return [dict(zip(keys, r)) for r in rows]


def linked_sources(con: duckdb.DuckDBPyConnection, school_year: str) -> list[str]:
    """The sources of the accepted linked records behind the year (its enrolments and the
    support episodes of its pupils), as stored with each record when it was loaded."""
    return [
        r[0]
        for r in con.execute(
            """
        select source from stg_linked_enrolments where school_year = ? and reason_code is null
        union
        select source from int_pupil_support where school_year = ?
        order by 1""",
            [school_year, school_year],
        ).fetchall()
    ]


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(project.PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
