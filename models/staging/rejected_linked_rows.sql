-- rejected_linked_rows: linked rows that are not used, with the reason. Enrolment rows
-- belong to their school year; school and support rows to none (school_year is null).

select school_year, 'linked' as source, file_name, line, column_name, reason_code, reason, raw_text
from stg_linked_enrolments
where run_years(school_year) and reason_code is not null
