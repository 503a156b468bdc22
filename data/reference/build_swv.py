"""Build data/reference/swv_pc4.csv from the copied annex of the SWV regulation (data/reference/swv/).

MAINTAINER TOOL, NOT RUN TIME (the pipeline reads only the CSV). Usage, from the repository root:

    .venv/bin/python data/reference/build_swv.py

Reads data/reference/swv/BWBR0032324_bijlage_2015.md (the annex of the "Regeling regio-indeling
samenwerkingsverbanden passend onderwijs PO en VO", text of 2015-04-23: one row per PC4 with its
municipality of 2012-2015 and its PO and VO SWV) and writes one row per PC4 with today's municipality
code: names of municipalities that merged since are mapped through municipality_name_variants.csv (the
same name key the pipeline uses). Fails when a name does not map. The three PC4 of the Europoort (3197-3199,
port area without residents) have "Europoort" instead of an SWV in the annex and are left out.
Deterministic: same input, same bytes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROW = re.compile(r"^\|\s+(\d{4})\s+\|\s+(.+?)\s+\|\s+(PO\d{4})\s+\|\s+(VO\d{4})\s+\|\s*$")


def name_key(name: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", name.upper()) if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9]+", " ", s).strip()


def main() -> None:
    rows = [m.groups() for line in (HERE / "swv" / "BWBR0032324_bijlage_2015.md").read_text(encoding="utf-8").splitlines()
            if (m := ROW.match(line))]
    annex = pl.DataFrame(rows, schema=["pc4", "municipality_name_2015", "po_swv", "vo_swv"], orient="row")
    variants = pl.read_csv(HERE / "municipality_name_variants.csv", infer_schema=False).with_columns(
        pl.col("name").map_elements(name_key, return_dtype=pl.String).alias("key")).group_by("key").agg(
        pl.col("code").unique())
    assert variants.filter(pl.col("code").list.len() > 1).height == 0, "a name key means two municipalities"
    keys = variants.with_columns(pl.col("code").list.first().alias("municipality_code")).select("key", "municipality_code")
    out = annex.with_columns(pl.col("municipality_name_2015").map_elements(name_key, return_dtype=pl.String).alias("key")
                             ).join(keys, on="key", how="left").drop("key")
    missing = out.filter(pl.col("municipality_code").is_null())["municipality_name_2015"].unique().to_list()
    assert not missing, f"municipality names without a code: {missing}"
    assert out["pc4"].n_unique() == out.height, "a PC4 appears twice"
    names = pl.read_csv(HERE / "municipalities.csv", infer_schema=False).select(
        pl.col("code").alias("municipality_code"), pl.col("name").alias("municipality_name"))
    out = out.join(names, on="municipality_code", how="left").select(
        "pc4", "po_swv", "vo_swv", "municipality_code", "municipality_name", "municipality_name_2015").sort("pc4")
    out.write_csv(HERE / "swv_pc4.csv")
    print(f"swv_pc4.csv: {out.height} PC4, {out['po_swv'].n_unique()} PO and {out['vo_swv'].n_unique()} VO SWV")


if __name__ == "__main__":
    main()
