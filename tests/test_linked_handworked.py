"""Linked records end to end on the hand-worked fixture (fixtures.LINKED_*), through the
`grensverkeer run` command: support_flows, school_local_team, agreement_needs,
school_coordination_load and municipality_support_profile worked out by hand below, for
two school years from one enrolments file; row-level quarantine; files with BSNs refused
whole (CSV, XLSX, Parquet) while the other files load; a 'telefoon' column of 9-digit
numbers is not a reason to refuse; no SYNTHETIC marker -> source 'linked'.

One run (one CLI call, two partitions). The input folder INPUT/linked/ holds:

    schools.csv, enrolments.csv, support.csv     the hand-worked fixture (fixtures.py)
    x_quarantine_{enrolments,support,schools}.csv rows that must be rejected, each with its
                                                  file, line and column (named 'x_' so they
                                                  sort after the good files: first wins)
    bsn_enrolments.csv / .xlsx, bsn_support.parquet  BSNs in student_id: refused whole
    school_contacts.csv                           20 schools with a 'telefoon' column of
                                                  9-digit numbers passing the elfproef: loaded

Region: Delft GM0503, Den Haag GM0518, Rijswijk GM0603; thresholds pair 4/2, school 3/2
(needed/attention), domains jeugdhulp + jeugdbescherming (the default).
"""

from __future__ import annotations

import duckdb
import pytest

import fixtures as F

Y24, Y23 = F.Y2024, F.Y2023
DE, DH, RW, WL = "GM0503", "GM0518", "GM0603", "GM1783"
DOMAINS = ("jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht", "totaal")
JH, JB, OW, LP, TOT = DOMAINS

# ---------------------------------------------------------------------------------------------
# Which support episodes overlap which school year (fixtures.LINKED_SUPPORT):
#
#                                      2024-2025 (2024-08-01..2025-07-31)  2023-2024 (2023-08-01..2024-07-31)
#   P01 jh  DH 2024-03-01..open          yes (ongoing)                      yes
#   P02 jb  DH 2025-07-31..2025-12-31    yes (starts on the last day)       no
#   P03 jh  DH 2024-08-01..2024-08-01    yes (the first day only)           no (starts the day after)
#   P03 ow  DH 2024-09-01..2025-06-30    yes                                no
#   P04 jh  DH 2023-09-01..2024-07-31    NO (ended on 31 July before)       yes (ends on the last day)
#   P05 jh  DE 2024-10-01..2025-03-01    yes                                -
#   P06 jb  DE 2022-01-01..2024-08-01    yes (ends on the first day)        yes
#   P06 lp  DE 2024-11-01..2024-12-01    yes                                no
#   P07 jh  RW 2024-01-15..open          yes                                -
#   P08 jh  RW 2024-09-01..2025-01-31    yes                                -
#   P09 jh  DE 01-12-2024..28-02-2025    yes                                -
#   P10 ow  DH 2024-09-01..2025-07-31    yes                                -
#   P11 lp  DH 2025-01-10..2025-02-10    yes                                -
#   P12 jh  DH 2025-08-01..open          NO (starts after the year)         -
#   P16 jh  RW 2024-06-01..2024-07-31    NO (ended on 31 July before)       yes
#   P17 jh  DH 2020-01-01..open          yes                                yes
#   P17 jb  DH 2024-01-01..open          yes                                yes
#   P18 jh  WL 2024-11-01..2025-05-01    yes                                -
#   P19 jh  DH                           not enrolled: counted nowhere
#   P20 jh  RW 2024-08-01..2024-12-31    yes                                -
#   P20 jh  DH 2025-01-01..open          yes                                -
#
# Enrolments 2024-2025 (residence -> school municipality, school):
#   P01 DH->DE 11AA00   P02 DH->DE 11AA00   P03 DH->DE 11AA01   P04 DH->DE 11AA00
#   P05 DE->DH 22BB00   P06 DE->DH 22BB01 (SO)                  P07 DE->DE 11AA00
#   P08 RW->RW 33CC00   P09 DE->DE 11AA00   P10 DH->DH 22BB00   P11 DH->DE 11AA00
#   P12 DH->DE 11AA01   P13 DH->DH 22BB00   P14 DE->DE 11AA01   P15 RW->DE 11AA00
#   P16 RW->DH 22BB00   P17 DH->DH 22BB01 (SO)                  P18 WL->DE 11AA00
#   P20 RW->DE 11AA00
# Enrolments 2023-2024: P01 P02 P03 P04 (as above), P06, P16, P17.
# ---------------------------------------------------------------------------------------------

# support_flows: (sector, origin, destination) -> (students, {domain: pupils with support}); absent = 0.
FLOWS = {
    Y24: {
        # P01 P02 P03 P04 P11 P12 = 6; jh P01 P03 = 2; jb P02 = 1; ow P03 = 1; lp P11 = 1;
        # any: P01 P02 P03 P11 = 4 (P04 ended 31 July before, P12 starts after the year)
        ("BO", DH, DE): (6, {JH: 2, JB: 1, OW: 1, LP: 1, TOT: 4}),
        ("BO", DE, DH): (1, {JH: 1, TOT: 1}),  # P05
        ("SO", DE, DH): (1, {JB: 1, LP: 1, TOT: 1}),  # P06: two domains, one pupil
        ("BO", DE, DE): (3, {JH: 2, TOT: 2}),  # P07 P09 P14; jh P07 P09
        ("BO", RW, RW): (1, {JH: 1, TOT: 1}),  # P08
        ("BO", DH, DH): (2, {OW: 1, TOT: 1}),  # P10 P13; ow P10
        ("BO", RW, DE): (2, {JH: 1, TOT: 1}),  # P15 P20; jh P20 (two episodes, one pupil)
        ("BO", RW, DH): (1, {}),  # P16: ended 31 July 2024
        ("SO", DH, DH): (1, {JH: 1, JB: 1, TOT: 1}),  # P17
        ("BO", WL, DE): (1, {JH: 1, TOT: 1}),  # P18
    },  # 6+1+1+3+1+2+2+1+1+1 = 19 enrolments
    Y23: {
        ("BO", DH, DE): (4, {JH: 2, TOT: 2}),  # P01..P04; jh P01 P04
        ("SO", DE, DH): (1, {JB: 1, TOT: 1}),  # P06 (lp starts 2024-11)
        ("BO", RW, DH): (1, {JH: 1, TOT: 1}),  # P16 (ends on 31 July 2024)
        ("SO", DH, DH): (1, {JH: 1, JB: 1, TOT: 1}),  # P17
    },
}

# school_local_team 2024-2025: (school, responsible municipality, domain) -> pupils with support.
# Support rows of 2024-2025 per school: 11AA00: P01 jh DH, P02 jb DH, P07 jh RW, P09 jh DE, P11 lp DH,
# P18 jh WL, P20 jh RW + jh DH; 11AA01: P03 jh + ow DH; 22BB00: P05 jh DE, P10 ow DH;
# 22BB01: P06 jb + lp DE, P17 jh + jb DH; 33CC00: P08 jh RW.
SCHOOL_LOCAL_TEAM = {
    ("11AA00", DH, JH): 2,
    ("11AA00", DH, JB): 1,
    ("11AA00", DH, LP): 1,
    ("11AA00", DH, TOT): 4,  # P01 P20 | P02 | P11 | all 4
    ("11AA00", RW, JH): 2,
    ("11AA00", RW, TOT): 2,  # P07 P20
    ("11AA00", DE, JH): 1,
    ("11AA00", DE, TOT): 1,  # P09
    ("11AA00", WL, JH): 1,
    ("11AA00", WL, TOT): 1,  # P18
    ("11AA01", DH, JH): 1,
    ("11AA01", DH, OW): 1,
    ("11AA01", DH, TOT): 1,  # P03
    ("22BB00", DE, JH): 1,
    ("22BB00", DE, TOT): 1,  # P05
    ("22BB00", DH, OW): 1,
    ("22BB00", DH, TOT): 1,  # P10
    ("22BB01", DE, JB): 1,
    ("22BB01", DE, LP): 1,
    ("22BB01", DE, TOT): 1,  # P06
    ("22BB01", DH, JH): 1,
    ("22BB01", DH, JB): 1,
    ("22BB01", DH, TOT): 1,  # P17
    ("33CC00", RW, JH): 1,
    ("33CC00", RW, TOT): 1,  # P08
}
SCHOOL_MUNICIPALITY = {"11AA00": DE, "11AA01": DE, "22BB00": DH, "22BB01": DH, "33CC00": RW}
TEAM_NAME = {DH: F.JDH, DE: F.JDE, RW: F.JRW, WL: F.JWL}

# agreement_needs: pupils with jeugdhulp or jeugdbescherming in the year whose responsible
# municipality A differs from the school's municipality B (2024-2025):
#   P01 11AA00 A=DH   P02 11AA00 A=DH   P03 11AA01 A=DH   P20 11AA00 A=DH and A=RW
#   P05 22BB00 A=DE   P06 22BB01 A=DE   P07 11AA00 A=RW   P18 11AA00 A=WL
# not counted: P09 P08 P17 (own municipality), P11 (leerplicht only), P10 (onderwijsondersteuning only),
# P04 P12 P16 (no overlap). Onderwijsondersteuning in the year: P03, P10.
# Levels: pair 'afspraak nodig' >= 4, 'aandachtspunt' >= 2; school 'afspraak nodig' >= 3, 'aandachtspunt' >= 2.
# key (level, A, B, school) -> (need_level, students_with_support, students_with_school_support, schools)
NEEDS = {
    Y24: {
        # DH x DE: P01 P02 P03 P20 = 4 >= 4; ow among them: P03 = 1; schools 11AA00 11AA01 = 2
        ("gemeentepaar", DH, DE, None): ("afspraak nodig", 4, 1, 2),
        # DE x DH: P05 P06 = 2 (>= 2, < 4); schools 22BB00 22BB01 = 2
        ("gemeentepaar", DE, DH, None): ("aandachtspunt", 2, 0, 2),
        # RW x DE: P07 P20 = 2; one school (11AA00)
        ("gemeentepaar", RW, DE, None): ("aandachtspunt", 2, 0, 1),
        # WL x DE: P18 = 1 < 2
        ("gemeentepaar", WL, DE, None): ("geen", 1, 0, 1),
        ("school", DH, DE, "11AA00"): ("afspraak nodig", 3, 0, 1),  # P01 P02 P20 = 3 >= 3
        ("school", DH, DE, "11AA01"): ("geen", 1, 1, 1),  # P03 = 1 < 2; P03 has ow
        ("school", DE, DH, "22BB00"): ("geen", 1, 0, 1),  # P05
        ("school", DE, DH, "22BB01"): ("geen", 1, 0, 1),  # P06
        ("school", RW, DE, "11AA00"): ("aandachtspunt", 2, 0, 1),  # P07 P20 = 2 (>= 2, < 3)
        ("school", WL, DE, "11AA00"): ("geen", 1, 0, 1),  # P18
    },
    # 2023-2024: P01 P04 at 11AA00 (A=DH), P06 at 22BB01 (A=DE), P16 at 22BB00 (A=RW); no ow.
    Y23: {
        ("gemeentepaar", DH, DE, None): ("aandachtspunt", 2, 0, 1),  # P01 P04 = 2
        ("gemeentepaar", DE, DH, None): ("geen", 1, 0, 1),  # P06
        ("gemeentepaar", RW, DH, None): ("geen", 1, 0, 1),  # P16
        ("school", DH, DE, "11AA00"): ("aandachtspunt", 2, 0, 1),  # P01 P04 = 2
        ("school", DE, DH, "22BB01"): ("geen", 1, 0, 1),
        ("school", RW, DH, "22BB00"): ("geen", 1, 0, 1),
    },
}

# school_coordination_load 2024-2025, pupils with jh/jb (own municipality included):
#   11AA00: P01 DH, P02 DH, P07 RW, P09 DE, P18 WL, P20 RW+DH -> 6 pupils, teams {DH RW DE WL} = 4,
#           elsewhere {DH RW WL} = 3, pupils from elsewhere P01 P02 P07 P18 P20 = 5 -> 5/6
#   11AA01: P03 DH -> 1, 1 team, 1 elsewhere, 1/1
#   22BB00: P05 DE -> 1, 1, 1, 1/1
#   22BB01: P06 DE, P17 DH -> 2 pupils, teams {DE DH} = 2, elsewhere {DE} = 1, 1/2
#   33CC00: P08 RW -> 1, 1 team, 0 elsewhere, 0/1
# school -> (students_with_support, local_teams, local_teams_elsewhere, share_from_elsewhere)
COORDINATION = {
    "11AA00": (6, 4, 3, 5 / 6),
    "11AA01": (1, 1, 1, 1.0),
    "22BB00": (1, 1, 1, 1.0),
    "22BB01": (2, 2, 1, 0.5),
    "33CC00": (1, 1, 0, 0.0),
}

# municipality_support_profile 2024-2025, per responsible municipality (jh/jb pupils):
#   DE: P05 (22BB00), P06 (22BB01), P09 (own) -> 3, elsewhere 2 -> 2/3, schools {22BB00 22BB01} = 2, municipalities {DH} = 1
#   DH: P01 P02 P20 (11AA00), P03 (11AA01), P17 (own) -> 5, elsewhere 4 -> 4/5, schools 2, municipalities {DE} = 1
#   RW: P07 P20 (11AA00), P08 (own) -> 3, elsewhere 2 -> 2/3, schools 1, municipalities 1
#   WL: P18 (11AA00) -> 1, elsewhere 1 -> 1/1, schools 1, municipalities 1; not in the region
# code -> (in_region, students_with_support, schooled_elsewhere, share, schools_elsewhere, municipalities_elsewhere)
PROFILE = {
    DE: (True, 3, 2, 2 / 3, 2, 1),
    DH: (True, 5, 4, 4 / 5, 2, 1),
    RW: (True, 3, 2, 2 / 3, 1, 1),
    WL: (False, 1, 1, 1.0, 1, 1),
}

NAMES = {DE: "Delft", DH: "Den Haag", RW: "Rijswijk", WL: "Westland"}
SCHOOL_NAMES = {row[0]: row[1] for row in F.LINKED_SCHOOLS}

# ---------------------------------------------------------------------------------------------
# Rows to quarantine, and files with BSNs
# ---------------------------------------------------------------------------------------------

P13_LINE = next(i for i, r in enumerate(F.LINKED_ENROLMENTS) if r[1] == "P13") + 2  # header is line 1

QUARANTINE_ENROLMENTS = [  # all would count in 2024-2025 if they were accepted
    [Y24, "Q01", "99ZZ00", "BO", DE, "2611", 2016],  # line 2: school in no list
    [Y24, "Q02", "11AA00", "XX", DE, "2611", 2016],  # line 3: unknown sector
    [Y24, "Q03", "11AA00", "BO", "GM9999", "2611", 2016],  # line 4: no such municipality
    [Y24, "P13", "11AA01", "BO", DH, "2491", 2018],  # line 5: P13 again this year
    ["volgend jaar", "Q05", "11AA00", "BO", DE, "2611", 2016],  # line 6: school year unreadable
    [Y24, "Q06", "44DD00", "BO", DE, "2611", 2016],  # line 7: its school row is rejected
    ["2024-2026", "Q07", "11AA00", "BO", DE, "2611", 2016],  # line 8: not two consecutive years
]
QUARANTINE_SUPPORT = [  # each would give P13 or P14 support in 2024-2025 if accepted
    ["P13", "jeugdhulp", "ambulant", DH, F.JDH, "2024-10-01", "2024-09-01"],  # line 2: start after end
    ["P14", "huiswerkbegeleiding", "x", DE, F.JDE, "2024-10-01", None],  # line 3: unknown domain
    ["P13", "jeugdbescherming", "OTS", DH, F.JDH, "1 oktober 2024", None],  # line 4: start unreadable
    ["P14", "jeugdhulp", "ambulant", DE, F.JDE, "2024-10-01", "2024-13-45"],  # line 5: end unreadable
]
QUARANTINE_SCHOOLS = [
    ["44DD00", "School met onbekende sector", "ZZ", DE],  # line 2: bad sector
    ["66FF00", "School in nergensland", "BO", "GM9999"],  # line 3: bad municipality
    ["11AA00", "Verkeerde naam", "BO", DH],  # line 4: second row of 11AA00: first wins
    ["88HH00", "", "BO", DE],  # line 5: no name
]
# (school_year, file, line, column, reason_code)
EXPECTED_REJECTED = {
    (Y24, "linked/x_quarantine_enrolments.csv", 2, "school_location_id", "unknown_school"),
    (Y24, "linked/x_quarantine_enrolments.csv", 3, "sector", "unknown_sector"),
    (Y24, "linked/x_quarantine_enrolments.csv", 4, "residence_municipality_code", "unknown_municipality"),
    (Y24, "linked/x_quarantine_enrolments.csv", 5, "student_id", "duplicate_student"),
    (Y24, "linked/x_quarantine_enrolments.csv", 6, "school_year", "invalid_school_year"),
    (Y24, "linked/x_quarantine_enrolments.csv", 7, "school_location_id", "unknown_school"),
    (Y24, "linked/x_quarantine_enrolments.csv", 8, "school_year", "invalid_school_year"),
    (None, "linked/x_quarantine_support.csv", 2, "end_date", "start_after_end"),
    (None, "linked/x_quarantine_support.csv", 3, "support_domain", "unknown_support_domain"),
    (None, "linked/x_quarantine_support.csv", 4, "start_date", "invalid_date"),
    (None, "linked/x_quarantine_support.csv", 5, "end_date", "invalid_date"),
    (None, "linked/x_quarantine_schools.csv", 2, "sector", "unknown_sector"),
    (None, "linked/x_quarantine_schools.csv", 3, "municipality_code", "unknown_municipality"),
    (None, "linked/x_quarantine_schools.csv", 4, "school_location_id", "duplicate_row"),
    (None, "linked/x_quarantine_schools.csv", 5, "school_name", "missing_school_name"),
}

BSN_CSV = F.make_bsns(5, 261_437_000)  # text
BSN_XLSX = F.make_bsns(5, 48_917_300)  # '048917...': Excel numbers lose the leading zero
BSN_PARQUET = F.make_bsns(5, 735_102_600)  # an Int64 column
PHONES = F.make_bsns(20, 612_345_000)  # pass the elfproef, but in a 'telefoon' column
# Issue 14: BSNs written as 1234.56.782 and 123 456 782, and one inside free text.
BSN_DOTTED = F.make_bsns(5, 317_220_000)
BSN_SPACED = F.make_bsns(5, 582_004_000)
BSN_IN_TEXT = F.make_bsns(1, 904_113_000)
DOTTED = [f"{b[:4]}.{b[4:6]}.{b[6:]}" for b in BSN_DOTTED]
SPACED = [f"{b[:3]} {b[3:6]} {b[6:]}" for b in BSN_SPACED]
BSN_FILES = [
    "linked/bsn_enrolments.csv",
    "linked/bsn_enrolments.xlsx",
    "linked/bsn_support.parquet",
    "linked/bsn_dotted_enrolments.csv",
    "linked/bsn_spaced_enrolments.xlsx",
]
BSN_TEXT_FILE = "linked/bsn_in_text_support.csv"
ALL_BSNS = BSN_CSV + BSN_XLSX + BSN_PARQUET + BSN_DOTTED + BSN_SPACED + BSN_IN_TEXT
WRITTEN_BSNS = ALL_BSNS + DOTTED + SPACED
GOOD_FILES = [
    "linked/enrolments.csv",
    "linked/school_contacts.csv",
    "linked/schools.csv",
    "linked/support.csv",
    "linked/x_quarantine_enrolments.csv",
    "linked/x_quarantine_schools.csv",
    "linked/x_quarantine_support.csv",
]


def _write_input(folder):
    linked = folder / "linked"
    F.write_linked_handworked(linked)
    F.write_linked(linked / "x_quarantine_enrolments.csv", F.LINKED_ENROLMENTS_HEAD, QUARANTINE_ENROLMENTS)
    F.write_linked(linked / "x_quarantine_support.csv", F.LINKED_SUPPORT_HEAD, QUARANTINE_SUPPORT)
    F.write_linked(linked / "x_quarantine_schools.csv", F.LINKED_SCHOOLS_HEAD, QUARANTINE_SCHOOLS)
    # BSNs: were they loaded, they would add pupils at 11AA00 and support for them
    F.write_linked(
        linked / "bsn_enrolments.csv",
        F.LINKED_ENROLMENTS_HEAD,
        [[Y24, b, "11AA00", "BO", DE, "2611", 2016] for b in BSN_CSV],
    )
    F.write_linked(
        linked / "bsn_enrolments.xlsx",
        F.LINKED_ENROLMENTS_HEAD,
        [[Y24, int(b), "11AA00", "BO", DH, "2491", 2016] for b in BSN_XLSX],
    )
    import polars as pl

    F.write_linked(
        linked / "bsn_support.parquet",
        F.LINKED_SUPPORT_HEAD,
        [[int(b), "jeugdhulp", "ambulant", DH, F.JDH, "2024-09-01", None] for b in BSN_PARQUET],
        schema={"student_id": pl.Int64},
    )
    F.write_linked(
        linked / "bsn_dotted_enrolments.csv",
        F.LINKED_ENROLMENTS_HEAD,
        [[Y24, b, "11AA00", "BO", DE, "2611", 2016] for b in DOTTED],
    )
    F.write_linked(
        linked / "bsn_spaced_enrolments.xlsx",
        F.LINKED_ENROLMENTS_HEAD,
        [[Y24, b, "11AA00", "BO", DE, "2611", 2016] for b in SPACED],
    )
    F.write_linked(
        linked / "bsn_in_text_support.csv",
        F.LINKED_SUPPORT_HEAD,
        [
            ["P90", "jeugdhulp", "ambulant", DH, F.JDH, "2024-09-01", None],
            ["P91", "jeugdhulp", f"ambulant (bsn {BSN_IN_TEXT[0]})", DH, F.JDH, "2024-09-01", None],
        ],
    )
    F.write_linked(
        linked / "school_contacts.csv",
        F.LINKED_SCHOOLS_HEAD + ["telefoon"],
        [[f"77GG{i:02d}", f"Contactschool {i}", "BO", DE, p] for i, p in enumerate(PHONES)],
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked_handworked")
    folder, wh, out = root / "in", root / "warehouse.duckdb", root / "out"
    _write_input(folder)
    region = F.write_linked_region(root / "region.toml", F.LINKED_MEMBERS, pair=F.LINKED_PAIR, school=F.LINKED_SCHOOL)
    code, output = F.cli_main(
        root, ["run", "--input", str(folder), "--warehouse", str(wh), "--out", str(out), "--region", str(region)]
    )
    r = F.Run(folder, wh, out, None, [])
    return r, code, output


def _q(r, sql, params=None):
    return r.query(sql, params)


# ---------------------------------------------------------------------------------------------
# The hand-worked tables
# ---------------------------------------------------------------------------------------------


def test_two_school_years_from_one_file(run):
    r, code, output = run
    assert _q(r, "select distinct school_year from support_flows order by 1") == [(Y23,), (Y24,)]
    # every accepted enrolment of the year is in exactly one flow
    for year, n in ((Y24, 19), (Y23, 7)):
        assert (
            _q(
                r, "select sum(students) from support_flows where school_year = ? and support_domain = 'totaal'", [year]
            )[0][0]
            == n
        )


@pytest.mark.parametrize("year", [Y24, Y23])
def test_support_flows(run, year):
    r, _, _ = run
    got = {
        (s, o, d, dom): (n, k)
        for s, o, d, dom, n, k in _q(
            r,
            """
        select sector, origin_code, destination_code, support_domain, students, students_with_support
        from support_flows where school_year = ?""",
            [year],
        )
    }
    expected = {
        (s, o, d, dom): (n, by_domain.get(dom, 0))
        for (s, o, d), (n, by_domain) in FLOWS[year].items()
        for dom in DOMAINS
    }
    assert got == expected
    names = set(_q(r, "select origin_code, origin_name from support_flows where school_year = ?", [year]))
    assert names <= {(c, NAMES[c]) for c in NAMES}


def test_school_local_team(run):
    r, _, _ = run
    rows = _q(
        r,
        """select school_location_id, school_name, school_municipality_code, responsible_municipality_code,
                           responsible_municipality_name, local_team, support_domain, students_with_support, crosses_border
                    from school_local_team where school_year = ?""",
        [Y24],
    )
    assert {(s, t, d): n for s, _, _, t, _, _, d, n, _ in rows} == SCHOOL_LOCAL_TEAM
    for s, name, muni, team, team_name, local_team, _, _, crosses in rows:
        assert (name, muni, team_name, local_team) == (
            SCHOOL_NAMES[s],
            SCHOOL_MUNICIPALITY[s],
            NAMES[team],
            TEAM_NAME[team],
        )
        assert crosses == (team != SCHOOL_MUNICIPALITY[s])


@pytest.mark.parametrize("year", [Y24, Y23])
def test_agreement_needs(run, year):
    r, _, _ = run
    rows = _q(
        r,
        """select level, local_team_municipality_code, school_municipality_code, school_location_id,
                           need_level, students_with_support, students_with_school_support, schools
                    from agreement_needs where school_year = ?""",
        [year],
    )
    assert {(lv, a, b, s): (need, n, ow, k) for lv, a, b, s, need, n, ow, k in rows} == NEEDS[year]


def test_agreement_needs_details(run):
    r, _, _ = run
    rows = _q(
        r,
        """select level, local_team_municipality_code, local_team_municipality_name, local_team,
                           school_municipality_code, school_municipality_name, local_team_in_region, school_in_region,
                           school_location_id, school_name, threshold_needed, threshold_attention
                    from agreement_needs where school_year = ?""",
        [Y24],
    )
    for lv, a, a_name, team, b, b_name, a_in, b_in, s, s_name, needed, attention in rows:
        assert (a_name, b_name, team) == (NAMES[a], NAMES[b], TEAM_NAME[a])
        assert (a_in, b_in) == (a in F.LINKED_MEMBERS, b in F.LINKED_MEMBERS)
        assert s_name == (SCHOOL_NAMES[s] if lv == "school" else None)
        assert (needed, attention) == (F.LINKED_PAIR if lv == "gemeentepaar" else F.LINKED_SCHOOL)


def test_agreement_reason_in_dutch(run):
    r, _, _ = run
    reasons = {
        (lv, a, b, s): text
        for lv, a, b, s, text in _q(
            r,
            """
        select level, local_team_municipality_code, school_municipality_code, school_location_id, reason
        from agreement_needs where school_year = ?""",
            [Y24],
        )
    }
    assert reasons[("gemeentepaar", DH, DE, None)] == (
        "4 leerlingen met jeugdhulp of jeugdbescherming van het lokale team van Den Haag gaan naar 2 scholen "
        "in Delft; 1 daarvan krijgt ook onderwijsondersteuning. "
        'Regel: "afspraak nodig" vanaf 4 leerlingen, "aandachtspunt" vanaf 2.'
    )
    assert reasons[("school", DH, DE, "11AA01")] == (
        "1 leerling met jeugdhulp of jeugdbescherming van het lokale team van Den Haag gaat naar school "
        "Delftse Zuidschool in Delft; 1 daarvan krijgt ook onderwijsondersteuning. "
        'Regel: "afspraak nodig" vanaf 3 leerlingen, "aandachtspunt" vanaf 2.'
    )
    for key, (_need, n, ow, _k) in NEEDS[Y24].items():
        text = reasons[key]
        needed, attention = F.LINKED_PAIR if key[0] == "gemeentepaar" else F.LINKED_SCHOOL
        assert text.startswith(f"{n} leerling"), text
        assert f"{ow} daarvan" in text, text
        assert f'"afspraak nodig" vanaf {needed} leerlingen, "aandachtspunt" vanaf {attention}.' in text, text
        assert f"van het lokale team van {NAMES[key[1]]} " in text and f" in {NAMES[key[2]]};" in text, text


def test_school_coordination_load(run):
    r, _, _ = run
    got = {
        s: (n, t, te, share)
        for s, n, t, te, share in _q(
            r,
            """
        select school_location_id, students_with_support, local_teams, local_teams_elsewhere, share_from_elsewhere
        from school_coordination_load where school_year = ?""",
            [Y24],
        )
    }
    assert got.keys() == COORDINATION.keys()
    for s, (n, t, te, share) in COORDINATION.items():
        assert got[s][:3] == (n, t, te), s
        assert got[s][3] == pytest.approx(share), s


def test_municipality_support_profile(run):
    r, _, _ = run
    got = {
        c: rest
        for c, *rest in _q(
            r,
            """
        select code, in_region, students_with_support, schooled_elsewhere, share_schooled_elsewhere,
               schools_elsewhere, municipalities_elsewhere
        from municipality_support_profile where school_year = ?""",
            [Y24],
        )
    }
    assert got.keys() == PROFILE.keys()
    for c, (in_region, n, elsewhere, share, schools, munis) in PROFILE.items():
        assert got[c][0:3] + got[c][4:] == [in_region, n, elsewhere, schools, munis], c
        assert got[c][3] == pytest.approx(share), c


def test_source_is_linked_without_the_marker(run):
    r, _, _ = run
    for table in (
        "support_flows",
        "school_local_team",
        "agreement_needs",
        "school_coordination_load",
        "municipality_support_profile",
    ):
        assert _q(r, f"select distinct source from {table}") == [("linked",)], table


def test_no_blocking_check_failed(run):
    r, code, output = run
    assert "failed" not in output, output


# ---------------------------------------------------------------------------------------------
# Quarantine
# ---------------------------------------------------------------------------------------------


def test_rejected_rows_with_file_line_and_column(run):
    r, _, _ = run
    got = set(
        _q(
            r,
            "select school_year, file_name, line, column_name, reason_code from rejected_rows where source = 'linked'",
        )
    )
    assert got == EXPECTED_REJECTED
    reason = _q(r, "select reason from rejected_rows where reason_code = 'duplicate_student'")[0][0]
    assert f"linked/enrolments.csv line {P13_LINE}" in reason
    # every rejected row shows the row as read; accepted enrolments do not keep it
    assert _q(r, "select count(*) from rejected_rows where source = 'linked' and raw_text is null")[0][0] == 0
    assert _q(r, "select count(raw_text) from stg_linked_enrolments where reason_code is null")[0][0] == 0


def test_accepted_plus_rejected_is_every_input_row(run):
    r, _, _ = run
    expected = {  # file -> (data rows, rejected)
        "linked/schools.csv": (5, 0),
        "linked/enrolments.csv": (26, 0),
        "linked/support.csv": (21, 0),
        "linked/school_contacts.csv": (20, 0),
        "linked/x_quarantine_enrolments.csv": (7, 7),
        "linked/x_quarantine_support.csv": (4, 4),
        "linked/x_quarantine_schools.csv": (4, 4),
    }
    staged = {}
    for table in ("stg_linked_schools", "stg_linked_enrolments", "stg_linked_support"):
        for name, n, rejected in _q(r, f"select file_name, count(*), count(reason_code) from {table} group by all"):
            staged[name] = (n, rejected)
    assert staged == expected
    rejected = dict(_q(r, "select file_name, count(*) from rejected_rows where source = 'linked' group by all"))
    assert rejected == {
        "linked/x_quarantine_enrolments.csv": 7,
        "linked/x_quarantine_support.csv": 4,
        "linked/x_quarantine_schools.csv": 4,
    }
    assert _q(
        r, "select reason_code from stg_linked_schools where file_name = 'linked/x_quarantine_schools.csv' and line = 4"
    ) == [("duplicate_row",)]


def test_duplicate_school_row_did_not_replace_the_first(run):
    r, _, _ = run
    assert _q(
        r,
        "select school_name, municipality_code from stg_linked_schools "
        "where school_location_id = '11AA00' and reason_code is null",
    ) == [("Delftse Noordschool", DE)]


# ---------------------------------------------------------------------------------------------
# BSNs: refused whole, before anything is written; the other files load
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BSN_FILES)
def test_bsn_file_refused_with_how_to_pseudonymise(run, name):
    r, _, _ = run
    rows = _q(
        r, "select reason_code, line, column_name, reason, raw_text from rejected_files where file_name = ?", [name]
    )
    assert len(rows) == 1, rows
    code, line, column, reason, raw_text = rows[0]
    assert (code, line, column) == ("bsn_found", 2, "student_id")
    assert raw_text is None
    for text in (
        name,
        "'student_id'",
        "elfproef",
        "grensverkeer pseudonymise",
        "--column student_id",
        "GRENSVERKEER_PSEUDONYM_KEY",
        "Nothing from this file has been loaded",
    ):
        assert text in reason, (text, reason)
    assert _q(r, "select status from input_files where file_name = ?", [name]) == [("rejected",)]
    assert "written like 'xxx" in reason and not any(b in reason for b in WRITTEN_BSNS)


def test_bsn_in_free_text_refused_naming_the_column_and_a_masked_example(run):
    r, _, output = run
    [(code, line, column, reason)] = _q(
        r, "select reason_code, line, column_name, reason from rejected_files where file_name = ?", [BSN_TEXT_FILE]
    )
    assert (code, line, column) == ("bsn_found", 3, "support_type")
    assert "'support_type'" in reason and "written like 'xxxxxxxxx'" in reason and BSN_IN_TEXT[0] not in reason
    assert f"rejected file {BSN_TEXT_FILE}" in output


def test_nothing_of_a_bsn_file_in_any_table(run):
    r, _, _ = run
    con = duckdb.connect(str(r.warehouse), read_only=True)
    try:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        for table in tables:
            cols = [
                c
                for (c,) in con.execute(
                    f"select column_name from duckdb_columns() where table_name = '{table}' "
                    "and column_name = 'file_name'"
                ).fetchall()
            ]
            if cols:
                n = con.execute(
                    f"select count(*) from {table} where file_name in (select unnest(?::varchar[]))",
                    [BSN_FILES + [BSN_TEXT_FILE]],
                ).fetchall()[0][0]
                allowed = 1 if table in ("rejected_files", "input_files") else 0
                assert n == allowed * (len(BSN_FILES) + 1), (table, n)
            text = "\n".join(str(row) for row in con.execute(f"select * from {table}").fetchall())
            for bsn in WRITTEN_BSNS:
                assert bsn not in text, (table, bsn)
            for bsn in BSN_XLSX:  # as the Excel number
                assert bsn.lstrip("0") not in text, (table, bsn)
    finally:
        con.close()
    data = r.warehouse.read_bytes()
    for bsn in WRITTEN_BSNS:
        assert bsn.encode() not in data


def test_cli_exits_non_zero_naming_the_refused_files(run):
    r, code, output = run
    assert code != 0
    for name in BSN_FILES:
        assert f"rejected file {name}" in output, output
    for bsn in WRITTEN_BSNS:
        assert bsn not in output


def test_other_files_still_load(run):
    r, _, _ = run
    status = dict(_q(r, "select file_name, status from input_files"))
    assert status == {**{n: "loaded" for n in GOOD_FILES}, **{n: "rejected" for n in BSN_FILES + [BSN_TEXT_FILE]}}
    # and the hand-worked numbers above are those of the good files alone
    assert _q(r, "select count(*) from stg_linked_enrolments where reason_code is null") == [(26,)]


def test_nine_digit_numbers_in_a_phone_column_are_not_refused(run):
    r, _, _ = run
    assert _q(r, "select count(*) from rejected_files where file_name = 'linked/school_contacts.csv'") == [(0,)]
    assert _q(
        r, "select count(*), count(reason_code) from stg_linked_schools where file_name = 'linked/school_contacts.csv'"
    ) == [(20, 0)]
    # columns outside the contract are not kept, not even in a row's raw text (made by the model
    # from the file's contract columns, input_files.column_map)
    raw = "\n".join(t for (t,) in _q(r, "select raw_text from stg_linked_schools"))
    assert _q(r, "select count(raw_text) from raw_linked_schools") == [(0,)]
    assert "Contactschool 0" in raw and not any(p in raw for p in PHONES)


def test_a_refused_bsn_file_creates_no_school_year(tmp_path):
    from grensverkeer.ingest.linked import linked_school_years

    linked = tmp_path / "linked"
    F.write_linked(linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, [r for r in F.LINKED_ENROLMENTS if r[0] == Y24])
    F.write_linked(
        linked / "bsn_enrolments.csv",
        F.LINKED_ENROLMENTS_HEAD,
        [["2025-2026", b, "11AA00", "BO", DE, "2611", 2016] for b in BSN_CSV],
    )
    years, _ = linked_school_years(tmp_path)
    assert years == [2024]


def test_discovery_does_not_read_linked_files_the_warehouse_loaded_before(tmp_path, monkeypatch):
    """A rerun finds the years of unchanged linked files in the warehouse's record (national
    scale: millions of rows not read again); a changed file is read as before."""
    from grensverkeer.ingest import linked as L
    from grensverkeer.ingest.text import sha256_of

    linked = tmp_path / "linked"
    F.write_linked(linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, [r for r in F.LINKED_ENROLMENTS if r[0] == Y24])
    known = {("linked/enrolments.csv", sha256_of(linked / "enrolments.csv")): (L.ENROLMENTS.name, [2030])}

    def no_read(*args, **kwargs):
        raise AssertionError("a file loaded before was read again")

    monkeypatch.setattr(L, "_read", no_read)
    assert L.linked_school_years(tmp_path, known=known)[0] == [2030]
    monkeypatch.undo()
    F.write_linked(
        linked / "enrolments.csv", F.LINKED_ENROLMENTS_HEAD, [r for r in F.LINKED_ENROLMENTS if r[0] == Y24][:3]
    )
    assert L.linked_school_years(tmp_path, known=known)[0] == [2024]


def test_a_need_level_next_to_a_hidden_count_does_not_give_it_away(run):
    """Local team of Den Haag x schools in Delft, 2024-2025: 4 pupils, 'afspraak nodig' from 4. Next to
    '<5' that level would say 4: with these thresholds every hidden pair count gets the grouped level."""
    import polars as pl

    r, _, _ = run
    assert _q(
        r,
        "select need_level, published_need_level, stated_lo, stated_hi from pub_agreement_needs "
        "where school_year = ? and level = 'gemeentepaar' and local_team_municipality_code = ? "
        "and school_municipality_code = ?",
        [Y24, DH, DE],
    ) == [("afspraak nodig", "geen, aandachtspunt of afspraak nodig", 0, None)]
    rows = pl.read_csv(
        r.out_dir / "exports" / Y24 / "afspraken_gemeenten.csv", separator=";", infer_schema=False
    ).filter((pl.col("Lokaal team van (code)") == DH) & (pl.col("Scholen in (code)") == DE))
    assert rows.select("Leerlingen met hulp lokaal team", "Niveau").rows() == [
        ("<5", "geen, aandachtspunt of afspraak nodig")
    ]
