-- Shared SQL macros. Names are matched on a key that ignores case, accents and punctuation:
-- "'s-Gravenhage", "S GRAVENHAGE" and "'S-GRAVENHAGE" all become 'S GRAVENHAGE'.
create or replace macro name_key(s) as
    trim(regexp_replace(upper(strip_accents(coalesce(s, ''))), '[^A-Z0-9]+', ' ', 'g'));

-- CBS municipality code from DUO's number: 518 or 0518 -> GM0518.
create or replace macro gm_code(n) as
    case when regexp_matches(trim(coalesce(n, '')), '^(GM)?[0-9]{1,4}$')
         then 'GM' || lpad(regexp_replace(trim(n), '^GM', ''), 4, '0') end;

-- trim(s), computed only where an end of s can be a space: DuckDB's trim removes the Unicode
-- space separators (' ', no-break space, ...) and, for every value, costs about 15 times a
-- hash of it (2.3 s for 2.6 M pseudonyms); a value that starts and ends with an ASCII character
-- other than ' ' is returned as it is.
create or replace macro trimmed(s) as
    case when ascii(s) = 32 or ascii(s) > 127 or ascii(right(s, 1)) = 32 or ascii(right(s, 1)) > 127
         then trim(s) else s end;

-- First calendar year of a school year label: '2024-2025' -> 2024.
create or replace macro count_year_of(school_year) as cast(left(school_year, 4) as integer);

-- Exact bounds for the sum of k masked cells (each 1..4) of one school location whose m
-- masked cells together add up to a remainder in [r_low, r_high] (NULL: unconstrained).
create or replace macro masked_sum_low(k, m, r_low) as
    case when r_low is null then k else greatest(k, r_low - 4 * (m - k)) end;
create or replace macro masked_sum_high(k, m, r_high) as
    case when r_high is null then 4 * k else least(4 * k, r_high - (m - k)) end;

-- Where a figure made from linked records comes from: 'synthetic' as soon as one record
-- behind it is synthetic (a demo record never makes a figure look real), else 'linked'.
create or replace macro linked_source_of(source) as
    case when bool_or(source = 'synthetic') then 'synthetic' else 'linked' end;
create or replace macro either_source(a, b) as
    case when a = 'synthetic' or b = 'synthetic' then 'synthetic' else 'linked' end;

-- Whether a row's school year is one a set-based model computes now: one of the run's
-- `school_years` (warehouse.run_models_over_years), else the one `school_year` (a model run
-- by hand after warehouse.set_school_year, or by warehouse.run_models).
create or replace macro run_years(y) as
    list_contains(coalesce(getvariable('school_years'), [getvariable('school_year')]), y);

-- A DUO count cell whose text is a plain zero ('0', '00', ...): staging reads it as the count 0
-- (it is digits only), so it adds nothing to any sum and is no problem. The loader leaves these
-- cells out of raw_cells (docs/warehouse.md); any other text ('', ' 0', '-0', '0.0', '<5') is kept.
create or replace macro zero_count(value_text) as coalesce(regexp_full_match(value_text, '0+'), false);

-- A linked row as read: the values of the contract's columns the file has (`column_map`, from
-- input_files), in the contract's order, empty for a missing value, joined by ';'. `names` and
-- `vals` are the contract's columns and the row's values of them, in the same order.
create or replace macro contract_text(column_map, names, vals) as
    array_to_string(list_filter(list_transform(list_zip(names, vals),
        lambda nv: case when map_contains(column_map, nv[1]) then coalesce(nv[2], '') end),
        lambda v: v is not null), ';');
