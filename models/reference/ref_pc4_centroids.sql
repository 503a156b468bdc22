-- ref_pc4_centroids: one point per 4-digit postcode area (WGS84), for the distance from a
-- pupil's home PC4 to the school in the masked-cell estimates (docs/masking.md).

with source as (
    select pc4, latitude, longitude
    from read_csv(getvariable('reference_dir') || '/pc4_centroids.csv', header = true, all_varchar = true)
)

select
    pc4,
    cast(latitude as double) as latitude,
    cast(longitude as double) as longitude
from source
order by pc4
