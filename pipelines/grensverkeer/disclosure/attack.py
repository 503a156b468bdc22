"""The outsider: parse what is published and work out every hidden cell (attack, check_published)."""

from __future__ import annotations

import math

import polars as pl

from .lp import _lp_bounds, _scipy_available
from .policy import (
    _INF,
    EPS,
    HIDDEN,
    HIDDEN_LABEL,
    PRIMARY,
    SECONDARY,
    SECONDARY_LABEL,
    SHOWN,
    SUPPRESSED,
    UNPUBLISHED_PREFIX,
    WITHHELD,
    WITHHELD_LABEL,
    ZERO,
    DisclosureSettings,
    InconsistentPublication,
)
from .propagation import _propagate
from .relations import _narrow, _relation_terms, _rhs, _stated

# ----------------------------------------------------------------------------- the attacker
_METHODS = ("auto", "lp", "milp", "propagation")


def _resolve_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS} (got {method!r})")
    if method == "auto":
        return "lp" if _scipy_available() else "propagation"
    if method in ("lp", "milp") and not _scipy_available():
        raise ImportError("method='lp'/'milp' needs scipy; use method='propagation' (weaker)")
    return method


def _local_conflicts(terms: pl.DataFrame, rhs: pl.DataFrame, priors: pl.DataFrame) -> pl.DataFrame:
    """Relations that cannot hold whatever the suppressed cells are (each relation on its own)."""
    t = terms.join(priors, on="cell_id").with_columns(
        pl.when(pl.col("coef") > 0).then(pl.col("lo")).otherwise(-pl.col("hi")).alias("cmin"),
        pl.when(pl.col("coef") > 0).then(pl.col("hi")).otherwise(-pl.col("lo")).alias("cmax"),
    )
    agg = t.group_by("relation_id", maintain_order=True).agg(
        pl.col("cmin").sum().alias("smin"), pl.col("cmax").sum().alias("smax")
    )
    return agg.join(rhs, on="relation_id").filter(
        pl.col("rhs").is_not_null() & ((pl.col("rhs") < pl.col("smin") - EPS) | (pl.col("rhs") > pl.col("smax") + EPS))
    )


def _attack_core(
    priors: pl.DataFrame, terms: pl.DataFrame, rhs: pl.DataFrame, method: str
) -> tuple[pl.DataFrame, list[str]]:
    """priors: cell_id, lo, hi, suppressed. Returns (cell_id, lo, hi, recovered) for every
    suppressed cell, in the order of priors, and plain-English inconsistencies."""
    problems: list[str] = []
    for rid, smin, smax, r in (
        _local_conflicts(terms, rhs, priors).select("relation_id", "smin", "smax", "rhs").iter_rows()
    ):
        problems.append(
            f"relation {rid!r} cannot hold: with the published numbers its signed sum lies in "
            f"[{_fmt(smin)}, {_fmt(smax)}], but it must be {_fmt(r)}"
        )
    in_rel = priors.join(terms.select("cell_id").unique(), on="cell_id", how="semi")
    bounds, empty = _propagate(terms, rhs, in_rel.select("cell_id", "lo", "hi"))
    if empty and not problems:
        rel_ids = terms.filter(pl.col("cell_id").is_in(empty))["relation_id"].unique().sort().to_list()
        problems.append(
            "the published numbers contradict the relations jointly (no count fits cell(s) "
            f"{empty[:10]}; relations involved: {rel_ids[:10]})"
        )
    supp = priors.filter(pl.col("suppressed")).select("cell_id")
    if problems:
        out = supp.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("lo"),
            pl.lit(None, dtype=pl.Float64).alias("hi"),
            pl.lit(None, dtype=pl.Boolean).alias("recovered"),
        )
        return out, problems
    if method in ("lp", "milp"):
        pending = supp.join(bounds, on="cell_id").filter(pl.col("hi") - pl.col("lo") > EPS)
        lp, infeasible = _lp_bounds(terms, rhs, bounds, pending["cell_id"].to_list(), integer=method == "milp")
        for rel_ids in infeasible:
            problems.append(
                f"the published numbers contradict the relations jointly (relations involved: {rel_ids[:10]})"
            )
        bounds = bounds.join(lp.rename({"lo": "lp_lo", "hi": "lp_hi"}), on="cell_id", how="left").select(
            "cell_id",
            pl.max_horizontal("lo", "lp_lo").alias("lo"),
            pl.min_horizontal("hi", "lp_hi").alias("hi"),
        )
    out = (
        supp.join(priors, on="cell_id", how="left", maintain_order="left")
        .join(bounds.rename({"lo": "b_lo", "hi": "b_hi"}), on="cell_id", how="left", maintain_order="left")
        .select(
            "cell_id",
            pl.coalesce("b_lo", "lo").alias("lo"),
            pl.coalesce("b_hi", "hi").alias("hi"),
        )
        .with_columns(((pl.col("hi") - pl.col("lo")).abs() <= EPS).alias("recovered"))
    )
    return out, problems


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _parse_published(published: pl.DataFrame, settings: DisclosureSettings) -> pl.DataFrame:
    """cell_id, label, kind ('shown'|'primary'|'secondary'|'withheld'|'hidden'|'zero'|'invalid'), number,
    lo, hi."""
    missing = {"cell_id", "label"} - set(published.columns)
    if missing:
        raise ValueError(f"published lacks column(s) {sorted(missing)}")
    k, r = settings.k, settings.rounding
    p = published.select(
        pl.col("cell_id").cast(pl.String),
        pl.col("label").cast(pl.String).str.strip_chars().alias("label"),
    )
    # whole numbers, also when a spreadsheet read them back as floats ("12.0")
    as_float = pl.col("label").cast(pl.Float64, strict=False)
    number = pl.coalesce(
        pl.col("label").str.to_integer(strict=False),
        pl.when(as_float == as_float.round()).then(as_float).cast(pl.Int64, strict=False),
    )
    p = p.with_columns(number.alias("number")).with_columns(
        pl.when(pl.col("label") == settings.primary_label)
        .then(pl.lit(PRIMARY))
        .when(pl.col("label").str.to_lowercase() == SECONDARY_LABEL)
        .then(pl.lit(SECONDARY))
        .when(pl.col("label") == WITHHELD_LABEL)
        .then(pl.lit(WITHHELD))
        .when(pl.col("label") == HIDDEN_LABEL)
        .then(pl.lit(HIDDEN))
        .when(pl.col("number") == 0)
        .then(pl.lit(ZERO))
        .when(pl.col("number") > 0)
        .then(pl.lit(SHOWN))
        .otherwise(pl.lit("invalid"))
        .alias("kind")
    )
    n = pl.col("number").cast(pl.Float64)
    if r is None or r == 1:
        shown_lo, shown_hi = n, n
    else:
        floor_k = pl.when(n >= k).then(pl.lit(float(k))).otherwise(pl.lit(1.0))
        shown_lo = pl.max_horizontal(floor_k, n - r // 2)
        shown_hi = n + (r - r // 2 - 1)
    return p.with_columns(
        pl.when(pl.col("kind") == SHOWN)
        .then(shown_lo)
        .when(pl.col("kind") == ZERO)
        .then(0.0)
        .when(pl.col("kind").is_in([PRIMARY, HIDDEN]))  # 'niet getoond': a listed row, so 1 or more
        .then(1.0)
        .when(pl.col("kind") == SECONDARY)
        .then(float(k))
        .otherwise(0.0)  # invalid label: the attacker knows nothing about it
        .alias("lo"),
        pl.when(pl.col("kind") == SHOWN)
        .then(shown_hi)
        .when(pl.col("kind") == ZERO)
        .then(0.0)
        .when(pl.col("kind").is_in([PRIMARY, WITHHELD]))
        .then(float(k - 1))
        .otherwise(_INF)
        .alias("hi"),
    )


def _published_system(
    published: pl.DataFrame, relations: pl.DataFrame, settings: DisclosureSettings
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """priors (cell_id, label, kind, number, lo, hi, suppressed), terms, rhs, structural problems."""
    problems: list[str] = []
    parsed = _parse_published(published, settings)
    dup = parsed.filter(pl.col("cell_id").is_duplicated())["cell_id"].unique(maintain_order=True).to_list()
    if dup:
        problems.append(f"cell ids published more than once: {dup[:10]}")
        parsed = parsed.unique(subset="cell_id", keep="first", maintain_order=True)
    terms, rels = _relation_terms(relations)
    unknown = terms.join(parsed, on="cell_id", how="anti")
    if unknown.height:
        ids = unknown["cell_id"].unique(maintain_order=True).to_list()
        # 'rest|...' cells are left out on purpose (rows below a threshold): unknown counts, no problem
        odd = [c for c in ids if not c.startswith(UNPUBLISHED_PREFIX)]
        if odd:
            problems.append(
                f"relations refer to {len(odd)} cell(s) that are not published, e.g. {odd[:10]}; "
                "they are treated as unknown counts"
            )
        parsed = pl.concat(
            [
                parsed,
                pl.DataFrame({"cell_id": ids}, schema={"cell_id": pl.String}).with_columns(
                    pl.lit(None, dtype=pl.String).alias("label"),
                    pl.lit(None, dtype=pl.Int64).alias("number"),
                    pl.lit("unpublished").alias("kind"),
                    pl.lit(0.0).alias("lo"),
                    pl.lit(_INF).alias("hi"),
                ),
            ],
            how="diagonal_relaxed",
        )
    values = None
    if "value" in published.columns:
        values = published.select(pl.col("cell_id").cast(pl.String), pl.col("value").cast(pl.Int64)).unique(
            subset="cell_id", keep="first"
        )
    rhs = _rhs(rels, terms, values)
    no_total = rhs.filter(pl.col("rhs").is_null())["relation_id"].to_list()
    if no_total:
        problems.append(
            f"relations without a total and without a known_total (and no 'value' column to take "
            f"it from) are ignored: {no_total[:10]}"
        )
    priors = _narrow(parsed, _stated(published)).with_columns(
        pl.col("kind").is_in(list(SUPPRESSED)).alias("suppressed")
    )
    return priors, terms, rhs, problems


def attack(
    published: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
    *,
    method: str = "auto",
) -> pl.DataFrame:
    """An outsider's best effort to work out every suppressed cell from what is published.

    published: cell_id, label (as printed; extra columns are ignored, except that a
    ``value`` column supplies the known number of relations without a total when the
    relations carry no ``known_total``). relations: relation_id, total_id, member_id.

    method: 'auto' (LP if scipy is available, else propagation), 'lp' (interval
    propagation, then two LPs per still-open cell over all relations jointly, HiGHS),
    'milp' (the same with integer programs: exact integer bounds), 'propagation'
    (iterated interval reasoning per relation only; weaker).

    Returns one row per suppressed cell ('<k' or 'x'), in published order: cell_id, label,
    lo, hi (the tightest whole-number interval the outsider can prove; hi may be inf),
    recovered (lo == hi), method. Raises InconsistentPublication when the published numbers
    contradict the relations, ValueError on labels it cannot read.
    """
    used = _resolve_method(method)
    priors, terms, rhs, problems = _published_system(published, relations, settings)
    bad = priors.filter(pl.col("kind") == "invalid")["cell_id"].to_list()
    if bad:
        raise ValueError(
            f"labels that are no count, '{settings.primary_label}', 'x', '.', '{HIDDEN_LABEL}' or '0': cells {bad[:10]}"
        )
    out, inconsistent = _attack_core(priors, terms, rhs, used)
    if inconsistent:
        raise InconsistentPublication("; ".join(inconsistent))
    return out.join(priors.select("cell_id", "label"), on="cell_id", how="left", maintain_order="left").select(
        "cell_id", "label", "lo", "hi", "recovered", pl.lit(used).alias("method")
    )


def check_published(
    published: pl.DataFrame,
    relations: pl.DataFrame,
    settings: DisclosureSettings = DisclosureSettings(),
    *,
    method: str = "auto",
) -> list[str]:
    """Everything wrong with a publication, in plain English. Empty list = safe.

    Reports: any shown count 1..k-1; labels that are no count, '<k', 'x' or '0'; shown
    counts that are not rounded when rounding is on; any suppressed cell the attacker
    recovers (with its interval); relations the published numbers contradict (a bug);
    relations that refer to unpublished cells.
    """
    used = _resolve_method(method)
    k, r = settings.k, settings.rounding
    # public cells (DUO open data, optional ``public`` column) are known to everyone: they may
    # show any count and are no target of the attack, only part of what the attacker knows
    public = (
        set(published.filter(pl.col("public").cast(pl.String).str.to_lowercase() == "true")["cell_id"].to_list())
        if "public" in published.columns
        else set()
    )
    priors, terms, rhs, problems = _published_system(published.drop("public", strict=False), relations, settings)
    for cid, label in priors.filter(pl.col("kind") == "invalid").select("cell_id", "label").iter_rows():
        problems.append(
            f"cell {cid!r} has label {label!r}, which is no count, '{settings.primary_label}', 'x', '.', "
            f"'{HIDDEN_LABEL}' or '0'"
        )
    for cid, n in (
        priors.filter((pl.col("kind") == SHOWN) & (pl.col("number") < k) & ~pl.col("cell_id").is_in(list(public)))
        .select("cell_id", "number")
        .iter_rows()
    ):
        problems.append(f"cell {cid!r} shows {n}: counts from 1 to {k - 1} must be shown as '{settings.primary_label}'")
    if r is not None and r > 1:
        for cid, n in (
            priors.filter(
                (pl.col("kind") == SHOWN) & (pl.col("number") % r != 0) & ~pl.col("cell_id").is_in(list(public))
            )
            .select("cell_id", "number")
            .iter_rows()
        ):
            problems.append(f"cell {cid!r} shows {n}, which is not rounded to a multiple of {r}")
    out, inconsistent = _attack_core(priors, terms, rhs, used)
    problems.extend(inconsistent)
    if not inconsistent:
        rec = out.filter(pl.col("recovered") & ~pl.col("cell_id").is_in(list(public))).join(
            priors.select("cell_id", "label"), on="cell_id", how="left"
        )
        for cid, label, lo in rec.select("cell_id", "label", "lo").iter_rows():
            problems.append(
                f"suppressed cell {cid!r} (published as {label!r}) can be worked out from the published "
                f"numbers and relations: it must be {_fmt(lo)} (interval [{_fmt(lo)}, {_fmt(lo)}])"
            )
    return problems
