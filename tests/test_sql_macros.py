"""The shared SQL macros (models/raw/macros.sql) against what they stand in for."""

from __future__ import annotations

import random

import duckdb

from grensverkeer import warehouse

# every character DuckDB's trim() removes (the Unicode space separators), and characters it keeps
SPACES = [" ", "\u00a0", "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]
OTHERS = ["a", "Z", "0", "-", "\t", "\n", "\r", "\x0b", "\x0c", "\x1f", "\u0085", "\u200b", "\ufeff", "é", "€", "😀"]


def test_trimmed_is_trim_for_every_value():
    con = duckdb.connect()
    warehouse.setup(con)
    rng = random.Random(17)
    chars = SPACES + OTHERS
    values = [None, "", *SPACES, *(s + "x" + s for s in SPACES), *OTHERS]
    values += ["".join(rng.choice(chars) for _ in range(rng.randint(1, 6))) for _ in range(20_000)]
    con.execute("create table t as select unnest(?::varchar[]) as s", [values])
    differ = con.execute("select s from t where trimmed(s) is distinct from trim(s) limit 5").fetchall()
    assert differ == []
    # and it does trim: every space separator at either end goes
    assert con.execute("select count(*) from t where trimmed(s) <> s").fetchone()[0] > 1000
    # every character trim removes is in SPACES (so the test covers them all)
    removed = con.execute(
        "select list(cp) from range(1, 1114112) as r(cp) "
        "where cp not between 55296 and 57343 and length(trim(chr(cp::integer) || 'a')) = 1"
    ).fetchone()[0]
    assert sorted(removed) == sorted(ord(c) for c in SPACES)
