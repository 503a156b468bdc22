"""Compare two warehouses table by table: every table both hold, `except all` both ways.

    .venv/bin/python -m benchmarks.compare_warehouses A.duckdb B.duckdb

Prints the tables only one of them holds, each common table whose rows differ (rows of A not
in B, rows of B not in A) and how many tables were compared. Used to check that a change gives
the same rows (docs/performance.md): summation-order noise in the pupils of municipality_flows
and school_catchment (about 1e-12), input_files.seen_at, input_file_hashes and
model_fingerprints differ between any two runs.
"""

from __future__ import annotations

import argparse

import duckdb


def compare(a: str, b: str) -> int:
    """Print the differences; returns the number of common tables that differ."""
    con = duckdb.connect()
    con.execute("attach ? as a (read_only)", [a])
    con.execute("attach ? as b (read_only)", [b])
    tables = {
        db: {
            t for (t,) in con.execute("select table_name from duckdb_tables() where database_name = ?", [db]).fetchall()
        }
        for db in ("a", "b")
    }
    if tables["a"] != tables["b"]:
        print("tables in one of them only:", sorted(tables["a"] ^ tables["b"]))
    common = sorted(tables["a"] & tables["b"])
    differing = 0
    for t in common:
        try:
            only_a = con.execute(f'select count(*) from (from a."{t}" except all from b."{t}")').fetchone()[0]
            only_b = con.execute(f'select count(*) from (from b."{t}" except all from a."{t}")').fetchone()[0]
        except duckdb.Error as exc:
            print(t, "cannot be compared:", str(exc).splitlines()[0])
            differing += 1
            continue
        if only_a or only_b:
            print(t, only_a, only_b)
            differing += 1
    print("tables compared:", len(common), "differing:", differing)
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args()
    compare(args.a, args.b)


if __name__ == "__main__":
    main()
