-- stg_linked_enrolments: one row per pupil per school year (pseudonymised), checked. A pupil
-- (student_id) appears once per school year; later rows of the same pupil are rejected.
-- Set-based over the school years of the run (run_years: every year of `school_years`, or the
-- one `school_year` when a model is run by hand with warehouse.set_school_year).

with raw as (
    select * from raw_linked_enrolments where run_years(school_year)
),

schools as (
    select school_location_id, school_name, municipality_code
    from stg_linked_schools where reason_code is null
    union all
    select school_location_id, name, municipality_code
    from ref_school_locations
    where school_location_id not in (select school_location_id from stg_linked_schools where reason_code is null)
),

checked as (
    select
        raw.*,
        trim(student_id) as student,
        upper(trim(raw.school_location_id)) as location_id,
        upper(trim(sector)) as sector_clean,
        coalesce(mg.successor_code, upper(trim(residence_municipality_code))) as residence,
        schools.school_name as known_school_name,
        schools.municipality_code as school_municipality_code,
        try_cast(trim(birth_year) as integer) as birth_year_int
    from raw
    left join ref_municipality_mergers as mg on mg.old_code = upper(trim(raw.residence_municipality_code))
    left join schools on schools.school_location_id = upper(trim(raw.school_location_id))
),

problems as (
    select
        checked.*,
        case
            when not regexp_matches(coalesce(school_year_text, ''), '^\s*(19|20)[0-9]{2}\s*([-/]\s*(19|20)[0-9]{2})?\s*$') then 'invalid_school_year'
            when regexp_matches(school_year_text, '[-/]')
                 and try_cast(regexp_extract(school_year_text, '([0-9]{4})\s*$', 1) as integer)
                     <> try_cast(regexp_extract(school_year_text, '^\s*([0-9]{4})', 1) as integer) + 1 then 'invalid_school_year'
            when coalesce(student, '') = '' then 'missing_student_id'
            when not regexp_matches(coalesce(location_id, ''), '^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$') then 'invalid_location'
            when school_municipality_code is null then 'unknown_school'
            when sector_clean not in ('BO', 'SBO', 'SO', 'VSO', 'VO', 'PRO', 'MBO') or sector_clean is null then 'unknown_sector'
            when residence not in (select code from ref_municipalities) or residence is null then 'unknown_municipality'
            when birth_year is not null and trim(birth_year) <> '' and (birth_year_int is null or birth_year_int not between 1980 and 2030) then 'invalid_birth_year'
        end as problem
    from checked
),

-- A pupil's later accepted rows are duplicates. Only pupils with more than one accepted row
-- are ranked: a window over every row sorted 2.6 M pseudonyms a year nationally.
repeated as (
    select school_year, student
    from problems
    where problem is null
    group by school_year, student
    having count(*) > 1
),

copies as (
    select
        file_name,
        line,
        row_number() over w as copy_no,
        first_value(file_name) over w as first_file,
        first_value(line) over w as first_line
    from problems
    where problem is null
      and exists (select 1 from repeated as r where r.school_year = problems.school_year and r.student = problems.student)
    window w as (partition by school_year, student order by file_name, line)
),

ranked as (
    select problems.*, copies.copy_no, copies.first_file, copies.first_line
    from problems
    left join copies using (file_name, line)
)

select
    school_year,
    file_name,
    line,
    student as student_id,
    location_id as school_location_id,
    known_school_name as school_name,
    sector_clean as sector,
    school_municipality_code as destination_code,
    residence as origin_code,
    nullif(trim(residence_postcode4), '') as residence_postcode4,
    birth_year_int as birth_year,
    source,
    case when problem is not null then problem when copy_no > 1 then 'duplicate_student' end as reason_code,
    case coalesce(problem, case when copy_no > 1 then 'duplicate_student' end)
        when 'invalid_school_year' then 'school_year'
        when 'missing_student_id' then 'student_id'
        when 'invalid_location' then 'school_location_id'
        when 'unknown_school' then 'school_location_id'
        when 'unknown_sector' then 'sector'
        when 'unknown_municipality' then 'residence_municipality_code'
        when 'invalid_birth_year' then 'birth_year'
        when 'duplicate_student' then 'student_id'
    end as column_name,
    case coalesce(problem, case when copy_no > 1 then 'duplicate_student' end)
        when 'invalid_school_year' then format('school_year {} is not like 2024-2025', coalesce(school_year_text, '(empty)'))
        when 'missing_student_id' then 'student_id is empty'
        when 'invalid_location' then format('school_location_id {} is not BRIN (4) plus 2 digits', coalesce(raw_location, '(empty)'))
        when 'unknown_school' then format('school location {} is in neither the schools file nor the DUO school list', location_id)
        when 'unknown_sector' then format('sector {} is not one of BO, SBO, SO, VSO, VO, PRO, MBO', coalesce(sector, '(empty)'))
        when 'unknown_municipality' then format('residence_municipality_code {} is not a CBS municipality code like GM0503', coalesce(residence_municipality_code, '(empty)'))
        when 'invalid_birth_year' then format('birth_year {} is not a year', birth_year)
        when 'duplicate_student' then format('pupil already enrolled this school year ({} line {}): the first enrolment is used', first_file, first_line)
    end as reason,
    -- the row as read, kept only where it is rejected (rejected_rows shows it)
    case when problem is not null or copy_no > 1 then raw_text end as raw_text
from (select *, school_location_id as raw_location from ranked)
