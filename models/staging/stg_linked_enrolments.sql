-- stg_linked_enrolments: one row per pupil per school year (pseudonymised), checked. A pupil
-- (student_id) appears once per school year; later rows of the same pupil are rejected.
-- Set-based over the school years of the run (run_years: every year of `school_years`, or the
-- one `school_year` when a model is run by hand with warehouse.set_school_year).
-- The codes of a row (school year, school location, sector, municipality, birth year) are
-- checked once per distinct value and joined back: a national school year has 2.6 M rows but
-- a few thousand locations and a few hundred codes, so each regular expression runs on those.

-- Not materialised: each check below reads one or two of its columns (DuckDB would otherwise
-- write every wide row of the year aside first: a third of the statement's CPU nationally).
with raw as not materialized (
    select * from raw_linked_enrolments where run_years(school_year)
),

-- Which contract columns each file has (input_files.column_map): a rejected row's raw text is
-- made of them, here, for the rejected rows only.
files as (
    select file_name, arg_max(column_map, seen_at) as column_map
    from input_files
    where status = 'loaded' and kind = 'linked_enrolments'
    group by file_name
),

schools as (
    select school_location_id, school_name, municipality_code
    from stg_linked_schools where reason_code is null
    union all
    select school_location_id, name, municipality_code
    from ref_school_locations
    where school_location_id not in (select school_location_id from stg_linked_schools where reason_code is null)
),

year_texts as (
    select
        school_year_text,
        coalesce(
            regexp_matches(school_year_text, '^\s*(19|20)[0-9]{2}\s*([-/]\s*(19|20)[0-9]{2})?\s*$')
            and not (
                regexp_matches(school_year_text, '[-/]')
                and try_cast(regexp_extract(school_year_text, '([0-9]{4})\s*$', 1) as integer)
                    <> try_cast(regexp_extract(school_year_text, '^\s*([0-9]{4})', 1) as integer) + 1
            ),
            false
        ) as is_valid
    from (select distinct school_year_text from raw)
),

locations as (
    select
        l.raw_location,
        upper(trimmed(l.raw_location)) as location_id,
        regexp_matches(coalesce(upper(trimmed(l.raw_location)), ''), '^[0-9]{2}[A-Z0-9]{2}[0-9]{2}$') as is_valid,
        schools.school_name,
        schools.municipality_code
    from (select distinct school_location_id as raw_location from raw) as l
    left join schools on schools.school_location_id = upper(trimmed(l.raw_location))
),

sectors as (
    select
        raw_sector,
        upper(trimmed(raw_sector)) as sector_clean,
        coalesce(upper(trimmed(raw_sector)) in ('BO', 'SBO', 'SO', 'VSO', 'VO', 'PRO', 'MBO'), false) as is_valid
    from (select distinct sector as raw_sector from raw)
),

residences as (
    select
        r.raw_code,
        coalesce(mg.successor_code, upper(trimmed(r.raw_code))) as residence
    from (select distinct residence_municipality_code as raw_code from raw) as r
    left join ref_municipality_mergers as mg on mg.old_code = upper(trimmed(r.raw_code))
),

birth_years as (
    select
        raw_birth_year,
        try_cast(trimmed(raw_birth_year) as integer) as birth_year_int,
        raw_birth_year is not null and trimmed(raw_birth_year) <> ''
            and coalesce(try_cast(trimmed(raw_birth_year) as integer) not between 1980 and 2030, true) as is_invalid
    from (select distinct birth_year as raw_birth_year from raw)
),

-- Not materialised: the joins are cheaper to run twice (copies, ranked) than the 2.6 M rows a
-- year are to write and read back.
checked as not materialized (
    select
        raw.*,
        trimmed(raw.student_id) as student,
        loc.location_id,
        sec.sector_clean,
        res.residence,
        loc.school_name as known_school_name,
        loc.municipality_code as school_municipality_code,
        bys.birth_year_int,
        case
            when not yt.is_valid then 'invalid_school_year'
            when coalesce(trimmed(raw.student_id), '') = '' then 'missing_student_id'
            when not loc.is_valid then 'invalid_location'
            when loc.municipality_code is null then 'unknown_school'
            when not sec.is_valid then 'unknown_sector'
            when res.residence is null or res.residence not in (select code from ref_municipalities) then 'unknown_municipality'
            when bys.is_invalid then 'invalid_birth_year'
        end as problem
    from raw
    join year_texts as yt on yt.school_year_text is not distinct from raw.school_year_text
    join locations as loc on loc.raw_location is not distinct from raw.school_location_id
    join sectors as sec on sec.raw_sector is not distinct from raw.sector
    join residences as res on res.raw_code is not distinct from raw.residence_municipality_code
    join birth_years as bys on bys.raw_birth_year is not distinct from raw.birth_year
),

-- A pupil's later accepted rows are duplicates. Only pupils with more than one row (of any
-- kind; a hash collision only adds a candidate) are ranked: a window over every row sorted
-- 2.6 M pseudonyms a year nationally.
candidates as (
    select school_year, hash(trimmed(student_id)) as student_hash
    from raw
    group by all
    having count(*) > 1
),

copies as (
    select
        file_name,
        line,
        row_number() over w as copy_no,
        first_value(file_name) over w as first_file,
        first_value(line) over w as first_line
    from checked
    where problem is null
      and (school_year, hash(student)) in (select (school_year, student_hash) from candidates)
    window w as (partition by school_year, student order by file_name, line)
),

ranked as (
    select checked.*, copies.copy_no, copies.first_file, copies.first_line
    from checked
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
    nullif(trimmed(residence_postcode4), '') as residence_postcode4,
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
    -- the row as read (its contract columns joined by ';'), only where it is rejected
    -- (rejected_rows shows it); rows copied by older versions have it in raw_text
    case when problem is not null or copy_no > 1 then coalesce(raw_text, contract_text(
        column_map,
        ['school_year', 'student_id', 'school_location_id', 'sector', 'residence_municipality_code', 'residence_postcode4', 'birth_year'],
        [school_year_text, student_id, raw_location, sector, residence_municipality_code, residence_postcode4, birth_year]
    )) end as raw_text
from (select ranked.*, ranked.school_location_id as raw_location, files.column_map from ranked left join files using (file_name))
