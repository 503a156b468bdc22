-- ref_municipality_mergers: municipalities that merged away, mapped to their successor.
select old_code, old_name, successor_code, successor_name, cast(effective_date as date) as effective_date, source
from read_csv(getvariable('reference_dir') || '/municipality_mergers.csv', header = true, all_varchar = true)
order by old_code
