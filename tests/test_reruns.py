"""Runs one after another on the same warehouse: idempotency, a duplicate file, a new
school year, and a broken replacement of a file loaded before. Two of the five runs go
through the `grensverkeer run` command (exit codes, messages).

    1. run_pipeline on the good 2024 baseline
    2. run_pipeline again, same input                       -> nothing changes
    3. CLI, with a byte copy of 2024/Delft.csv added         -> exit 0, nothing changes
    4. run_pipeline, with 2023 files added                   -> new partition, 2024 unchanged
    5. CLI, totally-random.txt replaced by a broken version  -> exit 1 naming the file; the folder is
       the truth (issue 14): the old version stops counting (kept in input_files as 'retracted'),
       as in a fresh run on the folder, and 2023 is untouched
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil

import pytest

import fixtures as F

Y24, Y23 = "2024-2025", "2023-2024"
TABLES = [
    "raw_rows",
    "raw_cells",
    "raw_cell_columns",
    "raw_location_totals",
    "stg_duo_rows",
    "stg_duo_cells",
    "stg_location_totals",
    "rejected_rows",
    "int_cell_estimates",
    "int_location_masking",
    "int_row_estimates",
    "municipality_flows",
    "school_catchment",
    "pub_municipality_profile",
    "pub_flows",
    "graph_node_metrics",
]

# 2023: the old header generation, cp1252, ',' unquoted, CRLF, no PEILDATUM (year from the
# file name). Totals 2023 in BASE_TOTALS: 04MF00 44 = 24 + 10 + 5 + 5, 00PZ00 17. Every
# region member is in the year's graph (a blocking check asks for that).
DELFT_2023 = [
    F.PoRow(F.DELFT_MONT, "2611", "Delft", "Bo", {"4": 11, "5": 13}),
    F.PoRow(F.DELFT_MONT, "2289", "Rijswijk", "Bo", {"5": 10}),
    F.PoRow(F.DELFT_MONT, "2671", "Westland", "Bo", {"6": 5}),
    F.PoRow(F.DELFT_MONT, "2491", "'s-Gravenhage", "Bo", {"7": 5}),
    F.PoRow(F.DELFT_SO, "2624", "Delft", "So", {"7": 17}),
]


def snapshot(r: F.Run) -> dict:
    snap = {"counts": {}}
    for t in TABLES:
        snap["counts"][t] = dict(r.query(f"select school_year, count(*) from {t} group by all"))
    for year in (Y23, Y24):
        snap[year] = {
            "flows": r.query(
                "select * exclude (origin_name, destination_name) from municipality_flows "
                "where school_year = ? order by all",
                [year],
            ),
            "rows": r.query(
                "select file_name, line, reason_code, origin_code, destination_code, sector "
                "from stg_duo_rows where school_year = ? order by all",
                [year],
            ),
            "estimates": r.query(
                "select file_name, line, cell_label, students, students_low, students_high "
                "from int_cell_estimates where school_year = ? order by all",
                [year],
            ),
        }
    snap["input_files"] = r.query("select file_name, sha256, status from input_files order by all")
    return snap


def cli(root, input_dir, warehouse, out_dir, *options) -> tuple[int, str, str]:
    """`grensverkeer run`: exit code, everything printed, and what went to stdout."""
    from dagster import DagsterInstance

    from grensverkeer.cli import main

    home = root / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copyfile(F.REPO / "dagster.yaml", home / "dagster.yaml")
    region = F.write_region(root / "cli-region.toml", F.BASE_REGION)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        for var in ("GRENSVERKEER_INPUT", "GRENSVERKEER_WAREHOUSE", "GRENSVERKEER_OUT", "GRENSVERKEER_REGION"):
            mp.setenv(var, "")  # restored (removed) afterwards: the CLI writes them into os.environ
        # (a live instance as Dagster's current one while definitions load: see fixtures.run)
        with DagsterInstance.ephemeral(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(
                [
                    "run",
                    "--input",
                    str(input_dir),
                    "--warehouse",
                    str(warehouse),
                    "--out",
                    str(out_dir),
                    "--region",
                    str(region),
                    *options,
                ]
            )
    return code, out.getvalue() + err.getvalue(), out.getvalue()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("reruns")
    folder, wh, out = root / "in", root / "warehouse.duckdb", root / "out"
    files = F.write_baseline(folder)
    snaps, runs, accounted = [], {}, {}

    runs[1] = F.run(folder, wh, out, F.BASE_REGION)
    snaps.append(snapshot(runs[1]))
    snaps[0]["flow_dict"] = runs[1].flows(Y24)  # the warehouse file changes in the runs below

    runs[2] = F.run(folder, wh, out, F.BASE_REGION)
    snaps.append(snapshot(runs[2]))
    accounted[2] = F.rows_accounted(runs[2])

    shutil.copyfile(files["delft"], folder / "2024" / "Delft - kopie.csv")  # sorts before Delft.csv
    runs[3] = cli(root, folder, wh, out)
    snaps.append(snapshot(runs[1]))  # same warehouse file
    accounted[3] = F.rows_accounted(runs[1])

    F.write_po(
        folder / "2023" / "Delft-2023.csv",
        DELFT_2023,
        generation="old",
        peildatum=False,
        encoding="cp1252",
        delimiter=",",
        quoting="none",
        newline="\r\n",
    )
    runs[4] = F.run(folder, wh, out, F.BASE_REGION)
    snaps.append(snapshot(runs[4]))
    accounted[4] = F.rows_accounted(runs[4])

    records = F.po_records(F.WESTLAND_ROWS)
    broken = [[v for h, v in zip(records[0], rec) if h != "GEMEENTENAAM_LEERLING"] for rec in records]
    F.write_records(files["westland"], broken, encoding="cp1252", delimiter=",", quoting="none", newline="\r\n")
    runs[5] = cli(root, folder, wh, out, "--quiet")
    snaps.append(snapshot(runs[1]))
    return runs, snaps, accounted


def test_first_run_is_the_baseline(chain):
    runs, snaps, accounted = chain
    assert runs[1].outcome.failures == []
    flows = snaps[0]["flow_dict"]
    assert {k: flows[k] for k in F.BASE_EXACT_FLOWS} == {k: (v, v, v) for k, v in F.BASE_EXACT_FLOWS.items()}


def test_second_run_on_the_same_input_is_idempotent(chain):
    runs, snaps, accounted = chain
    assert runs[2].outcome.failures == []
    assert snaps[1] == {k: v for k, v in snaps[0].items() if k != "flow_dict"}
    assert snaps[1]["counts"]["raw_rows"] == {Y24: 7 + 8 + 4 + 3 + 3 + 4}  # nothing doubled
    assert accounted[2] == []


def test_cli_exit_0_and_a_copied_file_changes_nothing(chain):
    runs, snaps, accounted = chain
    code, output, _ = runs[3]
    assert code == 0, output
    assert "rejected file" not in output
    # progress: a first line (printed before anything heavy is imported), then a line per step with its counts
    assert output.startswith("grensverkeer: building "), output[:200]
    assert re.search(r"\[\s*\d+/\d+\] stg_duo_rows +\d+\.\d s  rows \d+", output), output
    assert re.search(r"\[\s*\d+/\d+\] check stg_duo_rows_valid ", output), output
    assert "grensverkeer: done in " in output
    assert snaps[2][Y24] == snaps[0][Y24]
    assert snaps[2]["counts"] == snaps[0]["counts"]
    status = {n: s for n, _, s in snaps[2]["input_files"] if n.startswith("2024/Delft")}
    # the file loaded before stays the one that counts; the copy is recorded as its duplicate
    assert status == {"2024/Delft.csv": "loaded", "2024/Delft - kopie.csv": "duplicate"}
    assert accounted[3] == []


def test_new_school_year_adds_a_partition_without_touching_2024(chain):
    runs, snaps, accounted = chain
    assert runs[4].outcome.school_years == [Y23, Y24]
    assert runs[4].outcome.failures == []
    assert accounted[4] == []
    assert snaps[3][Y24] == snaps[0][Y24]
    assert {t: c.get(Y24) for t, c in snaps[3]["counts"].items()} == {
        t: c.get(Y24) for t, c in snaps[0]["counts"].items()
    }
    assert runs[4].flows(Y23) == {
        ("BO", "GM0503", "GM0503"): (24, 24, 24),
        ("BO", "GM0603", "GM0503"): (10, 10, 10),
        ("BO", "GM1783", "GM0503"): (5, 5, 5),
        ("BO", "GM0518", "GM0503"): (5, 5, 5),
        ("SO", "GM0503", "GM0503"): (17, 17, 17),
    }
    assert runs[4].query(
        "select count(*), count(*) filter (where reason_code is null) from stg_duo_rows where school_year = ?", [Y23]
    ) == [(5, 5)]


def test_broken_replacement_is_rejected_and_the_old_version_stops_counting(chain):
    runs, snaps, accounted = chain
    code, output, stdout = runs[5]
    assert code != 0
    assert "totally-random.txt" in output and "GEMEENTENAAM_LEERLING" in output
    assert "file totally-random.txt is no longer in the input folder" in output
    # --quiet (for cron): no progress and no summary, only the problems and the retraction
    assert [line for line in stdout.splitlines() if "no longer in the input folder" not in line] == []
    assert snaps[4][Y23] == snaps[3][Y23]
    # Westland's rows (of the old version) no longer count; every other row of 2024 does
    old_rows = [r for r in snaps[0][Y24]["rows"] if r[0] != "totally-random.txt"]
    without_reason = lambda rows: [(f, ln, o, d, sec) for f, ln, _, o, d, sec in rows]  # noqa: E731
    assert without_reason(snaps[4][Y24]["rows"]) == without_reason(old_rows)
    # the extract's copy of a Westland row was a duplicate of the Westland file: now it counts, as in a fresh run
    changed = set(snaps[4][Y24]["rows"]) - set(old_rows)
    assert changed == {("extract/haaglanden-po-20241001.csv", 3, None, "GM1783", "GM1783", "BO")}
    westland = [(sha, status) for n, sha, status in snaps[4]["input_files"] if n == "totally-random.txt"]
    assert sorted(s for _, s in westland) == ["rejected", "retracted"]
    new_sha = F.sha256(runs[1].input_dir / "totally-random.txt")
    assert (new_sha, "rejected") in westland
    rejected = runs[1].query(
        "select line, column_name, reason_code from rejected_files where file_name = ? and sha256 = ?",
        ["totally-random.txt", new_sha],
    )
    assert rejected == [(1, "GEMEENTENAAM_LEERLING", "missing_columns")]
