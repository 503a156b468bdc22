"""Synthetic national-scale inputs for the benchmark (issue 6): all 342 municipalities.

Not real pupils. At scale 1 the generator writes about 2.6 million enrolments per school
year (pupils aged 4-17 of every municipality, in proportion to its 2024 population), about
3 million support episodes over the years, and the DUO files that such pupils would give:

    OUT/linked/schools.csv                       school locations used (all of DUO's list)
    OUT/linked/enrolments_<school year>.parquet  one file per school year
    OUT/linked/support.parquet                   support episodes (all years)
    OUT/linked/SYNTHETIC, README.txt             the synthetic marker: everything says so
    OUT/duo/po/PEILDATUM=<date>/GEMEENTENUMMER=<nr>/*.csv
                                                 "leerlingen po per gemeente naar postcode leerling
                                                 en leeftijd": one file per school municipality
                                                 and count date (BO, SBO, SO, VSO)
    OUT/duo/vo/PEILDATUM=<date>/*.csv            "leerlingen per vestiging naar postcode leerling
                                                 en leerjaar" (VO, PRO), national, per count date
    OUT/duo/06.-historisch-overzicht-...csv      PO location totals, a column per count year

Formats are the ones the pipeline ingests (docs/inputs.md, docs/inputs-duo.md). With
`--format csv` the linked enrolments and support are written as CSV instead of Parquet.

How pupils are made (all set-based, in DuckDB SQL, no loop over rows): every pupil has a
home municipality, a home postcode (PC4 centroids of data/reference, assigned to the
nearest municipality), a birth year, a primary sector (BO 95%, SBO 2.5%, SO 2.5%) and a
secondary sector (VO 93%, PRO 4%, VSO 3%), and for each a school: 85% in the nearest
municipality that has a school of the sector (its own when it has one), the rest in one of
the next five nearest; a school is drawn among DUO's locations of that sector there
(data/reference/school_locations.csv, national). A pupil is enrolled in every school
year in which it is 4 to 17 years old (on 1 October): primary sector up to 11, secondary
from 12. Support episodes per pupil and domain, with a start date in the pupil's school
life and a duration of months; the responsible municipality is the home, 5% a
neighbour. Random numbers are hashes of (seed, pupil, purpose): the same seed and
scale give the same rows.

The extra school year after the last one (for the incremental measurement) goes to
OUT/extra/ with the same layout, so that it can be copied into the input folder later.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from grensverkeer import settings
from grensverkeer.demo import ID_SALT
from grensverkeer.ingest.kinds import PO_AGE_LABELS, PO_PC4_HEADER
from grensverkeer.ingest.linked import SYNTHETIC_MARKER

PUPILS_PER_YEAR = 2_600_000  # at scale 1
AGES = (4, 17)  # enrolled when 4..17 years old on 1 October
PRIMARY_MAX_AGE = 11
DOMAINS = {  # chance of a first episode per pupil; a second one with a third of that chance
    "jeugdhulp": 0.30,
    "jeugdbescherming": 0.04,
    "onderwijsondersteuning": 0.13,
    "leerplicht": 0.06,
}
SUPPORT_TYPES = {
    "jeugdhulp": ["ambulante jeugdhulp", "dagbehandeling", "jeugdhulp met verblijf"],
    "jeugdbescherming": ["ondertoezichtstelling", "voogdij", "jeugdreclassering"],
    "onderwijsondersteuning": ["arrangement", "toelaatbaarheidsverklaring"],
    "leerplicht": ["verzuimmelding", "vrijstelling"],
}
OWN_SHARE = 0.85  # pupils at the nearest municipality with a school of their sector
NEIGHBOURS = 5
OTHER_TEAM_SHARE = 0.05
TOTALS_FILE = "06.-historisch-overzicht-aantal-leerlingen-per-schoolvestiging.csv"
PO_HEAD_COLUMNS = list(PO_PC4_HEADER)
AGE_LABELS = PO_AGE_LABELS


@dataclass
class Generated:
    out_dir: Path
    years: list[int]  # first calendar years of the school years in OUT (not the extra year)
    extra_year: int | None
    counts: dict[str, int]  # enrolments, support, schools, duo_po_rows, duo_vo_rows, duo_files (main years)
    extra_counts: dict[str, int]
    seconds: float


def school_year(year: int) -> str:
    return f"{year}-{year + 1}"


def _rand(*parts: str) -> str:
    """SQL for a deterministic uniform number in [0, 1) from the hash of the parts."""
    return f"((hash({', '.join(parts)}) % 1000003) / 1000003.0)"


def _sql_list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _world(con: duckdb.DuckDBPyConnection, scale: float, years: list[int], seed: int) -> None:
    """Municipalities, schools, postcodes and pupils as temp tables."""
    ref = settings.REFERENCE_DIR.as_posix()
    first, last = min(years), max(years)
    per_cohort = PUPILS_PER_YEAR * scale / (AGES[1] - AGES[0] + 1)
    con.execute(f"""
        create or replace temp table schools as
        with src as (select * from read_csv('{ref}/school_locations.csv', header = true, all_varchar = true))
        select upper(school_location_id) as school_location_id, min(brin) as brin, min(name) as school_name,
               case when bool_and(sector = 'PRO') then 'PRO' when bool_or(sector in ('VO', 'PRO')) then 'VO'
                    else min(sector) end as school_type,
               min(municipality_code) as municipality_code, min(municipality_name) as place,
               min(postcode) as postcode, avg(latitude::double) as latitude, avg(longitude::double) as longitude
        from src group by 1;

        -- which pupil sectors a school type takes
        create or replace temp table school_sectors as
        select s.*, t.sector from schools s join (values
            ('BO', 'BO'), ('SBO', 'SBO'), ('SO', 'SO'), ('SO/VSO', 'SO'), ('VSO', 'VSO'), ('SO/VSO', 'VSO'),
            ('VO', 'VO'), ('PRO', 'PRO')) t(school_type, sector) using (school_type);

        create or replace temp table munis as
        select m.code, m.name, p.inhabitants,
               avg(s.latitude) as latitude, avg(s.longitude) as longitude
        from read_csv('{ref}/municipalities.csv', all_varchar = true) m
        join read_csv('{ref}/population_2024.csv', types = {{'code': 'varchar'}}) p using (code)
        left join schools s on s.municipality_code = m.code
        group by all;

        -- numbered schools per (municipality, sector): a pupil draws one by number
        create or replace temp table school_slots as
        select municipality_code, sector, school_location_id,
               row_number() over (partition by municipality_code, sector order by school_location_id) - 1 as slot,
               count(*) over (partition by municipality_code, sector) as slots
        from school_sectors;

        -- per home municipality and sector: destination municipalities with such schools, nearest first
        create or replace temp table destinations as
        with d as (
            select m.code as home, g.municipality_code as dest, g.sector,
                   (m.latitude - d.latitude) ^ 2 + ((m.longitude - d.longitude) * 0.61) ^ 2 as dist2
            from munis m
            cross join (select distinct municipality_code, sector from school_slots) g
            join munis d on d.code = g.municipality_code
        )
        select home, sector, dest, rank - 1 as rank from (
            select *, row_number() over (partition by home, sector order by dist2, dest) as rank from d)
        where rank <= {NEIGHBOURS + 1};

        -- home postcodes: every PC4 belongs to the nearest municipality; one without gets its nearest PC4
        create or replace temp table postcodes as
        with pc as (select * from read_csv('{ref}/pc4_centroids.csv', types = {{'pc4': 'varchar'}})),
        d as (
            select pc.pc4, m.code,
                   row_number() over (partition by pc.pc4 order by (m.latitude - pc.latitude) ^ 2
                                      + ((m.longitude - pc.longitude) * 0.61) ^ 2, m.code) as r_pc,
                   row_number() over (partition by m.code order by (m.latitude - pc.latitude) ^ 2
                                      + ((m.longitude - pc.longitude) * 0.61) ^ 2, pc.pc4) as r_m
            from pc cross join munis m
        ),
        chosen as (select distinct code, pc4 from d where r_pc = 1 or r_m = 1)
        select code, pc4, row_number() over (partition by code order by pc4) - 1 as slot,
               count(*) over (partition by code) as slots
        from chosen;

        -- pupils: per municipality and birth year in proportion to its population
        create or replace temp table pupils as
        with cohorts as (
            select code, birth_year,
                   round({per_cohort} * inhabitants / sum(inhabitants) over (partition by birth_year))::bigint as n
            from munis cross join range({first - AGES[1]}, {last - AGES[0] + 1}) b(birth_year)
        ),
        people as (
            select code as home, birth_year, unnest(range(n)) as k from cohorts
        ),
        numbered as (
            select row_number() over (order by home, birth_year, k) as pid, home, birth_year from people
        ),
        drawn as (
            select *,
                   {_rand("pid", "'pc'", str(seed))} as u_pc,
                   {_rand("pid", "'ps'", str(seed))} as u_ps,
                   {_rand("pid", "'ss'", str(seed))} as u_ss,
                   {_rand("pid", "'pd'", str(seed))} as u_pd,
                   {_rand("pid", "'sd'", str(seed))} as u_sd,
                   {_rand("pid", "'pk'", str(seed))} as u_pk,
                   {_rand("pid", "'sk'", str(seed))} as u_sk
            from numbered
        ),
        sectors as (
            select *,
                   case when u_ps < 0.95 then 'BO' when u_ps < 0.975 then 'SBO' else 'SO' end as primary_sector,
                   case when u_ss < 0.93 then 'VO' when u_ss < 0.97 then 'PRO' else 'VSO' end as secondary_sector,
                   case when u_pd < {OWN_SHARE} then 0 else 1 + floor((u_pd - {OWN_SHARE}) / (1 - {OWN_SHARE}) * {NEIGHBOURS})::int end as primary_rank,
                   case when u_sd < {OWN_SHARE} then 0 else 1 + floor((u_sd - {OWN_SHARE}) / (1 - {OWN_SHARE}) * {NEIGHBOURS})::int end as secondary_rank
            from drawn
        )
        select p.pid, p.home, p.birth_year, pc.pc4,
               p.primary_sector, ps.school_location_id as primary_school,
               p.secondary_sector, ss.school_location_id as secondary_school,
               sha256('{ID_SALT}-national/' || {int(seed)} || '/' || p.pid) as student_id
        from sectors p
        join postcodes pc on pc.code = p.home and pc.slot = floor(p.u_pc * pc.slots)
        join destinations pd on pd.home = p.home and pd.sector = p.primary_sector and pd.rank = p.primary_rank
        join school_slots ps on ps.municipality_code = pd.dest and ps.sector = p.primary_sector
                            and ps.slot = floor(p.u_pk * ps.slots)
        join destinations sd on sd.home = p.home and sd.sector = p.secondary_sector and sd.rank = p.secondary_rank
        join school_slots ss on ss.municipality_code = sd.dest and ss.sector = p.secondary_sector
                            and ss.slot = floor(p.u_sk * ss.slots);
    """)


def _enrolments_sql(year: int) -> str:
    """Enrolments of one school year (first calendar year `year`)."""
    return f"""
        select '{school_year(year)}' as school_year, student_id,
               case when {year} - birth_year <= {PRIMARY_MAX_AGE} then primary_school else secondary_school end
                   as school_location_id,
               case when {year} - birth_year <= {PRIMARY_MAX_AGE} then primary_sector else secondary_sector end as sector,
               home as residence_municipality_code, pc4 as residence_postcode4, birth_year::integer as birth_year
        from pupils
        where {year} - birth_year between {AGES[0]} and {AGES[1]}
    """


def _support(con: duckdb.DuckDBPyConnection, years: list[int], seed: int) -> None:
    first, last = min(years), max(years)
    domains = ", ".join(f"('{d}', {p}, {_sql_list(SUPPORT_TYPES[d])})" for d, p in DOMAINS.items())
    con.execute(f"""
        create or replace temp table support as
        with domains(domain, p, types) as (values {domains}),
        candidates as (
            select p.pid, p.student_id, p.home, p.birth_year, d.domain, d.types, e.episode,
                   {_rand("p.pid", "d.domain", "e.episode", str(seed))} as u,
                   case when e.episode = 1 then d.p else d.p / 3 end as chance
            from pupils p cross join domains d cross join (values (1), (2)) e(episode)
        ),
        episodes as (
            select *,
                   {_rand("pid", "domain", "episode", "'start'", str(seed))} as u_start,
                   {_rand("pid", "domain", "episode", "'len'", str(seed))} as u_len,
                   {_rand("pid", "domain", "episode", "'type'", str(seed))} as u_type,
                   {_rand("pid", "domain", "episode", "'team'", str(seed))} as u_team
            from candidates where u < chance
        ),
        dated as (
            select *,
                   -- a start day between the pupil's 4th birthday (or the first school year) and the last one's end
                   greatest(make_date(birth_year::bigint + 4, 1, 1), make_date({first}, 8, 1)) as window_start,
                   make_date({last + 1}, 7, 31) as window_end
            from episodes
        ),
        started as (
            select *,
                   window_start + floor(u_start * (window_end - window_start + 1))::integer as start_date,
                   -- durations of 1 to ~40 months, median ~8
                   greatest(1, round(-ln(1 - u_len) * 350))::integer as days
            from dated where window_end >= window_start
        )
        select s.student_id,
               s.domain as support_domain,
               s.types[1 + floor(s.u_type * len(s.types))::integer] as support_type,
               case when s.u_team < {OTHER_TEAM_SHARE} then d.dest else s.home end as responsible_municipality_code,
               'Lokaal team ' || m.name as local_team,
               s.start_date,
               case when s.start_date + s.days > s.window_end then null else s.start_date + s.days end as end_date
        from started s
        left join destinations d on d.home = s.home and d.sector = 'BO' and d.rank = 1
        join munis m on m.code = case when s.u_team < {OTHER_TEAM_SHARE} then d.dest else s.home end
        order by s.student_id, s.start_date, s.domain
    """)


def _write_duo(con: duckdb.DuckDBPyConnection, out: Path, years: list[int], totals_years: list[int]) -> dict[str, int]:
    """DUO-shaped public files of the given count years (aggregated from the enrolments, '<5' masked)."""
    enrol = " union all ".join(_enrolments_sql(y) for y in totals_years)
    ages_po = ", ".join(
        f"count(*) filter (where age {'< 4' if a == 'JONGER' else '> 24' if a == 'OUDER' else '= ' + a}) as LEEFTIJD_{a}"
        for a in AGE_LABELS
    )
    mask = "case when {c} between 1 and 4 then '<5' else {c}::varchar end"
    con.execute(f"""
        create or replace temp table duo_pupils as
        select e.*, left(e.school_year, 4)::integer as count_year,
               left(e.school_year, 4)::integer - e.birth_year as age,
               s.brin, right(e.school_location_id, 2) as vest, s.school_name, s.postcode, s.place,
               s.municipality_code as school_municipality_code, sm.name as school_municipality_name,
               hm.name as home_name
        from ({enrol}) e
        join schools s using (school_location_id)
        join munis sm on sm.code = s.municipality_code
        join munis hm on hm.code = e.residence_municipality_code
    """)
    po = out / "duo" / "po"
    vo = out / "duo" / "vo"
    po.mkdir(parents=True, exist_ok=True)
    vo.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        create or replace temp table po_counts as
        select count_year, sector, school_location_id, brin, vest, any_value(school_name) as school_name,
               any_value(postcode) as postcode, any_value(place) as place,
               school_municipality_code, any_value(school_municipality_name) as school_municipality_name,
               residence_postcode4, home_name, {ages_po}
        from duo_pupils where sector in ('BO', 'SBO', 'SO', 'VSO')
        group by count_year, sector, school_location_id, brin, vest, school_municipality_code,
                 residence_postcode4, home_name
    """)
    po_cells = ", ".join(f"{mask.format(c='LEEFTIJD_' + a)} as LEEFTIJD_{a}" for a in AGE_LABELS)
    con.execute(f"""
        copy (
            select count_year::varchar || '1001' as PEILDATUM,
                   right(school_municipality_code, 4) as GEMEENTENUMMER,
                   upper(school_municipality_name) as GEMEENTENAAM,
                   residence_postcode4 as POSTCODE_LEERLING,
                   home_name as GEMEENTENAAM_LEERLING,
                   brin as INSTELLINGSCODE, vest as VESTIGINGSCODE, school_name as INSTELLINGSNAAM_VESTIGING,
                   postcode as POSTCODE_VESTIGING, upper(place) as PLAATSNAAM, '' as PROVINCIE,
                   case sector when 'BO' then 'Bo' when 'SBO' then 'Sbo' when 'SO' then 'So' else 'Vso' end as SOORT_PO,
                   'Openbaar' as DENOMINATIE_VESTIGING, '10000' as BEVOEGD_GEZAG_NUMMER,
                   {po_cells}
            from po_counts where count_year in ({", ".join(map(str, years))})
            order by PEILDATUM, GEMEENTENUMMER, INSTELLINGSCODE, VESTIGINGSCODE, POSTCODE_LEERLING, GEMEENTENAAM_LEERLING, SOORT_PO
        ) to '{po.as_posix()}' (format csv, delimiter ';', header true, quote '"', force_quote *,
                               partition_by (PEILDATUM, GEMEENTENUMMER), write_partition_columns true,
                               overwrite_or_ignore true)
    """)
    vo_cells = ", ".join(
        mask.format(c=f"count(*) filter (where age - 11 = {j})") + f" as LEER_OF_VERBLIJFSJAAR_{j}" for j in range(1, 7)
    )
    con.execute(f"""
        copy (
            select count_year::varchar || '1001' as PEILDATUM, brin as INSTELLINGSCODE, vest as VESTIGINGSCODE,
                   any_value(school_name) as INSTELLINGSNAAM_VESTIGING,
                   right(school_municipality_code, 4) as GEMEENTENUMMER,
                   upper(any_value(school_municipality_name)) as GEMEENTENAAM,
                   residence_postcode4 as POSTCODE_LEERLING, upper(home_name) as PLAATSNAAM_LEERLING,
                   right(residence_municipality_code, 4) as GEMEENTENUMMER_LEERLING,
                   home_name as GEMEENTENAAM_LEERLING, {vo_cells}
            from duo_pupils where sector in ('VO', 'PRO') and count_year in ({", ".join(map(str, years))})
            group by count_year, brin, vest, school_municipality_code, residence_postcode4, home_name,
                     residence_municipality_code
            order by all
        ) to '{vo.as_posix()}' (format csv, delimiter ';', header true, partition_by (PEILDATUM),
                               write_partition_columns true, overwrite_or_ignore true)
    """)
    # Location totals: one row per PO location, a column per count year (true totals, '<5' masked).
    cols = ", ".join(
        f"coalesce({mask.format(c=f'sum(n) filter (where count_year = {y})')}, '0') as LEERLINGEN_{y}"
        for y in totals_years
    )
    con.execute(f"""
        copy (
            with per_year as (
                select school_location_id, count_year, sum({" + ".join("LEEFTIJD_" + a for a in AGE_LABELS)}) as n
                from po_counts group by all
            )
            select s.brin as INSTELLINGSCODE, s.school_location_id as VESTIGINGSCODE, s.school_name as NAAM_VESTIGING,
                   case s.school_type when 'SO/VSO' then 'SO' else s.school_type end as SOORT_VESTIGING,
                   'Openbaar' as DENOMINATIE_VESTIGING, '10000' as BEVOEGD_GEZAG_NUMMER,
                   ltrim(right(s.municipality_code, 4), '0') as GEMEENTECODE_VESTIGING,
                   upper(s.place) as GEMEENTENAAM_VESTIGING, {cols}
            from schools s join per_year p using (school_location_id)
            where s.school_type in ('BO', 'SBO', 'SO', 'VSO', 'SO/VSO')
            group by all order by VESTIGINGSCODE
        ) to '{(out / "duo" / TOTALS_FILE).as_posix()}' (format csv, delimiter ';', header true)
    """)
    in_years = f"count_year in ({', '.join(map(str, years))})"
    po_rows = con.sql(f"select count(*) from po_counts where {in_years}").fetchall()[0][0]
    vo_rows = con.sql(
        "select count(*) from (select distinct count_year, school_location_id, residence_postcode4, "
        f"home_name from duo_pupils where sector in ('VO', 'PRO') and {in_years})"
    ).fetchall()[0][0]
    files = sum(1 for _ in (out / "duo").rglob("*.csv"))
    return {"duo_po_rows": po_rows, "duo_vo_rows": vo_rows, "duo_files": files}


def _write_linked(
    con: duckdb.DuckDBPyConnection, out: Path, years: list[int], fmt: str, support_rows: bool
) -> dict[str, int]:
    linked = out / "linked"
    linked.mkdir(parents=True, exist_ok=True)
    options = (
        "format parquet, compression zstd, row_group_size 1000000" if fmt == "parquet" else "format csv, header true"
    )
    suffix = "parquet" if fmt == "parquet" else "csv"
    enrolments = 0
    for year in years:
        path = linked / f"enrolments_{school_year(year)}.{suffix}"
        con.execute(
            f"copy ({_enrolments_sql(year)} order by school_location_id, student_id) to '{path.as_posix()}' ({options})"
        )
        enrolments += con.sql(f"select count(*) from ({_enrolments_sql(year)})").fetchall()[0][0]
    counts = {"enrolments": enrolments}
    if support_rows:
        con.execute(f"copy support to '{(linked / f'support.{suffix}').as_posix()}' ({options})")
        counts["support"] = con.sql("select count(*) from support").fetchall()[0][0]
        con.execute(f"""
            copy (select school_location_id, school_name,
                         case school_type when 'SO/VSO' then 'SO' else school_type end as sector,
                         municipality_code, round(latitude, 6) as latitude, round(longitude, 6) as longitude,
                         null::varchar as swv_code
                  from schools order by school_location_id) to '{(linked / "schools.csv").as_posix()}' (format csv, header true)
        """)
        counts["schools"] = con.sql("select count(*) from schools").fetchall()[0][0]
        (linked / SYNTHETIC_MARKER).write_text(
            "Synthetic national benchmark data (benchmarks/national_data.py): not real pupils.\n", encoding="utf-8"
        )
        (linked / "README.txt").write_text(
            "SYNTHETISCHE BENCHMARKDATA - GEEN ECHTE LEERLINGEN / SYNTHETIC BENCHMARK DATA - NOT REAL PUPILS\n"
            "Made by benchmarks/national_data.py for the national-scale benchmark (docs/performance.md).\n",
            encoding="utf-8",
        )
    return counts


def generate_national(
    out_dir: Path,
    scale: float = 1.0,
    first_year: int = 2016,
    n_years: int = 10,
    seed: int = 6,
    extra_year: bool = True,
    fmt: str = "parquet",
    threads: int | None = None,
    memory_limit: str = "8GB",
) -> Generated:
    """Write national inputs for `n_years` school years from `first_year` to OUT_DIR (emptied
    first), and the year after to OUT_DIR/extra (when `extra_year`)."""
    if not 0 < scale <= 4:
        raise ValueError("scale must be in (0, 4]")
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    years = list(range(first_year, first_year + n_years))
    all_years = years + ([years[-1] + 1] if extra_year else [])
    con = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "preserve_insertion_order": False,
            **({"threads": threads} if threads else {}),
        }
    )
    con.execute(f"set temp_directory = '{(out_dir / '.tmp').as_posix()}'")
    _world(con, scale, all_years, seed)
    _support(con, years, seed)
    counts = _write_linked(con, out_dir, years, fmt, support_rows=True)
    counts.update(_write_duo(con, out_dir, years, years))
    extra_counts = {}
    if extra_year:
        extra = out_dir / "extra"
        extra_counts = _write_linked(con, extra, all_years[-1:], fmt, support_rows=False)
        # DUO's next totals file has a column more: it replaces the one in the input folder.
        extra_counts.update(_write_duo(con, extra, all_years[-1:], all_years))
    con.close()
    shutil.rmtree(out_dir / ".tmp", ignore_errors=True)
    return Generated(
        out_dir, years, all_years[-1] if extra_year else None, counts, extra_counts, time.perf_counter() - t0
    )
