"""The short summary `grensverkeer run` prints after a run, read back from the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from . import settings
from .ingest.files import input_name, is_escaped, shown_name
from .ingest.linked import list_linked_files
from .ingest.load import list_input_files
from .ingest.text import sha256_of

SHOW_REJECTED = 10
SHOW_WARNINGS = 10


def _unknown_names(con: duckdb.DuckDBPyConnection, years: list[str]) -> list[tuple]:
    """(year, name, file, rows, pupils low, high) of the home municipality names counted as ONBEKEND."""
    if not con.execute("select 1 from duckdb_tables() where table_name = 'input_warnings'").fetchall():
        return []
    return con.execute(
        """select school_year, value, file_name, count(*), sum(students_low), sum(students_high),
                  list(line order by line)
           from input_warnings
           where school_year in (select unnest(?::varchar[])) and warning_code = 'unknown_home_municipality'
           group by all order by school_year, 4 desc, value, file_name""",
        [years],
    ).fetchall()


def _warning_lines(unknown: list[tuple]) -> list[str]:
    from .defs.staging import describe_unmatched

    lines = [
        f"warning: {year}: home municipality name {describe_unmatched(*u)} matches no municipality and is "
        "counted as ONBEKEND (input_warnings): correct the name in the file, or add the spelling to "
        "VARIANTS in data/reference/build_reference.py"
        for year, *u in unknown[:SHOW_WARNINGS]
    ]
    if len(unknown) > SHOW_WARNINGS:
        lines.append(
            f"warning: ... and {len(unknown) - SHOW_WARNINGS} more unknown home municipality names: "
            "query input_warnings in the warehouse"
        )
    return lines


def _rejected_rows(con: duckdb.DuckDBPyConnection, years: list[str]) -> tuple[int, list[str]]:
    """How many rows of these years (and of the linked files without a year) are not counted
    for a problem in the row, and the first of them in words: file, line, column, reason.
    A duplicate_row is counted once from its other copy: not a rejection."""
    if not con.execute("select 1 from duckdb_tables() where table_name = 'rejected_rows'").fetchall():
        return 0, []
    rows = con.execute(
        """select file_name, line, column_name, reason, count(*) over () as n
           from rejected_rows
           where (school_year in (select unnest(?::varchar[])) or school_year is null)
             and reason_code <> 'duplicate_row'
           order by file_name, line limit ?""",
        [years, SHOW_REJECTED],
    ).fetchall()
    from .ingest.files import shown_name

    lines = [
        f"rejected row: {shown_name(file_name)} line {line}" + (f", column {column}" if column else "") + f": {reason}"
        for file_name, line, column, reason, _ in rows
    ]
    total = rows[0][4] if rows else 0
    if total > SHOW_REJECTED:
        lines.append(f"... and {total - SHOW_REJECTED} more rejected rows: query rejected_rows in the warehouse")
    return total, lines


def _print_linked(con: duckdb.DuckDBPyConnection, year: str) -> None:
    if not con.execute("select count(*) from duckdb_tables() where table_name = 'agreement_needs'").fetchall()[0][0]:
        return
    enrolments = con.execute(
        """select count(*), count(*) filter (where reason_code is null)
           from stg_linked_enrolments where school_year = ?""",
        [year],
    ).fetchall()[0]
    if not enrolments[0]:
        if con.execute("select count(*) from stg_linked_enrolments").fetchall()[0][0]:
            print(f"  {year} linked: no linked records for this school year (no support or agreement figures)")
        return
    synthetic = con.execute(
        "select bool_or(source = 'synthetic') from support_flows where school_year = ?", [year]
    ).fetchall()[0][0]
    label = " (SYNTHETIC DEMO, not real pupils)" if synthetic else ""
    needs = con.execute(
        # the printed levels (pub_agreement_needs), as the site and the exports count them
        """select count(*) filter (where level = 'gemeentepaar' and published_need_level = 'afspraak nodig'),
                  count(*) filter (where level = 'school' and published_need_level = 'afspraak nodig')
           from pub_agreement_needs where school_year = ? and (local_team_in_region or school_in_region)""",
        [year],
    ).fetchall()[0]
    print(
        f"  {year} linked{label}: {enrolments[1]:,} of {enrolments[0]:,} enrolments accepted; agreement needed for "
        f"{needs[0]} municipality pairs and {needs[1]} school x local team pairs"
    )


@dataclass
class Findings:
    """What the run must say before its summary, and what sets its exit code."""

    rejected_files: list[tuple[str, str]] = field(default_factory=list)  # (stored name, reason)
    rejected_rows: int = 0  # rows not counted for a problem in the row (duplicates are counted once)
    rejected_row_lines: list[str] = field(default_factory=list)  # the first of them, in words
    warnings: list[str] = field(default_factory=list)  # counted, but the user must know (unknown names)


def print_summary(input_dir: Path, warehouse: Path, years: list[str], out_dir: Path) -> Findings:
    """Print what this run read and counted; return what was rejected or needs a warning."""
    findings = Findings()
    current = [
        (input_name(p, input_dir), sha256_of(p)) for p in list_input_files(input_dir) + list_linked_files(input_dir)
    ]
    if not warehouse.exists():
        print("No warehouse was written.")
        return findings
    con = duckdb.connect(str(warehouse), config=settings.duckdb_config())
    try:
        frame = pl.DataFrame(  # noqa: F841 (read by DuckDB; one statement, not a statement per file)
            current, schema={"file_name": pl.String, "sha256": pl.String}, orient="row"
        )
        con.execute("create temp table current_files as select * from frame")
        status = con.execute(
            """
            select f.status, count(*) from current_files c join input_files f using (file_name, sha256) group by all
            """
        ).fetchall()
        findings.rejected_files = con.execute(
            """
            select r.file_name, r.reason from current_files c join rejected_files r using (file_name, sha256)
            where r.reason_code <> 'duplicate_file' order by r.file_name
            """
        ).fetchall()
        findings.rejected_rows, findings.rejected_row_lines = _rejected_rows(con, years)
        print(
            f"\ngrensverkeer: {len(current)} files in {input_dir}: " + ", ".join(f"{n} {s}" for s, n in sorted(status))
        )
        for name, _ in current:
            if is_escaped(name):
                print(f"  note: file {shown_name(name)}")
        unknown = _unknown_names(con, years)
        findings.warnings = _warning_lines(unknown)
        for year in years:
            rows = con.execute(
                """
                select count(*),
                       count(*) filter (where reason_code is null),
                       count(*) filter (where reason_code = 'duplicate_row'),
                       count(*) filter (where reason_code is not null and reason_code <> 'duplicate_row')
                from stg_duo_rows where school_year = ?
                """,
                [year],
            ).fetchall()[0]
            # The published figures (pub_school_catchment): the same numbers as the site and exports.
            pupils = con.execute(
                """
                select sum(students), sum(students_low), sum(students_high),
                       sum(students) filter (where origin_code <> school_municipality_code)
                from pub_school_catchment where school_year = ?
                """,
                [year],
            ).fetchall()[0]
            if rows[0]:
                print(
                    f"  {year} DUO: {rows[0]} pupil rows read: {rows[1]} accepted, {rows[2]} duplicates of rows in "
                    f"other files (counted once), {rows[3]} rejected (see rejected_rows)"
                )
            if pupils[0] is not None:
                print(
                    f"  {year} DUO: {pupils[0]:,} pupils counted (bounds {pupils[1]:,}-{pupils[2]:,}), "
                    f"{pupils[3] or 0:,} schooled outside their home municipality"
                )
            names = [u for u in unknown if u[0] == year]
            if names:
                low, high = sum(u[4] for u in names), sum(u[5] for u in names)
                pupils = f"{low:,}" if low == high else f"{low:,}-{high:,}"
                print(
                    f"  {year} DUO: {len({u[1] for u in names})} home municipality name(s) match no municipality: "
                    f"{pupils} pupils counted as ONBEKEND (listed above; input_warnings)"
                )
            _print_linked(con, year)
    except duckdb.CatalogException:
        print("The run stopped before the warehouse tables were written.")
        findings = Findings()
    finally:
        con.close()
    print(f"  warehouse: {warehouse}\n  output: {out_dir}")
    if (out_dir / "site" / "index.html").exists():
        print(f"  dashboards: {out_dir / 'site' / 'index.html'} (open in a browser, or `grensverkeer serve`)")
    for year in years:
        if (out_dir / "exports" / year / "afspraken.xlsx").exists():
            print(f"  export {year}: {out_dir / 'exports' / year / 'afspraken.xlsx'}")
    return findings
