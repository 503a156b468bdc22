"""Relations as linear equations, and the statements printed next to a count (need levels, school counts)."""

from __future__ import annotations

import polars as pl

from .policy import _INF


# ----------------------------------------------------------------------------- relations
def _relation_terms(relations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Relations as linear equations ``sum(coef * x) = rhs``.

    Returns ``terms`` (relation_id, cell_id, coef: +1 member, -1 total) and ``rels``
    (relation_id, has_total, known_total). Raises ValueError on malformed relations.
    """
    missing = {"relation_id", "total_id", "member_id"} - set(relations.columns)
    if missing:
        raise ValueError(f"relations lacks column(s) {sorted(missing)}")
    known = (
        pl.col("known_total").cast(pl.Float64) if "known_total" in relations.columns else pl.lit(None, dtype=pl.Float64)
    )
    r = relations.select(
        pl.col("relation_id").cast(pl.String),
        pl.col("total_id").cast(pl.String),
        pl.col("member_id").cast(pl.String),
        known.alias("known_total"),
    )
    if r["relation_id"].null_count() or r["member_id"].null_count():
        raise ValueError("relations: relation_id and member_id must not be null")
    rels = r.group_by("relation_id", maintain_order=True).agg(
        pl.col("total_id").n_unique().alias("n_total_ids"),
        pl.col("total_id").drop_nulls().first().alias("total_id"),
        pl.col("known_total").drop_nulls().first().alias("known_total"),
    )
    bad = rels.filter(pl.col("n_total_ids") > 1)["relation_id"].to_list()
    if bad:
        raise ValueError(f"relations with more than one total_id (a null counts as one): {bad[:10]}")
    terms = pl.concat(
        [
            r.select("relation_id", pl.col("member_id").alias("cell_id"), pl.lit(1.0).alias("coef")),
            rels.filter(pl.col("total_id").is_not_null()).select(
                "relation_id", pl.col("total_id").alias("cell_id"), pl.lit(-1.0).alias("coef")
            ),
        ]
    )
    dup = terms.filter(pl.struct("relation_id", "cell_id").is_duplicated())
    if dup.height:
        raise ValueError(
            "a cell occurs twice in one relation (as two members, or as total and member): "
            f"{dup.select('relation_id', 'cell_id').unique(maintain_order=True).rows()[:10]}"
        )
    rels = rels.select("relation_id", pl.col("total_id").is_not_null().alias("has_total"), "known_total")
    return terms, rels


def _rhs(rels: pl.DataFrame, terms: pl.DataFrame, values: pl.DataFrame | None) -> pl.DataFrame:
    """relation_id, rhs (Float64; null when a no-total relation has no known number)."""
    out = rels
    if values is not None:
        true_sum = (
            terms.join(values.select("cell_id", pl.col("value").cast(pl.Float64)), on="cell_id", how="left")
            .group_by("relation_id")
            .agg(
                (pl.col("coef") * pl.col("value")).sum().alias("true_sum"),
                pl.col("value").is_null().any().alias("incomplete"),
            )
        )
        out = out.join(true_sum, on="relation_id", how="left").with_columns(
            pl.when(pl.col("incomplete")).then(None).otherwise(pl.col("true_sum")).alias("true_sum")
        )
    else:
        out = out.with_columns(pl.lit(None, dtype=pl.Float64).alias("true_sum"))
    return out.select(
        "relation_id",
        pl.when(pl.col("has_total")).then(pl.lit(0.0)).otherwise(pl.coalesce("known_total", "true_sum")).alias("rhs"),
    )


# ----------------------------------------------------------------------------- statements
STATED = ("stated_lo", "stated_hi")


def _stated(frame: pl.DataFrame) -> pl.DataFrame | None:
    """cell_id, stated_lo, stated_hi: what the publication says about a cell besides its label
    (a need level with its printed thresholds, a number of schools or local teams that each have
    at least one of the pupils). None when the frame states nothing."""
    if not any(c in frame.columns for c in STATED):
        return None
    return frame.select(
        pl.col("cell_id").cast(pl.String),
        (pl.col("stated_lo").cast(pl.Float64) if "stated_lo" in frame.columns else pl.lit(None, pl.Float64))
        .fill_null(0.0)
        .alias("stated_lo"),
        (pl.col("stated_hi").cast(pl.Float64) if "stated_hi" in frame.columns else pl.lit(None, pl.Float64))
        .fill_null(_INF)
        .alias("stated_hi"),
    ).unique(subset="cell_id", keep="first")


def _narrow(priors: pl.DataFrame, stated: pl.DataFrame | None) -> pl.DataFrame:
    """priors (cell_id, lo, hi, ...) narrowed by the statements about each cell."""
    if stated is None:
        return priors
    return (
        priors.join(stated, on="cell_id", how="left", maintain_order="left")
        .with_columns(
            pl.max_horizontal("lo", pl.col("stated_lo").fill_null(0.0)).alias("lo"),
            pl.min_horizontal("hi", pl.col("stated_hi").fill_null(_INF)).alias("hi"),
        )
        .drop(*STATED)
    )
