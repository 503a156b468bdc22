"""The DuckDB warehouse: opening it, creating its raw layer, and running SQL models.

A model is one `select` in models/<layer>/<name>.sql and fills the table of the same
name. Partitioned models replace only the rows of the school years they compute, so
computing a new year never touches the others. Most are set-based: one statement selects
the rows of every school year of the run (`run_years`), and one transaction replaces them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from .settings import MODELS_DIR, REFERENCE_DIR, Region


def model_sql(model: str) -> str:
    return (MODELS_DIR / f"{model}.sql").read_text(encoding="utf-8")


@contextmanager
def checkpoint_meanwhile(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Checkpoint the write-ahead log into the file in a thread while the block does its work.

    A build keeps its writes in the log (settings.CHECKPOINT_THRESHOLD) and checkpoints them
    when the warehouse closes: about 1.6 s of DuckDB's CPU at the end of the bundled run,
    with nothing else to do. Started where Python work that only reads follows (rendering
    the site), it runs on the other core instead. DuckDB lets a checkpoint run beside other
    transactions; one that fails leaves the log as it is, for the close to checkpoint.
    """
    cursor = con.cursor()  # a connection of its own (to the same database) for the thread

    def checkpoint() -> None:
        try:
            cursor.execute("checkpoint")
        except duckdb.Error:
            pass  # the log stays and is checkpointed when the warehouse closes

    thread = threading.Thread(target=checkpoint, name="grensverkeer-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()
        cursor.close()


def setup(con: duckdb.DuckDBPyConnection) -> None:
    """Create macros and raw tables if they are not there yet (idempotent)."""
    con.execute(model_sql("raw/macros"))
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    for table in set(LINKED_RAW_TABLES) & tables:  # a warehouse from before linked_rows_*: moved below
        if "source" not in _columns(con, table):  # records loaded before their source was stored
            raise RuntimeError(OLDER_WAREHOUSE.format(table=table))
        con.execute(f"alter table {table} rename to gv_old_{table}")
    old_duo = [t for t in DUO_RAW_TABLES if t in tables]  # a warehouse from before duo_rows: moved below
    for table in old_duo:
        con.execute(f"alter table {table} rename to gv_old_{table}")
    if "staged_duo_rows" in tables or (
        "staged_duo_files" in tables and "version" not in _columns(con, "staged_duo_files")
    ):
        for table in ("staged_duo_rows", "staged_duo_totals", "staged_duo_files"):  # rows discovery parsed, before
            con.execute(f"drop table if exists {table}")  # duo_rows: files are parsed again where needed
    con.execute(model_sql("raw/raw_schema"))
    if old_duo:
        _duo_rows_from_raw_tables(con, old_duo)
    old = [t for t in LINKED_RAW_TABLES if f"gv_old_{t}" in tables or t in tables]
    if old:
        _linked_rows_from_raw_tables(con, old)
    for table in ("staged_linked_files", "staged_linked_schools", "staged_linked_enrolments", "staged_linked_support"):
        if table in tables:  # from before linked_rows_*: rows discovery read, now kept there
            con.execute(f"drop table {table}")


# The linked records that count: views of the loaded versions' rows (models/raw/raw_schema.sql).
LINKED_RAW_TABLES = ("raw_linked_schools", "raw_linked_enrolments", "raw_linked_support")


def _linked_rows_from_raw_tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """A warehouse from before linked_rows_* held the loaded linked records in raw_linked_*
    tables (renamed gv_old_* by `setup`): each file's rows become a version (the file's last
    loaded one in input_files) that is loaded for the school years it has rows of, with its
    rows' source. Not marked read last: the load reads a file again for a year it has no rows
    of here. Once: the old tables go. (In a transaction of its own, after the new tables were
    made: see `run_models` for DuckDB's filtered reads of a table made in the same transaction.)"""
    con.execute("begin transaction")
    for table in tables:
        kind = table.removeprefix("raw_")
        rows, year = (
            f"linked_rows_{kind.removeprefix('linked_')}",
            "school_year" if kind == "linked_enrolments" else "null",
        )
        con.execute(
            f"""
            insert into linked_versions
            select nextval('linked_version_numbers'), n.file_name, coalesce(f.sha256, ''), '{kind}', f.count_years,
                   f.column_map, false
            from (select distinct file_name from gv_old_{table}) n
            left join (select file_name, arg_max(sha256, seen_at) as sha256, arg_max(count_years, seen_at) as count_years,
                              arg_max(column_map, seen_at) as column_map
                       from input_files where status = 'loaded' group by file_name) f using (file_name);
            insert into {rows} by name
            select v.version, o.* exclude (source)
            from gv_old_{table} o join linked_versions v on v.file_name = o.file_name and v.kind = '{kind}';
            insert into linked_loaded (file_name, school_year, version, kind, source)
            select o.file_name, {year}, any_value(v.version), '{kind}', any_value(o.source)
            from gv_old_{table} o join linked_versions v on v.file_name = o.file_name and v.kind = '{kind}'
            group by all;
            drop table gv_old_{table};
            """
        )
    con.execute("commit")


# The DUO pupil rows that count: views of the loaded versions' rows (models/raw/raw_schema.sql).
DUO_RAW_TABLES = ("raw_rows", "raw_cells", "raw_cell_columns")


def _duo_rows_from_raw_tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """A warehouse from before duo_rows held the loaded DUO rows in raw_rows, raw_cells and
    raw_cell_columns tables (renamed gv_old_* by `setup`): each file's rows become a version
    that is loaded for the school years it has rows of, with its file_priority and count
    columns. Not a name's staged version: the load parses a file again for a year it has no
    rows of here. A warehouse from before raw_cell_columns holds every cell of its rows in
    raw_cells: the count columns of each (year, file) are taken from there, and the zero cells
    are left out, as the loader does now. Once: the old tables go."""
    if "raw_rows" not in tables:
        raise RuntimeError(OLDER_WAREHOUSE.format(table="raw_cells"))
    con.execute("begin transaction")
    if "raw_cells" not in tables:
        con.execute("create table gv_old_raw_cells as select * from raw_cells where false")
    if "raw_cell_columns" not in tables:
        con.execute(
            """
            create table gv_old_raw_cell_columns as
            select file_name, school_year, list(cell_label order by cell_order) as cell_columns
            from (select distinct file_name, school_year, cell_order, cell_label from gv_old_raw_cells)
            group by all
            """
        )
    con.execute(
        """
        create temp table gv_versions as
        select file_name, nextval('duo_version_numbers')::integer as version
        from (select distinct file_name from gv_old_raw_rows);
        insert into duo_rows by name
        select v.version, o.* exclude (file_priority) from gv_old_raw_rows o join gv_versions v using (file_name);
        insert into duo_cells by name
        select v.version, o.* from gv_old_raw_cells o join gv_versions v using (file_name)
        where not zero_count(o.value_text);
        insert into duo_loaded (school_year, file_name, version, file_priority, cell_columns)
        select c.school_year, c.file_name, v.version, p.file_priority, c.cell_columns
        from gv_old_raw_cell_columns c
        join gv_versions v using (file_name)
        left join (select school_year, file_name, any_value(file_priority) as file_priority
                   from gv_old_raw_rows group by all) p using (school_year, file_name);
        drop table gv_versions;
        drop table gv_old_raw_rows;
        drop table gv_old_raw_cells;
        drop table gv_old_raw_cell_columns;
        """
    )
    con.execute("commit")


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_name = ? order by ordinal_position", [table]
        ).fetchall()
    ]


OLDER_WAREHOUSE = (
    "The warehouse table {table} has other columns than the code makes: the warehouse was built by "
    "an older version. Move the warehouse file aside (or delete it) and run again to rebuild it."
)


# Columns of pupils' pseudonyms: unique, high-entropy text (64 hexadecimal characters from the
# pseudonymisation). DuckDB's FSST compression of them cost 4x the CPU of writing them plain (26 M
# national enrolments: about 13 s of CPU for each table that holds them) and saves about half of
# their bytes; they are stored uncompressed (docs/warehouse.md, "Storage").
UNCOMPRESSED_COLUMNS = frozenset({"student_id"})


def _table_definition(described: list[tuple]) -> str:
    """The column list of a table for rows `described` (DuckDB's `describe`), pseudonym columns
    uncompressed."""
    return ", ".join(
        f'"{name}" {type_}' + (" using compression uncompressed" if name in UNCOMPRESSED_COLUMNS else "")
        for name, type_, *_ in described
    )


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(f"describe select * from ({sql})").fetchall()


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> None:
    described = _describe(con, sql)
    con.execute(f"create table if not exists {table} ({_table_definition(described)})")
    if _columns(con, table) != [d[0] for d in described]:
        raise RuntimeError(OLDER_WAREHOUSE.format(table=table))


def set_school_year(con: duckdb.DuckDBPyConnection, school_year: str | None) -> None:
    """The variables the models read (school_year, reference_dir), for running a model's SQL by hand."""
    _set_variables(con, school_year)


def set_school_years(con: duckdb.DuckDBPyConnection, school_years: list[str]) -> None:
    """The variables of a set-based step over `school_years`: its queries select their rows
    with `run_years(school_year)`, as the set-based models do."""
    _set_variables(con, None, list(school_years))


def _set_variables(
    con: duckdb.DuckDBPyConnection, school_year: str | None, school_years: list[str] | None = None
) -> None:
    con.execute("set variable school_year = ?", [school_year])
    con.execute("set variable school_years = ?::varchar[]", [school_years])  # set-based models: run_years()
    con.execute("set variable reference_dir = ?", [str(REFERENCE_DIR)])


def run_model(
    con: duckdb.DuckDBPyConnection,
    model: str,
    school_year: str | None = None,
    table: str | None = None,
    scope: str | None = None,
) -> int:
    """Run models/<model>.sql into `table` (default: the model's name); return its row count.

    With a school year the model fills only that year's rows; `scope` narrows the rows it
    replaces further (for tables that several models fill, like rejected_rows).
    """
    return run_models(con, [(model, table, scope)], school_year)[0]


def _fingerprint(con: duckdb.DuckDBPyConnection, sql: str, inputs: list[str], variables: list[str]) -> str:
    """md5 over the model's SQL, the row count and order-independent row hash sum of each
    input table, and the values of the SQL variables it reads: one scan of each input."""
    parts = [f"(select count(*) || ':' || coalesce(sum(hash(t))::varchar, '') from {table} as t)" for table in inputs]
    parts += [f"coalesce(getvariable('{v}')::varchar, '(null)')" for v in variables]
    return con.execute(f"select md5(concat_ws('|', md5(?), {', '.join(parts)}))", [sql]).fetchall()[0][0]


def run_model_if_changed(
    con: duckdb.DuckDBPyConnection, model: str, inputs: list[str], variables: list[str] = ()
) -> int:
    """`run_model` (no school year) for a table every partition reads but none owns, like
    stg_linked_support: rebuilt only when its SQL, the rows of its `inputs` tables or the SQL
    `variables` it reads differ from its last build, else left as it is. Returns its row count.

    `inputs` must name every table the model reads (or a parenthesised query over it): the
    fingerprint covers nothing else.
    """
    _set_variables(con, None)
    table = Path(model).name
    fingerprint = _fingerprint(con, model_sql(model), inputs, list(variables))
    if _built_with(con, table, fingerprint, [table]):
        return con.execute(f"select count(*) from {table}").fetchall()[0][0]
    count = run_model(con, model)
    _record_fingerprint(con, table, fingerprint)
    return count


def _built_with(con: duckdb.DuckDBPyConnection, key: str, fingerprint: str, tables: list[str]) -> bool:
    """Whether `key` was last built with `fingerprint` (model_fingerprints) and its tables exist."""
    con.execute("create table if not exists model_fingerprints (model varchar primary key, fingerprint varchar)")
    return bool(
        con.execute(
            "select 1 from model_fingerprints where model = ? and fingerprint = ? and "
            "(select count(*) from duckdb_tables() where schema_name = 'main' "
            "and list_contains(?::varchar[], table_name)) = ?",
            [key, fingerprint, tables, len(set(tables))],
        ).fetchall()
    )


def _record_fingerprint(con: duckdb.DuckDBPyConnection, key: str, fingerprint: str) -> None:
    con.execute("insert or replace into model_fingerprints values (?, ?)", [key, fingerprint])


def run_models(
    con: duckdb.DuckDBPyConnection, steps: list[tuple[str, str | None, str | None]], school_year: str | None = None
) -> list[int]:
    """Run several (model, table, scope) steps for one school year in one transaction.

    Tables are created before the transaction starts: DuckDB 2.0.0 answers filtered reads
    wrongly (no rows) on a table created and filled with >122,880 rows in the same
    transaction, until the database is reopened (docs/warehouse.md, "Known issues").
    """
    _set_variables(con, school_year)
    sqls = [(model_sql(model), table or Path(model).name, scope) for model, table, scope in steps]
    if school_year is None:
        counts = []
        for sql, table, _ in sqls:
            con.execute(f"create or replace table {table} ({_table_definition(_describe(con, sql))})")
            con.execute(f"insert into {table} by name select * from ({sql})")
            counts.append(con.execute(f"select count(*) from {table}").fetchall()[0][0])
        return counts
    return _replace_years(con, sqls, "school_year = getvariable('school_year')")


def _replace_years(con: duckdb.DuckDBPyConnection, sqls: list[tuple[str, str, str | None]], years: str) -> list[int]:
    """Replace the rows of the school years `years` selects (a SQL condition) in each table by its model's
    rows, all tables in one transaction; returns each table's row count over those years."""
    for sql, table, _ in sqls:
        _ensure_table(con, table, sql)
    counts = []
    con.execute("begin transaction")
    try:
        for sql, table, scope in sqls:
            where = years + (f" and {scope}" if scope else "")
            con.execute(f"delete from {table} where {where}")
            con.execute(f"insert into {table} by name select * from ({sql})")
            counts.append(con.execute(f"select count(*) from {table} where {where}").fetchall()[0][0])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def run_models_over_years(
    con: duckdb.DuckDBPyConnection, steps: list[tuple[str, str | None, str | None]], school_years: list[str]
) -> list[int]:
    """`run_models` for set-based models (they select their rows with the `run_years` macro):
    each model runs once over every school year of `school_years`, in one transaction, and
    replaces the rows of those years; returns each table's row count over those years."""
    _set_variables(con, None, list(school_years))
    sqls = [(model_sql(model), table or Path(model).name, scope) for model, table, scope in steps]
    return _replace_years(con, sqls, "run_years(school_year)")


def run_models_each_year(
    con: duckdb.DuckDBPyConnection, steps: list[tuple[str, str | None, str | None]], school_years: list[str]
) -> list[int]:
    """`run_models_over_years`, one school year at a time (one statement and one replace per
    model and year); returns each table's row count summed over the years.

    For the large set-based models whose rows of one school year depend only on that year
    (int_pupil_support, stg_linked_enrolments, stg_duo_rows): a year's statement keeps its hash
    tables and windows small, so it stays within the build's DuckDB memory limit and ran up to
    twice as fast nationally as one statement over ten years (docs/performance.md, Sessions
    12-14). The rows are the same."""
    totals = [0] * len(steps)
    for year in school_years:
        for i, n in enumerate(run_models_over_years(con, steps, [year])):
            totals[i] += n
    return totals


def replace_rows(con: duckdb.DuckDBPyConnection, model: str, table: str, where: str) -> int:
    """Replace the rows of `table` matching `where` by the model's rows, in one transaction
    (for rows not tied to a school year, like rejected rows of the linked schools file)."""
    _set_variables(con, None)
    sql = model_sql(model)
    _ensure_table(con, table, sql)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {table} where {where}")
        con.execute(f"insert into {table} by name select * from ({sql})")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return con.execute(f"select count(*) from {table} where {where}").fetchall()[0][0]


REFERENCE_MODELS = (
    "ref_municipalities",
    "ref_place_names",
    "ref_municipality_mergers",
    "ref_municipality_names",
    "ref_school_locations",
    "ref_pc4_centroids",
    "ref_swv_pc4",
)


def _reference_fingerprint(region: Region) -> str:
    """md5 over what the reference tables are made of: the models (and the macros they may
    use), every file of the reference folder (its name in the folder and its content: not where the
    checkout is, so a moved checkout builds them again only when they changed), and the region's members."""
    from .ingest.text import sha256_of

    h = hashlib.md5()
    for part in [model_sql("raw/macros"), *(model_sql(f"reference/{name}") for name in REFERENCE_MODELS)]:
        h.update(part.encode() + b"\0")
    for path in sorted(p for p in Path(REFERENCE_DIR).rglob("*") if p.is_file()):
        h.update(f"{path.relative_to(REFERENCE_DIR)}:{sha256_of(path)}\0".encode())
    members = sorted((code, name, region.subregions.get(code)) for code, name in region.members.items())
    h.update(json.dumps(members).encode())
    return h.hexdigest()


def load_reference(con: duckdb.DuckDBPyConnection, region: Region) -> dict[str, int]:
    """Build the reference tables (ref_*) from the reference folder and the region. Left as they
    are when what they are made of is the same as at their last build (`model_fingerprints`):
    they are the same for every run, and every run used to build them again (issue 17: a fixed
    cost of a run that adds one school year)."""
    tables = ["ref_region_members", *REFERENCE_MODELS]
    fingerprint = _reference_fingerprint(region)
    if _built_with(con, "reference_tables", fingerprint, tables):
        return {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in tables}
    members = pl.DataFrame(  # noqa: F841 (read by DuckDB)
        [[code, name, region.subregions.get(code)] for code, name in sorted(region.members.items())],
        schema={"code": pl.String, "display_name": pl.String, "subregion": pl.String},
        orient="row",
    )
    con.execute(
        "create or replace table ref_region_members (code varchar primary key, display_name varchar, subregion varchar)"
    )
    con.execute("insert into ref_region_members select * from members")
    counts = {"ref_region_members": len(region.members)}
    for name in REFERENCE_MODELS:
        counts[name] = run_model(con, f"reference/{name}")
    _record_fingerprint(con, "reference_tables", fingerprint)
    return counts
