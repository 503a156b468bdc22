"""Writing Polars frames into partitioned warehouse tables."""

from __future__ import annotations

import duckdb
import polars as pl


def replace_partition(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, school_year: str) -> int:
    """Replace the rows of `school_year` in `table` by `frame` (created on first use)."""
    con.register("_frame", frame)
    try:
        con.execute(f"create table if not exists {table} as select * from _frame where false")
        con.execute(f"delete from {table} where school_year = ?", [school_year])
        con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")
    return frame.height
