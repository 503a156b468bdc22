"""Linked pseudonymised records: raw files and checked staging tables."""

from dagster import AssetCheckResult, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..expectations import gxe, run_suite
from ..ingest.linked import load_linked_years
from ..partitions import one_run, school_years, step_years
from ..resources import ProjectPaths
from .reference import reference_tables
from .staging import SECTORS

DOMAINS = ["jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht"]


def set_linked_variables(con, paths: ProjectPaths) -> None:
    """The region's agreement thresholds, as SQL variables for the linked models. (The source
    label is not one: it is stored with each record when its file is loaded.)"""
    agreements = paths.region().agreements
    con.execute("set variable agreement_domains = ?::varchar[]", [list(agreements["domains"])])
    for key in ("pair_agreement_needed", "pair_attention", "school_agreement_needed", "school_attention"):
        con.execute(f"set variable {key} = ?::integer", [int(agreements[key])])


@asset(
    group_name="raw",
    partitions_def=school_years,
    backfill_policy=one_run,
    description="Linked files of INPUT/linked (schools, enrolments, support; CSV, Parquet or XLSX) loaded: "
    "raw_linked_* show their rows (read once per file version, into linked_rows_*); files with BSNs or "
    "otherwise unusable go to rejected_files before anything is written.",
)
def linked_raw_files(context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths) -> MaterializeResult:
    years = step_years(context)
    with duckdb.get_connection() as con:
        warehouse.setup(con)
        # Set-based: the folder is hashed once; a file's rows were written when it was read
        # (discovery), so loading it is a row per school year in linked_loaded; one transaction.
        con.execute("begin transaction")
        results = load_linked_years(con, paths.input_path, [int(year[:4]) for year in years])
        con.execute("commit")
    # Files, not files per year: a file rejected or loaded once is said once.
    loaded = dict.fromkeys(name for r in results.values() for name in r.loaded)
    rejected = dict(item for r in results.values() for item in r.rejected)
    for name, message in rejected.items():
        context.log.error(f"Rejected file {name}: {message}")
    return MaterializeResult(
        metadata={
            "files_loaded": len(loaded),
            "files_rejected": len(rejected),
            "synthetic": next(iter(results.values())).synthetic,
            "rejected": "\n".join(f"{n}: {m}" for n, m in rejected.items()) or "none",
        }
    )


@asset(
    group_name="staging",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[linked_raw_files, reference_tables],
    description="Linked schools, support episodes and the year's enrolments, checked; rows that cannot be "
    "used are copied to rejected_rows (source 'linked').",
)
def stg_linked_records(
    context: AssetExecutionContext, duckdb: DuckDBResource, paths: ProjectPaths
) -> MaterializeResult:
    with duckdb.get_connection() as con:
        set_linked_variables(con, paths)
        schools, support, enrolments, rejected = run_linked_staging(con, step_years(context))
    return MaterializeResult(
        metadata={
            "schools": schools,
            "support_episodes": support,
            "enrolments": enrolments,
            "rejected_enrolments": rejected,
        }
    )


def run_linked_staging(con, years: list[str]) -> tuple[int, int, int, int]:
    """The models of stg_linked_records over `years` (the benchmark benchmarks/linked_load.py runs
    them too): schools, support episodes, the reference files' rejected rows, the enrolments.
    Returns (schools, support episodes, enrolments, rejected enrolments)."""
    schools = warehouse.run_model(con, "staging/stg_linked_schools")
    # Not tied to a school year: built again only when the support rows (with their source
    # label) or the reference tables changed since the last run built it.
    support = warehouse.run_model_if_changed(
        con,
        "staging/stg_linked_support",
        inputs=[
            "raw_linked_support",
            "ref_municipality_mergers",
            "ref_municipalities",
            # the column maps a rejected row's raw text is made of (not seen_at: every run sets it)
            "(select file_name, sha256, column_map from input_files where kind = 'linked_support')",
        ],
    )
    warehouse.replace_rows(
        con, "staging/rejected_linked_reference_rows", "rejected_rows", "source = 'linked' and school_year is null"
    )
    enrolments, rejected = run_linked_enrolments(con, years)
    return schools, support, enrolments, rejected


def run_linked_enrolments(con, years: list[str]) -> tuple[int, int]:
    """stg_linked_enrolments and its rejected rows, one statement per school year
    (`warehouse.run_models_each_year`): a pupil is checked against the other rows of the same
    school year only; three national years took 7.6-7.9 s in one statement and 6.9-7.2 s one
    year at a time (docs/performance.md, Session 13). Returns (enrolments, rejected rows)."""
    enrolments, rejected = warehouse.run_models_each_year(
        con,
        [
            ("staging/stg_linked_enrolments", None, None),
            ("staging/rejected_linked_rows", "rejected_rows", "source = 'linked'"),
        ],
        years,
    )
    return enrolments, rejected


@asset_check(
    asset=stg_linked_records,
    blocking=True,
    description="Accepted linked rows: codes valid, sector in the set, start <= end, one enrolment per pupil "
    "per year, every enrolment's school known.",
)
def stg_linked_records_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        # the enrolments of every school year of the run at once; a pupil once per school year
        warehouse.set_school_years(con, step_years(context))
        enrolments = run_suite(
            con,
            "select * from stg_linked_enrolments where run_years(school_year) and reason_code is null",
            [
                e.ExpectCompoundColumnsToBeUnique(column_list=["school_year", "student_id"]),
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="origin_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToMatchRegex(column="destination_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToNotBeNull(column="school_name"),
            ],
            "stg_linked_enrolments",
            by_year=True,
        )
        support = run_suite(
            con,
            """
            select *, coalesce(end_date >= start_date, true) as start_before_end
            from stg_linked_support where reason_code is null""",
            [
                e.ExpectColumnValuesToBeInSet(column="support_domain", value_set=DOMAINS),
                e.ExpectColumnValuesToMatchRegex(column="responsible_municipality_code", regex=r"^GM\d{4}$"),
                e.ExpectColumnValuesToBeInSet(column="start_before_end", value_set=[True]),
                e.ExpectColumnValuesToNotBeNull(column="student_id"),
            ],
            "stg_linked_support",
        )
        schools = run_suite(
            con,
            "select * from stg_linked_schools where reason_code is null",
            [
                e.ExpectColumnValuesToBeUnique(column="school_location_id"),
                e.ExpectColumnValuesToBeInSet(column="sector", value_set=SECTORS),
                e.ExpectColumnValuesToMatchRegex(column="municipality_code", regex=r"^GM\d{4}$"),
            ],
            "stg_linked_schools",
        )
    failed = enrolments.failed + support.failed + schools.failed
    return AssetCheckResult(
        passed=not failed,
        metadata={
            "expectations": enrolments.evaluated + support.evaluated + schools.evaluated,
            "failures": "\n".join(failed) or "none",
        },
    )
