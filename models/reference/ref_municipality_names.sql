-- ref_municipality_names: every spelling of a municipality name DUO and CBS use, by match key.
-- `codes` must be 1 for every key (checked): a key that means two municipalities is unusable.
select
    name_key(name) as name_key,
    min(code) as code,
    count(distinct code) as codes,
    string_agg(distinct kind, ',' order by kind) as kinds
from read_csv(getvariable('reference_dir') || '/municipality_name_variants.csv', header = true, all_varchar = true)
group by name_key(name)
order by name_key
