"""Writing Polars frames into partitioned warehouse tables."""

from __future__ import annotations

import duckdb
import polars as pl


def replace_partitions(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pl.DataFrame], school_year: str | list[str]
) -> None:
    """Replace the rows of `school_year` (one, or a list: a set-based step over several school
    years) in each table by its frame, in one transaction.

    Tables are created first, outside the transaction (see warehouse.run_models).
    """
    years = [school_year] if isinstance(school_year, str) else list(school_year)
    for table, frame in frames.items():
        con.register("_frame", frame)
        con.execute(f"create table if not exists {table} as select * from _frame where false")
        con.unregister("_frame")
    con.execute("begin transaction")
    try:
        for table, frame in frames.items():
            con.register("_frame", frame)
            con.execute(f"delete from {table} where list_contains(?::varchar[], school_year)", [years])
            con.execute(f"insert into {table} by name select * from _frame")
            con.unregister("_frame")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
