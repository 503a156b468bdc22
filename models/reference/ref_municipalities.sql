-- ref_municipalities: the 342 municipalities of 2025 (CBS), see data/README.md.
select code, name, name_2023
from read_csv(getvariable('reference_dir') || '/municipalities.csv', header = true, all_varchar = true)
order by code
