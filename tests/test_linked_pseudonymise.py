"""Pseudonymise at the source, then load: `grensverkeer pseudonymise` on files with BSNs, and
the pipeline on its output.

The hand-worked fixture's 2024-2025 enrolments and its support episodes are written with a
BSN in student_id (P01 -> BSN, ...), outside the input folder. Then, with
GRENSVERKEER_PSEUDONYM_KEY set:

    key K:  enrolments_bsn.csv -> INPUT/linked/enrolments.csv
    key K:  support_bsn.csv    -> INPUT/linked/support.xlsx
    key K2: leerplicht_bsn.csv -> INPUT/linked/leerplicht-other-key.parquet   (a leerplicht
            episode in 2024-2025 for every enrolled pupil)

The pipeline accepts the files; the K support links to the K enrolments, so the tables are
the hand-worked ones (test_linked_handworked); the K2 episodes link to nobody, so leerplicht
counts stay those of the fixture (P06, P11 only).
"""

from __future__ import annotations

import re

import duckdb
import pytest

import fixtures as F
import test_linked_handworked as H

KEY = "pseudonym-key-K-0123456789abcdef"
OTHER_KEY = "pseudonym-key-K2-fedcba9876543210"
ENV = "GRENSVERKEER_PSEUDONYM_KEY"

PUPILS = sorted({r[1] for r in F.LINKED_ENROLMENTS} | {r[0] for r in F.LINKED_SUPPORT})
# half of them with a leading zero (kept as text in the CSV)
BSN = dict(zip(PUPILS, F.make_bsns(10, 31_415_900) + F.make_bsns(len(PUPILS) - 10, 527_182_800)))
ENROLLED_2024 = [r for r in F.LINKED_ENROLMENTS if r[0] == F.Y2024]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked_pseudonymise")
    raw, folder, wh, out = root / "raw", root / "in", root / "warehouse.duckdb", root / "out"
    linked = folder / "linked"
    F.write_linked(linked / "schools.csv", F.LINKED_SCHOOLS_HEAD, F.LINKED_SCHOOLS)
    F.write_linked(
        raw / "enrolments_bsn.csv", F.LINKED_ENROLMENTS_HEAD, [[r[0], BSN[r[1]], *r[2:]] for r in ENROLLED_2024]
    )
    F.write_linked(raw / "support_bsn.csv", F.LINKED_SUPPORT_HEAD, [[BSN[r[0]], *r[1:]] for r in F.LINKED_SUPPORT])
    F.write_linked(
        raw / "leerplicht_bsn.csv",
        F.LINKED_SUPPORT_HEAD,
        [[BSN[r[1]], "leerplicht", "verzuim", H.DH, F.JDH, "2024-09-01", "2024-10-01"] for r in ENROLLED_2024],
    )

    def pseudonymise(src, dst, key):
        env = {ENV: key} if key is not None else {ENV: ""}
        return F.cli_main(root, ["pseudonymise", str(src), str(dst), "--column", "student_id"], env)

    calls = {
        "no_key": pseudonymise(raw / "enrolments_bsn.csv", root / "never.csv", None),
        "enrolments": pseudonymise(raw / "enrolments_bsn.csv", linked / "enrolments.csv", KEY),
        "support": pseudonymise(raw / "support_bsn.csv", linked / "support.xlsx", KEY),
        "other_key": pseudonymise(raw / "leerplicht_bsn.csv", linked / "leerplicht-other-key.parquet", OTHER_KEY),
        # the same input and key again: the same pseudonyms
        "again": pseudonymise(raw / "enrolments_bsn.csv", root / "enrolments-again.csv", KEY),
    }
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL)
    r = F.run_with_region_file(folder, wh, out, region)
    return r, calls, root


def _ids(path) -> set[str]:
    return {
        row[0]
        for row in duckdb.sql(f"select student_id::varchar from read_csv('{path}', all_varchar = true)").fetchall()
    }


def test_pseudonymise_refuses_without_a_key_and_writes_nothing(run):
    r, calls, root = run
    code, output = calls["no_key"]
    assert code != 0 and ENV in output
    assert not (root / "never.csv").exists()


def test_pseudonymise_command_outputs_no_bsn(run):
    r, calls, root = run
    for name in ("enrolments", "support", "other_key", "again"):
        code, output = calls[name]
        assert code == 0, output
        assert "pseudonymised student_id" in output
        for bsn in BSN.values():
            assert bsn not in output
    from grensverkeer.privacy import read_table

    for path in (r.input_dir / "linked").iterdir():
        data = path.read_bytes() + str(read_table(path).rows()).encode()  # XLSX and Parquet compress their bytes
        for bsn in BSN.values():
            assert bsn.encode() not in data, path.name
    ids = _ids(r.input_dir / "linked" / "enrolments.csv")
    assert len(ids) == len(ENROLLED_2024) and all(re.fullmatch(r"[0-9a-f]{64}", i) for i in ids)
    assert _ids(root / "enrolments-again.csv") == ids


def test_pseudonymised_files_are_accepted(run):
    r, _, _ = run
    assert r.outcome.failures == []
    assert r.query("select count(*) from rejected_files") == [(0,)]
    assert dict(r.query("select file_name, status from input_files")) == {
        "linked/schools.csv": "loaded",
        "linked/enrolments.csv": "loaded",
        "linked/support.xlsx": "loaded",
        "linked/leerplicht-other-key.parquet": "loaded",
    }
    assert r.query("""select file_name, count(*), count(reason_code) from stg_linked_support
                      group by all order by all""") == [
        ("linked/leerplicht-other-key.parquet", len(ENROLLED_2024), 0),
        ("linked/support.xlsx", len(F.LINKED_SUPPORT), 0),
    ]
    assert r.query("select count(*), count(reason_code) from stg_linked_enrolments") == [(len(ENROLLED_2024), 0)]


def test_no_bsn_in_the_warehouse(run):
    r, _, _ = run
    con = duckdb.connect(str(r.warehouse), read_only=True)
    try:
        for (table,) in con.execute("select table_name from duckdb_tables()").fetchall():
            text = "\n".join(str(row) for row in con.execute(f"select * from {table}").fetchall())
            for bsn in BSN.values():
                assert bsn not in text and bsn.lstrip("0") not in text, (table, bsn)
    finally:
        con.close()


def test_same_key_links_support_to_enrolments(run):
    """With the support pseudonymised by the same key, the tables are the hand-worked ones."""
    r, _, _ = run
    flows = {
        (s, o, d, dom): (n, k)
        for s, o, d, dom, n, k in r.query(
            """
        select sector, origin_code, destination_code, support_domain, students, students_with_support
        from support_flows where school_year = ?""",
            [F.Y2024],
        )
    }
    assert flows == {
        (s, o, d, dom): (n, by_domain.get(dom, 0))
        for (s, o, d), (n, by_domain) in H.FLOWS[F.Y2024].items()
        for dom in H.DOMAINS
    }
    needs = {
        (lv, a, b, s): (need, n, ow, k)
        for lv, a, b, s, need, n, ow, k in r.query(
            """
        select level, local_team_municipality_code, school_municipality_code, school_location_id,
               need_level, students_with_support, students_with_school_support, schools
        from agreement_needs where school_year = ?""",
            [F.Y2024],
        )
    }
    assert needs == H.NEEDS[F.Y2024]


def test_other_key_links_to_nobody(run):
    r, _, _ = run
    # leerplicht in the year: P06 and P11 only (fixture); the K2 episodes of all 19 pupils are not theirs
    assert r.query(
        """select sum(students_with_support) from support_flows
                      where school_year = ? and support_domain = 'leerplicht'""",
        [F.Y2024],
    ) == [(2,)]
    other = {
        i
        for (i,) in r.query(
            "select student_id from stg_linked_support where file_name = 'linked/leerplicht-other-key.parquet'"
        )
    }
    enrolled = {i for (i,) in r.query("select student_id from stg_linked_enrolments")}
    same_key = {
        i for (i,) in r.query("select student_id from stg_linked_support where file_name = 'linked/support.xlsx'")
    }
    assert len(other) == len(enrolled) == len(ENROLLED_2024)
    assert not other & enrolled
    # every pupil with an episode links, except P19 (not enrolled): 16 pupils
    assert len(same_key & enrolled) == len({r[0] for r in F.LINKED_SUPPORT} - {"P19"})
