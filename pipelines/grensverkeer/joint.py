"""Private labels decided once per school year for the site and the exports together.

The site and the exports publish some of the same private counts under different cell ids
(a municipality pair is ``pair|Y|A|B`` on the site and a row of *Afspraken gemeenten* in the
export). Protected apart, they could hide different cells and give each other away; so both
sets of cells, their relations and "this site cell is that export cell" go through protect
once, and both publications print the labels stored in ``pub_private_labels``.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from .disclosure import DisclosureSettings, protect
from .settings import Region
from .site.publish import SITE_MAX_ROUNDS, agreement_cells, load_year

SUPPORTED = "Leerlingen met hulp lokaal team"


def site_id_of_export(cell_id: pl.Expr, year: str, region: list[str]) -> pl.Expr:
    """The site's id of an export cell that is the same number (null when the site has no such cell)."""
    p = cell_id.str.split("|")
    slug, column = p.list.get(0), p.list.get(1)
    a, b = p.list.get(2), p.list.get(3, null_on_oob=True)
    y = pl.lit(year)
    return (
        pl.when((slug == "afspraken_gemeenten") & (column == SUPPORTED))
        .then(pl.concat_str([pl.lit("pair"), y, a, b], separator="|"))
        .when((slug == "afspraken_gemeenten") & (column == "waarvan ook onderwijsondersteuning"))
        .then(pl.concat_str([pl.lit("ook"), y, a, b], separator="|"))
        .when((slug == "afspraken_scholen") & (column == SUPPORTED))
        .then(pl.concat_str([pl.lit("sch"), y, b, a], separator="|"))
        .when((slug == "per_school") & (column == SUPPORTED))
        .then(pl.concat_str([pl.lit("coord"), y, a], separator="|"))
        .when((slug == "per_gemeente") & (column == SUPPORTED) & (b == "Alle sectoren"))
        .then(pl.concat_str([pl.lit("mhulp"), y, a], separator="|"))
        .when((slug == "per_gemeente") & (column == "waarvan elders naar school") & (b == "Alle sectoren"))
        .then(pl.concat_str([pl.lit("melders"), y, a], separator="|"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def create_private_labels_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create table if not exists pub_private_labels "
        "(school_year varchar, cell_id varchar, status varchar, shown bigint, label varchar)"
    )


def decide_private_labels(
    con: duckdb.DuckDBPyConnection,
    year: str,
    region: Region,
    settings: DisclosureSettings,
    export_cells: pl.DataFrame,
    export_relations: pl.DataFrame,
) -> pl.DataFrame:
    """Protect the year's private cells of the site and the export at once; store and return the labels
    (cell_id, status, shown, label) in pub_private_labels."""
    y = load_year(con, year, region)
    # the agreement tables (pairs, schools, support per municipality, coördinatielast), made without
    # the site's flow tables: those of years with only linked records are protected by each
    # publication on its own: jointly, the region grouping of the site ('Buiten de regio') against
    # the export's single flows does not converge yet (docs/disclosure.md, "Known gaps").
    site, site_rel = agreement_cells(y, settings.k)
    site = site.drop("high")
    same = export_cells.select(
        pl.concat_str([pl.lit("same"), pl.col("cell_id")], separator="|").alias("relation_id"),
        site_id_of_export(pl.col("cell_id"), year, region.codes).alias("total_id"),
        pl.col("cell_id").alias("member_id"),
    ).filter(pl.col("total_id").is_in(site["cell_id"].implode()))
    cells = pl.concat([site, export_cells.drop("public", "public_label", strict=False)], how="diagonal_relaxed")
    relations = pl.concat([site_rel, export_relations, same], how="diagonal_relaxed")
    labels = protect(cells, relations, replace(settings, max_rounds=max(settings.max_rounds, SITE_MAX_ROUNDS))).select(
        "cell_id", "status", "shown", "label"
    )
    create_private_labels_table(con)
    con.execute("delete from pub_private_labels where school_year = ?", [year])
    con.register("labels_frame", labels.with_columns(pl.lit(year).alias("school_year")))
    con.execute("insert into pub_private_labels by name select * from labels_frame")
    con.unregister("labels_frame")
    return labels


def read_published_year(out_dir, year: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Everything a reader sees of one school year, site and export together, as written: the site's
    cijfers.csv and relaties.csv, the export folder (exports/reader.py) with its cell ids prefixed by
    the year, and "this site cell is that export cell"."""
    from pathlib import Path

    from .exports.reader import read_export_folder

    site_dir = Path(out_dir) / "site" / "data"
    cells = pl.read_csv(site_dir / "cijfers.csv", infer_schema=False)
    rels = pl.read_csv(site_dir / "relaties.csv", infer_schema=False)
    of_year = pl.col("cell_id").str.split("|").list.get(1) == year
    site = cells.filter(of_year)
    site_rel = rels.filter(pl.col("total_id").str.split("|").list.get(1) == year)
    parts, relations = [site], [site_rel]
    folder = Path(out_dir) / "exports" / year
    if (folder / "manifest.json").exists():
        published, export_rel = read_export_folder(folder)

        def of_year(column: str) -> pl.Expr:  # export ids carry no year; 'rest|' ids stay unpublished ones
            c = pl.col(column)
            return (
                pl.when(c.str.starts_with("rest|"))
                .then(pl.concat_str([pl.lit(f"rest|{year}|"), c.str.slice(5)]))
                .otherwise(pl.concat_str([pl.lit(f"{year}|"), c]))
            )

        parts.append(published.with_columns(of_year("cell_id").alias("cell_id")))
        relations.append(
            export_rel.with_columns(
                pl.concat_str([pl.lit(f"{year}|"), "relation_id"]).alias("relation_id"),
                pl.when(pl.col("total_id").is_not_null()).then(of_year("total_id")).alias("total_id"),
                of_year("member_id").alias("member_id"),
            )
        )
        relations.append(
            published.select(
                pl.concat_str([pl.lit(f"same|{year}|"), "cell_id"]).alias("relation_id"),
                site_id_of_export(pl.col("cell_id"), year, []).alias("total_id"),
                of_year("cell_id").alias("member_id"),
            ).filter(pl.col("total_id").is_in(site["cell_id"].implode()))
        )
    published = pl.concat(
        [p.with_columns(pl.col(c).cast(pl.String) for c in p.columns) for p in parts], how="diagonal_relaxed"
    )
    relations = pl.concat(
        [r.with_columns(pl.col(c).cast(pl.String) for c in r.columns) for r in relations], how="diagonal_relaxed"
    )
    return published, relations
