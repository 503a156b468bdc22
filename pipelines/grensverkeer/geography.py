"""Geography for the masked-cell estimates: how far a pupil's home is from the school.

A masked DUO cell (1-4 pupils) far from the school holds fewer pupils than one next door:
on the real, unmasked 2017-2018 Haaglanden files a masked cell 0-1 km from a BO school held
2.2 pupils on average, one 8-16 km away 1.1. The estimator (estimate.py) takes a weight per
masked cell that multiplies its expected size; this module builds those weights, set-based:

    weight = exp(-DECAY_PER_KM * km) * catchment

- km: great-circle distance from the centroid of the home PC4 (ref_pc4_centroids) to the
  school location's point (ref_school_locations); 1 where either point is unknown.
- catchment (optional, `earlier=`): an earlier unmasked school year of the same location
  (DUO's 2017-2018 edition and older) says which home areas sent many pupils then:
  ((n0 + c) / (c + n0_mean)) ** power, with n0 the pupils the same home PC4 and sector sent
  to the location then and n0_mean the location's average over its rows then. Estimates that
  use it say so in their `method` ('+catchment'). The pipeline does not use it: on the one
  real check there is (2024 with the 2017-2018 catchment, location totals hidden) it made
  the prediction of the locations' masked sums worse at every strength tried (docs/masking.md).

DECAY_PER_KM was chosen by leave-one-municipality-out on the real 2017-2018 files
(benchmarks/masking_accuracy.py; docs/masking.md): it is one number for every region.
"""

from __future__ import annotations

__all__ = ["CATCHMENT_POWER", "DECAY_PER_KM", "build_cell_weights"]

# Chosen by leave-one-municipality-out on the masked real 2017-2018 Haaglanden files: the
# value picked for 8 of the 9 held-out municipalities (0.04 for the ninth); see docs/masking.md.
DECAY_PER_KM = 0.05
# Strength of an earlier unmasked year's catchment where a caller passes one (the mildest
# measured; docs/masking.md: measured on 2024 with the 2017-2018 catchment, totals hidden).
CATCHMENT_POWER = 0.1

_EARTH_KM = 6371.0


def _km_sql(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    """Haversine distance in km between two WGS84 points (SQL)."""
    return (
        f"2 * {_EARTH_KM} * asin(sqrt(pow(sin(radians({lat2} - {lat1}) / 2), 2) "
        f"+ cos(radians({lat1})) * cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2)))"
    )


def build_cell_weights(
    con,
    masked: str,
    out: str,
    *,
    schools: str = "ref_school_locations",
    centroids: str = "ref_pc4_centroids",
    earlier: str | None = None,
    decay_per_km: float | None = None,
    catchment_power: float | None = None,
    catchment_pseudo: float = 1.0,
) -> None:
    """Write `out`, a temporary table (<key> BIGINT, weight DOUBLE, km DOUBLE, catchment BOOLEAN).

    masked:  one row per masked cell (cell_id) or per DUO row (row_id; all its cells alike),
             with school_location_id, home_pc4, sector.
    schools: school_location_id (unique), latitude, longitude.
    centroids: pc4 (unique), latitude, longitude.
    earlier: optional, pupils of an earlier unmasked year per location x home PC4 x sector:
             school_location_id, home_pc4, sector, students (one row per non-empty row;
             only locations whose cells were all unmasked that year).
    """
    beta = DECAY_PER_KM if decay_per_km is None else float(decay_per_km)
    gamma = CATCHMENT_POWER if catchment_power is None else float(catchment_power)
    if earlier:
        catch_cte = f""", prior_rows AS (
            SELECT school_location_id, home_pc4, sector, sum(students)::DOUBLE AS n0
            FROM {earlier} GROUP BY ALL
        ), prior_locs AS (
            SELECT school_location_id, avg(n0) AS n0_mean FROM prior_rows GROUP BY ALL
        )"""
        catch_join = """
            LEFT JOIN prior_locs pl ON pl.school_location_id = m.school_location_id
            LEFT JOIN prior_rows pr ON pr.school_location_id = m.school_location_id
                 AND pr.home_pc4 = m.home_pc4 AND pr.sector = m.sector"""
        catch_expr = f"""CASE WHEN pl.school_location_id IS NULL THEN 1.0
                 ELSE pow((coalesce(pr.n0, 0) + {float(catchment_pseudo)}) / ({float(catchment_pseudo)} + pl.n0_mean),
                          {gamma}) END"""
        catch_flag = "pl.school_location_id IS NOT NULL"
    else:
        catch_cte, catch_join, catch_expr, catch_flag = "", "", "1.0", "false"
    km = _km_sql("s.latitude", "s.longitude", "h.latitude", "h.longitude")
    key = (
        "cell_id"
        if "cell_id" in {d[0] for d in con.execute(f"SELECT * FROM {masked} LIMIT 0").description}
        else "row_id"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {out} AS
        WITH school_points AS (
            SELECT school_location_id, latitude, longitude FROM {schools}
            WHERE latitude IS NOT NULL AND longitude IS NOT NULL
        ){catch_cte}, d AS (
            SELECT m.{key}, {km} AS km, {catch_expr} AS catchment_factor, {catch_flag} AS catchment
            FROM {masked} m
            LEFT JOIN school_points s ON s.school_location_id = m.school_location_id
            LEFT JOIN {centroids} h ON h.pc4 = m.home_pc4{catch_join}
        )
        SELECT {key}::BIGINT AS {key},
               coalesce(exp(-{beta} * km), 1.0) * catchment_factor AS weight,
               km, catchment
        FROM d"""
    )
