-- pub_agreement_needs: agreement_needs as published, with the public count of the same group.
-- Attribute disclosure: a school row whose pupils with support are as many as DUO's public count
-- of pupils from that municipality at that school (all of them get youth care) is not published as
-- such: `same_as_public` marks it, and site and exports leave it out of the school listing (it is
-- part of the pair's unpublished rest). A municipality pair likewise: pupils with support of the local
-- team of A at all schools in B at least DUO's public count of pupils living in A schooled in B (all
-- sectors; pub_flows of a DUO year is the sum of these catchment cells; only where DUO covers every
-- school of the pair): `same_as_public` marks it; a pair with a school row left out as above is marked
-- `hides_public_school` (the row would follow from the pair minus its listed rows); for either flag
-- site and exports pass it to protect as `hidden` (printed 'niet getoond' whatever its size: '<5' or 'x'
-- would bound it). docs/disclosure.md, "Attribute disclosure".
-- The printed need level: a hidden count (below k) gets its level grouped with a neighbour where
-- the level alone would leave one possible count (pub_need_levels, disclosure/need_levels.py);
-- stated_lo/stated_hi are the counts that printed level allows, for the disclosure check.
-- Set-based over the school years of the run (run_years).

with needs as (
    select * from agreement_needs where run_years(school_year)
),

public_groups as (
    select school_year, school_location_id, origin_code, sum(students) as students, sum(students_high) as students_high
    from pub_school_catchment
    where run_years(school_year)
    group by all
),

public_pairs as (
    select school_year, origin_code, school_municipality_code, sum(students) as students, sum(students_high) as students_high
    from pub_school_catchment
    where run_years(school_year)
    group by all
),

-- a pair is compared with DUO's count only where DUO covers every school of it (linked records can hold
-- sectors DUO's files of the year do not, VO in the demo: then the two counts are of different groups)
covered_pairs as (
    select school_year, local_team_municipality_code, school_municipality_code,
           bool_and((school_year, school_location_id) in (select (school_year, school_location_id) from public_groups))
               as covered
    from needs
    where level = 'school'
    group by all
),

-- pairs with such a school row: the row left out is the pair minus its listed rows, so the pair's own
-- count must not be printed either (else the rest, and with it the school row, follows by subtraction)
pairs_with_public_school as (
    select distinct needs.school_year, needs.local_team_municipality_code, needs.school_municipality_code
    from needs
    join public_groups
      on public_groups.school_year = needs.school_year
     and public_groups.school_location_id = needs.school_location_id
     and public_groups.origin_code = needs.local_team_municipality_code
    where needs.level = 'school' and needs.students_with_support >= public_groups.students
),

levels as (
    select level, need_level, hidden, published_need_level, stated_lo, stated_hi, level_rank, k
    from pub_need_levels
),

marked as (
    select
        needs.*,
        levels.published_need_level,
        levels.stated_lo,
        levels.stated_hi,
        levels.level_rank,
        levels.k as disclosure_k,
        cast(coalesce(public_groups.students, public_pairs.students) as bigint) as public_group_students,
        -- the most DUO's published bounds allow for the group: what a reader may take as the upper bound of a
        -- hidden count (decides `omitted` below; docs/disclosure.md, "Attribute disclosure")
        cast(coalesce(public_groups.students_high, public_pairs.students_high) as bigint) as public_group_high,
        coalesce(needs.level = 'school' and needs.students_with_support >= public_groups.students, false)
            or coalesce(
                needs.level = 'gemeentepaar' and covered_pairs.covered
                and needs.students_with_support >= public_pairs.students,
                false
            )
            as same_as_public,
        -- a pair with a school row left out as same_as_public: printed hidden too (site and exports)
        (needs.level = 'gemeentepaar' and pairs_with_public_school.local_team_municipality_code is not null)
            as hides_public_school
    from needs
    join levels
      on levels.level = needs.level
     and levels.need_level = needs.need_level
     and levels.hidden = (needs.students_with_support < levels.k)
    left join public_groups
      on needs.level = 'school'
     and public_groups.school_year = needs.school_year
     and public_groups.school_location_id = needs.school_location_id
     and public_groups.origin_code = needs.local_team_municipality_code
    left join public_pairs
      on needs.level = 'gemeentepaar'
     and public_pairs.school_year = needs.school_year
     and public_pairs.origin_code = needs.local_team_municipality_code
     and public_pairs.school_municipality_code = needs.school_municipality_code
    left join pairs_with_public_school
      on needs.level = 'gemeentepaar'
     and pairs_with_public_school.school_year = needs.school_year
     and pairs_with_public_school.local_team_municipality_code = needs.local_team_municipality_code
     and pairs_with_public_school.school_municipality_code = needs.school_municipality_code
    left join covered_pairs
      on needs.level = 'gemeentepaar'
     and covered_pairs.school_year = needs.school_year
     and covered_pairs.local_team_municipality_code = needs.local_team_municipality_code
     and covered_pairs.school_municipality_code = needs.school_municipality_code
)

-- count_hidden: the pair's count is never printed (attribute disclosure: site and exports pass it to
-- protect as `hidden`), and neither is its need level, whose threshold would narrow the count
-- (docs/disclosure.md, "Attribute disclosure"); rank 9 sorts 'niet getoond' last (need_levels.level_rank)
-- omitted: a hidden pair whose group DUO counts at most 1 pupil: listing the pair at all ("at least one
-- pupil with youth care") says that pupil gets it, so the pair is not listed (site and exports count it
-- in an unpublished rest of the local team's pupils schooled elsewhere), nor are its school rows (marked
-- omitted too, by the pair they belong to)
-- pinned_by_levels: a school row below k of a pair of k or more (listed by school) whose printed levels pin its listed rows on their
-- own: the listed rows' lowest counts ('aandachtspunt' is at least 2, 'afspraak nodig' at least 5)
-- add up to the most the pair's level allows (5 + 2 + 2 under 'aandachtspunt', at most 9), so every
-- listed row is exactly its lowest count, whatever is suppressed. Such rows are left out of the school
-- listing like rows of 'geen' (part of the pair's unpublished rest), and the rest no longer pins
-- (docs/disclosure.md, "Need levels that pin school rows").
select * exclude (listed_lo, pair_hi, pair_students, disclosure_k) replace (
    case when count_hidden then 'niet getoond' else published_need_level end as published_need_level,
    case when count_hidden then null else stated_lo end as stated_lo,
    case when count_hidden then null else stated_hi end as stated_hi,
    case when count_hidden then 9 else level_rank end as level_rank
),
    coalesce(bool_or(count_hidden and public_group_high <= 1)
        over (partition by school_year, local_team_municipality_code, school_municipality_code), false) as omitted,
    coalesce(
        level = 'school' and students_with_support < disclosure_k
        and pair_students >= disclosure_k  -- a pair below k is not broken down by school at all
        and listed_lo >= pair_hi,
        false
    ) as pinned_by_levels
from (
    select
        *,
        sum(case when level = 'school' and not same_as_public and published_need_level <> 'geen' then stated_lo end)
            over pair as listed_lo,
        max(case when level = 'gemeentepaar' and not count_hidden then stated_hi end) over pair as pair_hi,
        max(case when level = 'gemeentepaar' then students_with_support end) over pair as pair_students
    from (
        select *, level = 'gemeentepaar' and (same_as_public or hides_public_school) as count_hidden
        from marked
    )
    window pair as (partition by school_year, local_team_municipality_code, school_municipality_code)
)
order by school_year, level, students_with_support desc, local_team_municipality_code,
         school_municipality_code, school_location_id
