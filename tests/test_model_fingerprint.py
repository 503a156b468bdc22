"""stg_linked_support is rebuilt only when what it is made from changed (warehouse.run_model_if_changed)."""

from __future__ import annotations

import duckdb
import pytest

from grensverkeer import warehouse

INPUTS = ["raw_linked_support", "ref_municipality_mergers", "ref_municipalities"]


@pytest.fixture
def con():
    c = duckdb.connect()
    warehouse.setup(c)
    c.execute("create table ref_municipalities (code varchar)")
    c.execute("insert into ref_municipalities values ('GM0503'), ('GM1783')")
    c.execute("create table ref_municipality_mergers (old_code varchar, successor_code varchar)")
    # the support file's version 1 is loaded: raw_linked_support shows its rows
    c.execute("insert into linked_loaded values ('linked/support.csv', null, 1, 'linked_support', 'linked')")
    yield c
    c.close()


def _add_episode(con, line: int, municipality: str = "GM0503") -> None:
    con.execute(
        "insert into linked_rows_support values (1, 'linked/support.csv', ?, 's1', 'jeugdhulp', 'x', ?, null, "
        "'2024-01-01', null, null)",
        [line, municipality],
    )


def test_rebuilt_only_when_its_inputs_change(con, monkeypatch):
    built = []
    real = warehouse.run_model
    monkeypatch.setattr(
        warehouse, "run_model", lambda c, model, *a, **k: built.append(model) or real(c, model, *a, **k)
    )
    run = lambda: warehouse.run_model_if_changed(con, "staging/stg_linked_support", INPUTS, ["probe"])  # noqa: E731

    _add_episode(con, 2)
    assert run() == 1 and len(built) == 1
    assert run() == 1 and len(built) == 1  # nothing changed: left as it is
    _add_episode(con, 3, "GM9999")
    assert run() == 2 and len(built) == 2  # a new support row
    assert con.execute("select reason_code from stg_linked_support where line = 3").fetchall() == [
        ("unknown_municipality",)
    ]
    con.execute("insert into ref_municipalities values ('GM9999')")
    assert run() == 2 and len(built) == 3  # a reference table changed
    assert con.execute("select reason_code from stg_linked_support where line = 3").fetchall() == [(None,)]
    con.execute("update linked_loaded set source = 'synthetic'")
    assert run() == 2 and len(built) == 4  # the records' source label changed
    assert con.execute("select distinct source from stg_linked_support").fetchall() == [("synthetic",)]
    con.execute("set variable probe = 'x'")
    assert run() == 2 and len(built) == 5  # a variable named as read changed
    con.execute("drop table stg_linked_support")
    assert run() == 2 and len(built) == 6  # the table is gone
    assert run() == 2 and len(built) == 6
