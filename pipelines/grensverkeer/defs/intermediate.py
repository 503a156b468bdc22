"""Estimates for masked DUO cells ('<5'), held to the school locations' known totals."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from .. import warehouse
from ..estimate import estimate_masked_cells
from ..expectations import gxe, run_suite
from ..geography import build_cell_weights
from ..partitions import each_school_year, one_run, school_years, step_years
from ..warehouse_frames import replace_partitions
from .staging import stg_duo_cells, stg_location_totals

# A location's total is an equality constraint only when all its rows are in the input:
# it is in a DUO per-municipality file and none of its rows was rejected.
ESTIMATOR_INPUTS = """
-- Ids in file and line order without sorting or copying the cells (1.3 M a year nationally):
-- each file gets an offset (the lines of the files before it), a row's id is its file's
-- offset plus its line, and a cell's id is its row's id times the widest row plus its
-- position. est_cells is a view: the estimator reads it a few times, which is cheaper
-- than materialising the cells, and the int_cell_estimates model reads it once more.
-- The files and their count columns come from the accepted rows, not from the cells:
-- stg_duo_cells has no zero cells, so a file (or a location) may have none there.
create or replace temp table est_row_cells as
select r.file_name, r.line, r.school_location_id, len(c.cell_columns) as n_cells
from stg_duo_rows as r
join raw_cell_columns as c using (school_year, file_name)
where r.school_year = getvariable('school_year') and r.reason_code is null;

create or replace temp table est_files as
with files as (
    select file_name, max(line) as max_line, max(n_cells) - 1 as max_order
    from est_row_cells
    group by file_name
)
select
    file_name,
    -- bigint, not the hugeint of a sum: ids join the estimates' bigint ids without casts
    coalesce(sum(max_line + 1) over (order by file_name rows between unbounded preceding and 1 preceding), 0)::bigint
        as line_offset,
    coalesce(max(max_order) over (), 0) + 1 as cells_per_row
from files;

-- every cell of each location, its zero cells too (they are not in est_cells)
create or replace temp table est_location_cells as
select school_location_id, sum(n_cells)::bigint as n_cells
from est_row_cells
group by school_location_id;

create or replace temp view est_cells as
select
    (f.line_offset + c.line) * f.cells_per_row + c.cell_order as cell_id,
    c.school_location_id,
    f.line_offset + c.line as row_id,
    c.cell_label as age,
    c.value,
    c.is_masked,
    c.school_year,
    c.file_name,
    c.line,
    c.cell_order,
    c.sector
from stg_duo_cells as c
join est_files as f using (file_name)
where c.school_year = getvariable('school_year');

create or replace temp table est_totals as
with complete as (
    select school_location_id, bool_or(single_school_municipality) as in_municipality_file
    from stg_duo_rows
    where school_year = getvariable('school_year') and kind = 'duo_po_pc4'
      and reason_code is null
    group by school_location_id
),
damaged as (
    select distinct school_location_id
    from stg_duo_rows
    where school_year = getvariable('school_year') and reason_code is not null and reason_code <> 'duplicate_row'
)
select
    t.school_location_id,
    t.total_low,
    t.total_high,
    coalesce(c.in_municipality_file, false) and d.school_location_id is null as is_complete
from stg_location_totals as t
join complete as c using (school_location_id)
left join damaged as d using (school_location_id)
where t.school_year = getvariable('school_year') and t.reason_code is null and t.total_low is not null;
"""


# Geography of the DUO rows: home PC4 and sector per accepted row (row_id as in est_cells),
# for the distance from home to school in the estimate (docs/masking.md). Per row, not per
# cell: a row's cells share their home and school, and rows are a few times fewer.
GEOGRAPHY_INPUTS = """
create or replace temp table est_rows_geo as
select f.line_offset + r.line as row_id, r.school_location_id, r.home_pc4, r.sector
from stg_duo_rows as r
join est_files as f using (file_name)
where r.school_year = getvariable('school_year') and r.reason_code is null;
"""


@asset(
    group_name="intermediate",
    partitions_def=school_years,
    backfill_policy=one_run,
    deps=[stg_duo_cells, stg_location_totals],
    description="Every accepted count cell with an estimate for masked cells and exact bounds (docs/masking.md); "
    "also int_location_masking (per location: how its masked cells were constrained) and int_row_estimates.",
)
# Genuinely per school year: the estimator (estimate.py) blends each location's age profile with
# the age profile of the whole input, and its flat prior is the average masked cell of the whole
# input, so its input is one school year's cells (est_cells, with ids made per year). Run over
# several years at once, one year's estimates would depend on the others' cells.
# Two school years at a time (each on its own connection, its working tables temporary): about
# half of a year's estimate is single-threaded numpy (estimate._poisson_allocation), so one year
# leaves a core idle. The first year runs alone: it creates the tables the others write into.
@each_school_year(workers=2, first_alone=True)
def int_cell_estimates(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    year = context.partition_key
    with duckdb.get_connection() as con:
        n, methods = estimate_school_year(con, year)
    return MaterializeResult(metadata={"cells": n, **{f"masked_{k}": v for k, v in methods.items()}})


def estimate_school_year(con, year: str, *, geography: bool = True) -> tuple[int, dict[str, int]]:
    """int_cell_estimates, int_location_masking and int_row_estimates of one school year; returns
    the number of cells and the masked cells per method. geography=False leaves out the distance
    weights (the estimator as it was before them: benchmarks/cell_estimates.py compares the two)."""
    con.execute("set variable school_year = ?", [year])
    con.execute(ESTIMATOR_INPUTS)
    weights = None
    if geography:
        con.execute(GEOGRAPHY_INPUTS)
        # distance decay only: an earlier unmasked year's catchment made the one real check
        # worse (docs/masking.md), so it is not passed here
        build_cell_weights(con, "est_rows_geo", "est_cell_weights")
        weights = "est_cell_weights"
    # masked cells only: the int_cell_estimates model takes the unmasked ones from est_cells
    estimate_masked_cells(
        con,
        "est_cells",
        "est_totals",
        "est_cell_estimates",
        masked_only=True,
        cell_weights=weights,
        location_cells="est_location_cells",
        temporary=True,
    )
    locations = con.sql("select ? as school_year, * from est_cell_estimates_locations", params=[year]).pl()
    replace_partitions(con, {"int_location_masking": locations}, year)
    n, _ = warehouse.run_models(
        con, [("intermediate/int_cell_estimates", None, None), ("intermediate/int_row_estimates", None, None)], year
    )
    con.execute(
        "drop table if exists est_cell_estimates; drop table if exists est_cell_estimates_locations; "
        "drop table if exists est_cell_weights; drop table if exists est_rows_geo; "
        "drop table if exists est_row_cells; drop table if exists est_location_cells"
    )
    methods = dict(
        con.execute(
            "select method, count(*) from int_cell_estimates where school_year = ? and is_masked group by all", [year]
        ).fetchall()
    )
    return n, methods


@asset_check(
    asset=int_cell_estimates,
    blocking=True,
    description="Estimates lie within their bounds; masked cells within 1..4; exact cells unchanged.",
)
def int_cell_estimates_valid(context, duckdb: DuckDBResource) -> AssetCheckResult:
    e = gxe()
    with duckdb.get_connection() as con:
        # the cells of every school year of the run at once; a failure names its year
        warehouse.set_school_years(con, step_years(context))
        outcome = run_suite(
            con,
            """
            select school_year, students, students_low, students_high, is_masked,
                   students_low <= students + 1e-9 and students <= students_high + 1e-9 as within_bounds,
                   case when is_masked then students_low >= 1 and students_high <= 4
                        else students = value and students_low = value and students_high = value end as cell_rule
            from int_cell_estimates where run_years(school_year)""",
            [
                e.ExpectColumnValuesToBeInSet(column="within_bounds", value_set=[True]),
                e.ExpectColumnValuesToBeInSet(column="cell_rule", value_set=[True]),
                e.ExpectColumnValuesToNotBeNull(column="students"),
            ],
            "int_cell_estimates",
            by_year=True,
        )
    return AssetCheckResult(passed=outcome.success, metadata=outcome.metadata())


PRIOR_SHARE_LIMIT = 0.25  # share of a year's masked cells estimated with the prior before the check warns


@asset_check(asset=int_cell_estimates, description="Share of masked cells estimated without a usable location total.")
def int_cell_estimates_prior_share(context, duckdb: DuckDBResource) -> AssetCheckResult:
    years = step_years(context)
    with duckdb.get_connection() as con:
        # every school year of the run at once; the share is held to its limit per year
        warehouse.set_school_years(con, years)
        counts = dict.fromkeys(years, (0, 0)) | {
            year: (masked, prior)
            for year, masked, prior in con.execute(
                """select school_year, count(*), count(*) filter (where method like 'prior%')
                   from int_cell_estimates where run_years(school_year) and is_masked group by all"""
            ).fetchall()
        }
    shares = {year: prior / masked if masked else 0.0 for year, (masked, prior) in counts.items()}
    too_high = [year for year in years if shares[year] > PRIOR_SHARE_LIMIT]

    def sentence(year: str) -> str:
        masked, prior = counts[year]
        said = f"{prior} of {masked} masked cells ({shares[year]:.0%}) have no usable location total and use the prior"
        return f"{year}: {said}" if len(years) > 1 else said

    masked = sum(m for m, _ in counts.values())
    prior = sum(p for _, p in counts.values())
    return AssetCheckResult(
        passed=not too_high,
        severity=AssetCheckSeverity.WARN,
        # the years over the limit, or (none over it) every year
        description="\n".join(sentence(year) for year in (too_high or years)),
        metadata={"masked_cells": masked, "prior_cells": prior, "prior_share": prior / masked if masked else 0.0},
    )
