"""The synthetic demo set of linked records (grensverkeer.demo, `grensverkeer demo-data`)."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from grensverkeer import settings
from grensverkeer.demo import DEFAULT_OUT_DIR, DEFAULT_SUPPORT_CONFIG, add_demo_parser, generate_demo

FILES = ("schools.csv", "enrolments.parquet", "support.parquet", "README.txt")
SECTORS = {"BO", "SBO", "SO", "VSO", "VO", "PRO"}
DOMAINS = {"jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht"}
REGION = set(settings.load_region(settings.DEFAULT_REGION_FILE).codes)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo_small")
    generate_demo(out, seed=2024, scale=0.25)
    return out


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("demo_full")
    return out, generate_demo(out)  # default seed and years: what is bundled


def _con(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create view e as select * from read_parquet('{folder / 'enrolments.parquet'}')")
    con.execute(f"create view sup as select * from read_parquet('{folder / 'support.parquet'}')")
    con.execute(f"create view s as select * from read_csv('{folder / 'schools.csv'}', all_varchar = true)")
    return con


def _one(con, q):
    return con.execute(q).fetchall()[0][0]


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes(small, tmp_path):
    generate_demo(tmp_path, seed=2024, scale=0.25)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (small / name).read_bytes(), name


def test_different_seed_differs(small, tmp_path):
    generate_demo(tmp_path, seed=7, scale=0.25)
    for name in ("enrolments.parquet", "support.parquet"):
        assert (tmp_path / name).read_bytes() != (small / name).read_bytes(), name
    a, b = _con(small), _con(tmp_path)
    assert not set(a.execute("select student_id from e").fetchall()) & set(
        b.execute("select student_id from e").fetchall()
    )


def test_bundled_demo_is_what_the_generator_writes(full):
    """data/inputs/linked/ must be regenerated when the generator or its inputs change."""
    out, _ = full
    for name in FILES:
        bundled = DEFAULT_OUT_DIR / name
        assert bundled.exists(), f"{bundled} missing: run `grensverkeer demo-data`"
        assert bundled.read_bytes() == (out / name).read_bytes(), f"{name} is stale: run `grensverkeer demo-data`"


# --- contract ------------------------------------------------------------------------------


def test_files_counts_and_label(full):
    out, counts = full
    assert set(counts) == {"schools", "enrolments", "support"}
    assert pq.ParquetFile(out / "enrolments.parquet").metadata.num_rows == counts["enrolments"]
    assert pq.ParquetFile(out / "support.parquet").metadata.num_rows == counts["support"]
    assert len((out / "schools.csv").read_text("utf-8").splitlines()) == counts["schools"] + 1
    assert (out / "SYNTHETIC").exists() and (DEFAULT_OUT_DIR / "SYNTHETIC").exists()
    readme = (out / "README.txt").read_text("utf-8")
    for text in ("GEEN ECHTE LEERLINGEN", "NOT REAL PUPILS", "grensverkeer demo-data --seed 2024", "synthetic"):
        assert text in readme
    # zstd, and small enough to bundle
    for name in ("enrolments.parquet", "support.parquet"):
        meta = pq.ParquetFile(out / name).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
    assert (out / "enrolments.parquet").stat().st_size < 10_000_000


def test_columns_and_types(small):
    con = _con(small)
    assert [(c, t) for c, t, *_ in con.execute("describe e").fetchall()] == [
        ("school_year", "VARCHAR"),
        ("student_id", "VARCHAR"),
        ("school_location_id", "VARCHAR"),
        ("sector", "VARCHAR"),
        ("residence_municipality_code", "VARCHAR"),
        ("residence_postcode4", "VARCHAR"),
        ("birth_year", "INTEGER"),
    ]
    assert [(c, t) for c, t, *_ in con.execute("describe sup").fetchall()] == [
        ("student_id", "VARCHAR"),
        ("support_domain", "VARCHAR"),
        ("support_type", "VARCHAR"),
        ("responsible_municipality_code", "VARCHAR"),
        ("local_team", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
    ]
    header = (small / "schools.csv").read_text("utf-8").splitlines()[0]
    assert header == "school_location_id,school_name,sector,municipality_code,latitude,longitude,swv_code"

    assert (
        _one(
            con,
            """select count(*) from e where school_year is null or student_id is null
        or school_location_id is null or sector is null or residence_municipality_code is null
        or residence_postcode4 is null or birth_year is null""",
        )
        == 0
    )
    assert {y for (y,) in con.execute("select distinct school_year from e").fetchall()} == {
        "2022-2023",
        "2023-2024",
        "2024-2025",
    }
    assert (
        _one(con, "select count(*) from e where not regexp_full_match(school_location_id, '[0-9A-Z]{4}[0-9]{2}')") == 0
    )
    assert (
        _one(con, "select count(*) from e where not regexp_full_match(residence_municipality_code, 'GM[0-9]{4}')") == 0
    )
    assert _one(con, "select count(*) from e where not regexp_full_match(residence_postcode4, '[1-9][0-9]{3}')") == 0
    assert {s for (s,) in con.execute("select distinct sector from e").fetchall()} == SECTORS
    assert (
        _one(
            con,
            """select count(*) from e
        where cast(left(school_year, 4) as int) - birth_year not between 3 and 25""",
        )
        == 0
    )
    assert (
        _one(con, "select count(*) from (select school_year, student_id from e group by all having count(*) > 1)") == 0
    )

    assert {d for (d,) in con.execute("select distinct support_domain from sup").fetchall()} == DOMAINS
    assert (
        _one(
            con,
            """select count(*) from sup where student_id is null or support_type is null
        or local_team is null or start_date is null
        or not regexp_full_match(responsible_municipality_code, 'GM[0-9]{4}')""",
        )
        == 0
    )

    assert (
        _one(con, "select count(*) from s where not regexp_full_match(school_location_id, '[0-9A-Z]{4}[0-9]{2}')") == 0
    )
    assert _one(con, "select count(*) - count(distinct school_location_id) from s") == 0
    assert _one(con, "select count(*) from s where sector not in ('BO','SBO','SO','VSO','VO','PRO')") == 0
    assert _one(con, "select count(*) from s where not regexp_full_match(municipality_code, 'GM[0-9]{4}')") == 0
    assert _one(con, "select count(*) from s where school_name is null") == 0
    assert _one(con, "select count(*) from s where swv_code is not null") == 0  # unknown: left empty
    assert (
        _one(
            con,
            """select count(*) from s where latitude is not null and (
        cast(latitude as double) not between 51.5 and 52.5 or cast(longitude as double) not between 3.8 and 5.0)""",
        )
        == 0
    )


def _elfproef(digits: str) -> bool:
    if not re.fullmatch(r"\d{9}", digits):
        return False
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 == 0


def test_student_ids_are_pseudonyms_never_bsn(small):
    con = _con(small)
    assert _one(con, "select count(*) from e where not regexp_full_match(student_id, '[0-9a-f]{64}')") == 0
    assert _one(con, "select count(*) from sup where not regexp_full_match(student_id, '[0-9a-f]{64}')") == 0
    ids = [i for (i,) in con.execute("select distinct student_id from e").fetchall()]
    assert not any(_elfproef(i) for i in ids)
    assert _one(con, "select count(*) from e where regexp_full_match(student_id, '[0-9]{8,9}')") == 0
    assert _elfproef("111222333") and not _elfproef("111222334")  # the check itself works


def test_privacy_check_finds_no_bsn_in_demo(small):
    """The BSN detector that guards linked inputs accepts every demo file."""
    import polars as pl

    from grensverkeer.privacy import find_bsn_columns

    assert find_bsn_columns(pl.read_parquet(small / "enrolments.parquet")) == []
    assert find_bsn_columns(pl.read_parquet(small / "support.parquet")) == []
    assert find_bsn_columns(pl.read_csv(small / "schools.csv", infer_schema_length=0)) == []


def test_every_enrolment_school_is_in_schools(small):
    con = _con(small)
    assert _one(con, "select count(*) from e anti join s using (school_location_id)") == 0
    assert _one(con, "select count(*) from s anti join e using (school_location_id)") == 0


def test_support_episodes_are_consistent(small):
    con = _con(small)
    assert _one(con, "select count(*) from sup where end_date < start_date") == 0
    assert _one(con, "select count(*) from sup anti join e using (student_id)") == 0
    assert _one(con, "select count(*) from sup where end_date is null") > 0  # some are ongoing
    assert _one(con, "select count(*) from sup where start_date > date '2025-07-31'") == 0
    assert _one(con, "select count(*) from sup where end_date < date '2022-08-01'") == 0
    # one team name per municipality
    assert (
        _one(
            con,
            """select count(*) from (select responsible_municipality_code from sup
        group by all having count(distinct local_team) > 1)""",
        )
        == 0
    )
    assert (
        _one(con, "select local_team from sup where responsible_municipality_code = 'GM0503' limit 1")
        == "Jeugdteam Delft"
    )


def test_ids_are_stable_over_years(small):
    con = _con(small)
    # same pupil, same birth year, home and sector in every year it appears
    assert (
        _one(
            con,
            """select count(*) from (select student_id from e group by all having
        count(distinct birth_year) > 1 or count(distinct residence_municipality_code) > 1
        or count(distinct residence_postcode4) > 1 or count(distinct sector) > 1)""",
        )
        == 0
    )
    carried = _one(
        con,
        """select avg((b.student_id is not null)::int) from e a
        left join e b on b.student_id = a.student_id and b.school_year = '2023-2024'
        where a.school_year = '2024-2025' and a.sector = 'BO' and 2024 - a.birth_year between 5 and 11""",
    )
    assert carried > 0.9
    moved = _one(
        con,
        """select avg((a.school_location_id <> b.school_location_id)::int) from e a
        join e b on b.student_id = a.student_id and b.school_year = '2023-2024'
        where a.school_year = '2024-2025'""",
    )
    assert 0.015 < moved < 0.05


# --- shape -----------------------------------------------------------------------------------


def test_pupils_per_year_and_sector(full):
    con = _con(full[0])
    per_year = dict(con.execute("select school_year, count(*) from e group by all").fetchall())
    for n in per_year.values():
        assert 140_000 < n < 190_000
    assert max(per_year.values()) / min(per_year.values()) < 1.05
    bo = _one(con, "select count(*) from e where school_year = '2024-2025' and sector in ('BO','SBO','SO','VSO')")
    assert 95_000 < bo < 101_000  # DUO 2024, nine municipality files: ~97,900 pupils (<5 read as ~1.5)


def test_cross_border_shares_plausible(full):
    con = _con(full[0])
    share = dict(
        con.execute("""select e.sector, avg((s.municipality_code <> e.residence_municipality_code)::int)
        from e join s using (school_location_id) where e.school_year = '2024-2025' group by all""").fetchall()
    )
    assert 0.06 < share["BO"] < 0.14  # real ~9%
    assert 0.30 < share["SO"] < 0.52  # real ~40%
    assert 0.32 < share["VSO"] < 0.55  # real ~42%
    assert share["VO"] > share["BO"]
    outside = _one(
        con,
        f"""select avg((s.municipality_code not in {tuple(sorted(REGION))})::int)
        from e join s using (school_location_id) where e.sector in ('VO', 'PRO')""",
    )
    assert 0.03 < outside < 0.35  # some VO pupils leave the region


def test_support_shares_near_config(full):
    con = _con(full[0])
    cfg = tomllib.loads(DEFAULT_SUPPORT_CONFIG.read_text("utf-8"))
    observed = {
        (sec, dom): v
        for sec, dom, v in con.execute("""
        with py as (select school_year, student_id, sector,
                           make_date(cast(left(school_year, 4) as int), 8, 1) as ys,
                           make_date(cast(left(school_year, 4) as int) + 1, 7, 31) as ye from e),
        hit as (select distinct py.school_year, py.student_id, sup.support_domain from py
                join sup on sup.student_id = py.student_id and sup.start_date <= py.ye
                and coalesce(sup.end_date, date '9999-12-31') >= py.ys),
        n as (select sector, count(*) as n from e group by all)
        select py.sector, hit.support_domain, count(*) / any_value(n.n)
        from hit join py using (school_year, student_id) join n on n.sector = py.sector group by all""").fetchall()
    }
    for dom, dcfg in cfg["domain"].items():
        for sec, want in dcfg["share"].items():
            got = observed.get((sec, dom), 0.0)
            assert abs(got - want) <= 0.25 * want + 0.004, (dom, sec, got, want)
    # responsible municipality: the residence, except ~5% of youth protection episodes
    other = dict(
        con.execute("""select sup.support_domain,
            avg((sup.responsible_municipality_code <> r.res)::int)
        from sup join (select student_id, any_value(residence_municipality_code) as res from e group by 1) r
        using (student_id) group by all""").fetchall()
    )
    assert other["jeugdhulp"] == 0 and other["leerplicht"] == 0
    assert 0.02 < other["jeugdbescherming"] < 0.09


# --- command line ----------------------------------------------------------------------------


def test_demo_data_subcommand(tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="grensverkeer")
    add_demo_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["demo-data", "--out", str(tmp_path / "linked"), "--seed", "5", "--scale", "0.05"])
    assert args.func(args) == 0
    for name in FILES:
        assert (tmp_path / "linked" / name).exists()
    assert "--seed 5 --scale 0.05" in (tmp_path / "linked" / "README.txt").read_text("utf-8")
    assert "Not real pupils" in capsys.readouterr().out
    defaults = parser.parse_args(["demo-data"])
    assert Path(defaults.out) == DEFAULT_OUT_DIR and defaults.seed == 2024
