-- rejected_linked_reference_rows: rejected rows of the linked schools and support files,
-- which are not tied to a school year (school_year is null in rejected_rows).

select cast(null as varchar) as school_year, 'linked' as source, file_name, line, column_name, reason_code, reason, raw_text
from stg_linked_schools
where reason_code is not null
union all
select cast(null as varchar), 'linked', file_name, line, column_name, reason_code, reason, raw_text
from stg_linked_support
where reason_code is not null
