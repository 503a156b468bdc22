-- Raw layer: the input files as read, one row per data line, values still text.
-- Created once; the loader replaces what counts per (school_year, file_name).

create table if not exists input_files (
    file_name varchar not null,          -- path relative to the input folder
    sha256 varchar not null,
    size_bytes bigint,
    kind varchar,                        -- duo_po_pc4 | duo_vo_pc4 | duo_po_location_totals
    encoding varchar,
    delimiter varchar,
    data_rows integer,
    count_years integer[],
    column_map map(varchar, varchar),    -- canonical column -> the file's own column name
    single_school_municipality boolean,  -- a DUO per-municipality file: complete for its schools
    status varchar not null,             -- loaded | rejected | duplicate | retracted (no longer in the folder)
    message varchar,
    seen_at timestamp,
    retracted_at timestamp,              -- when this version stopped counting (ingest/retract.py)
    primary key (file_name, sha256)
);
alter table input_files add column if not exists retracted_at timestamp;  -- warehouses from before

create table if not exists rejected_files (
    file_name varchar not null,
    sha256 varchar not null,
    line integer,
    column_name varchar,
    reason_code varchar not null,
    reason varchar not null,
    raw_text varchar,
    seen_at timestamp,
    primary key (file_name, sha256)
);

-- DUO pupil rows, values as text, per file version and line. A file version's rows (of every
-- school year it holds) are written once, when it is parsed (by the discovery of school years, or
-- by the load for a file discovery did not parse), into duo_rows and duo_cells under the
-- version's number (staged_duo_files.version). Loading a file for a school year is a row in
-- duo_loaded: which version of a file name counts for the year. raw_rows, raw_cells and
-- raw_cell_columns (views, below) are the rows of the loaded versions: nothing is copied.
create sequence if not exists duo_version_numbers;
create table if not exists duo_rows (
    version integer not null,            -- the file version (staged_duo_files, duo_loaded)
    file_name varchar not null,
    kind varchar not null,
    school_year varchar not null,
    line bigint not null,
    n_fields integer,
    expected_fields integer,
    first_missing_column varchar,
    single_school_municipality boolean,
    peildatum varchar,
    brin varchar,
    location_no varchar,
    school_municipality_code varchar,
    school_municipality_name varchar,
    school_name varchar,
    home_pc4 varchar,
    home_municipality_code varchar,
    home_municipality_name varchar,
    soort varchar,
    total varchar,
    raw_line varchar
);

-- The count cells of duo_rows, except those whose text is a plain zero ('0', '00', ...): they add
-- nothing to any sum and are five in six of all cells. A row's other cells (non-zero, masked
-- '<5', and every text that is not a plain zero: empty, ' 0', '-0', ...) are kept as read.
create table if not exists duo_cells (
    version integer not null,
    file_name varchar not null,
    school_year varchar not null,
    line bigint not null,
    cell_label varchar not null,
    cell_order integer not null,
    value_text varchar
);

-- Which version of a DUO pupil file counts for a school year (a row per loaded file and year),
-- its rank among the files of the year (file_priority: a per-municipality file first) and its
-- count columns in order: every row of the file has one cell per column, so a row's zero cells
-- are the columns duo_cells holds no cell of.
create table if not exists duo_loaded (
    school_year varchar not null,
    file_name varchar not null,
    version integer not null,
    file_priority integer,
    cell_columns varchar[] not null
);

create table if not exists raw_location_totals (
    file_name varchar not null,
    school_year varchar not null,
    line bigint not null,
    n_fields integer,
    expected_fields integer,
    location_code varchar,
    brin varchar,
    soort varchar,
    school_municipality_code varchar,
    school_name varchar,
    column_name varchar,
    value_text varchar,
    raw_line varchar
);

-- Row-level quarantine. Rows of a school year are replaced when that year is recomputed.
create table if not exists rejected_rows (
    school_year varchar,
    source varchar not null,             -- duo | linked
    file_name varchar not null,
    line bigint not null,
    column_name varchar,
    reason_code varchar not null,
    reason varchar not null,
    raw_text varchar
);

-- Linked pseudonymised records (docs/inputs.md), values as text, per file version and line.
-- A file version's rows are written once, when it is read (by the discovery of school years, or
-- by the load for a file discovery did not read; after the BSN check: nothing of a refused file
-- is written), into linked_rows_* under the version's number (linked_versions). Loading a file
-- is a row in linked_loaded: which version of a file name counts, per school year for
-- enrolments, with its records' source. raw_linked_* (views, after the DUO tables) are the rows
-- of the loaded versions: nothing is copied.
create sequence if not exists linked_version_numbers;
create table if not exists linked_versions (
    version integer not null,            -- the number of the version's rows in linked_rows_*
    file_name varchar not null,
    sha256 varchar not null,
    kind varchar not null,               -- linked_schools | linked_enrolments | linked_support
    count_years integer[],               -- an enrolments file: its school years
    column_map map(varchar, varchar),    -- the contract's columns the file has -> its own names (input_files)
    read_last boolean not null           -- the name's version read last: its rows of every year are kept
);
create table if not exists linked_loaded (
    file_name varchar not null,
    school_year varchar,                 -- enrolments: the school year; NULL for schools and support
    version integer not null,            -- linked_versions.version: the rows that count
    kind varchar not null,
    source varchar not null              -- synthetic | linked: set when the file was first loaded
);
create table if not exists linked_rows_schools (
    version integer not null,
    file_name varchar not null,
    line bigint not null,
    school_location_id varchar,
    school_name varchar,
    sector varchar,
    municipality_code varchar,
    latitude varchar,
    longitude varchar,
    swv_code varchar,
    raw_text varchar                     -- filled by older versions; the stg_linked_* model makes it now
);
create table if not exists linked_rows_enrolments (
    version integer not null,
    file_name varchar not null,
    school_year varchar not null,       -- partition: normalised from the file's school_year
    line bigint not null,
    school_year_text varchar,
    student_id varchar using compression uncompressed,  -- a pseudonym: see warehouse.UNCOMPRESSED_COLUMNS
    school_location_id varchar,
    sector varchar,
    residence_municipality_code varchar,
    residence_postcode4 varchar,
    birth_year varchar,
    raw_text varchar                     -- filled by older versions; the stg_linked_* model makes it now
);
create table if not exists linked_rows_support (
    version integer not null,
    file_name varchar not null,
    line bigint not null,
    student_id varchar using compression uncompressed,  -- a pseudonym: see warehouse.UNCOMPRESSED_COLUMNS
    support_domain varchar,
    support_type varchar,
    responsible_municipality_code varchar,
    local_team varchar,
    start_date varchar,
    end_date varchar,
    raw_text varchar                     -- filled by older versions; the stg_linked_* model makes it now
);

-- DUO files as they were parsed by the discovery of school years (or by the first load that
-- needs them): what the current version of each file name is, and its number (`version`) in
-- duo_rows and duo_cells, so that `load_school_years` loads a year of it without parsing the
-- file again, and a file of several years is parsed once. A new version of a file replaces its
-- row here; the rows of a version that is neither a name's version here nor loaded go
-- (ingest/load.py, `drop_unused_versions`). staged_duo_totals: the location totals file's rows
-- with the counts of every year, copied a year at a time into raw_location_totals.
create table if not exists staged_duo_files (
    file_name varchar primary key,
    sha256 varchar not null,
    version integer,                     -- a parsed pupil file: the number of its rows in duo_rows
    size_bytes bigint,
    status varchar not null,             -- parsed | rejected
    kind varchar,
    encoding varchar,
    delimiter varchar,
    data_rows integer,
    count_years integer[],
    column_map map(varchar, varchar),
    single_school_municipality boolean,
    unreadable_dates boolean,
    dominant_year integer,
    pending_years integer[],
    cell_columns varchar[],              -- the count columns, in order (duo_cells.cell_order)
    reason_code varchar,                 -- a rejected file: why, and where
    message varchar,
    line integer,
    column_name varchar,
    raw_text varchar
);
create table if not exists staged_duo_totals as
    select * exclude (school_year, column_name, value_text), cast(null as varchar[]) as cell_values
    from raw_location_totals where false;

-- The DUO pupil rows that count: the rows of each file's version loaded for the school year.
-- Views: loading a file writes one row in duo_loaded. (Joins with duo_loaded, which has one row
-- per version and school year: an inner join rather than a semi join for raw_cells, whose
-- estimate made stg_duo_cells build its hash table on the 11.7 M national cells instead of the
-- 3.8 M rows, 4.2 -> 2.1 s CPU.)
create view if not exists raw_rows as
    select r.file_name, r.kind, r.school_year, r.line, r.n_fields, r.expected_fields, r.first_missing_column,
           l.file_priority, r.single_school_municipality, r.peildatum, r.brin, r.location_no,
           r.school_municipality_code, r.school_municipality_name, r.school_name, r.home_pc4,
           r.home_municipality_code, r.home_municipality_name, r.soort, r.total, r.raw_line
    from duo_rows r join duo_loaded l on l.version = r.version and l.school_year = r.school_year;
create view if not exists raw_cells as
    select c.file_name, c.school_year, c.line, c.cell_label, c.cell_order, c.value_text
    from duo_cells c join duo_loaded l on l.version = c.version and l.school_year = c.school_year;
create view if not exists raw_cell_columns as
    select file_name, school_year, cell_columns from duo_loaded;

-- The linked records that count: the rows of each file's loaded version (per school year for
-- enrolments) with the source label of its load. Views: loading a file writes no row here.
create view if not exists raw_linked_schools as
    select r.* exclude (version), l.source
    from linked_rows_schools r join linked_loaded l on l.version = r.version;
create view if not exists raw_linked_enrolments as
    select r.* exclude (version), l.source
    from linked_rows_enrolments r join linked_loaded l on l.version = r.version and l.school_year = r.school_year;
create view if not exists raw_linked_support as
    select r.* exclude (version), l.source
    from linked_rows_support r join linked_loaded l on l.version = r.version;
