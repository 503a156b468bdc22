-- ref_swv_pc4: every PC4 with its samenwerkingsverband passend onderwijs for PO and for VO (the legal
-- areas of the regulation's annex, text of 2015; data/README.md) and today's municipality code.
-- SO belongs to the PO SWV, VSO to the VO SWV of the school's PC4.

with source as (
    select *
    from read_csv(getvariable('reference_dir') || '/swv_pc4.csv', header = true, all_varchar = true)
)

select
    pc4,
    po_swv,
    vo_swv,
    municipality_code,
    municipality_name,
    municipality_name_2015
from source
order by pc4
