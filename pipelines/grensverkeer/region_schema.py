"""The schema of a region file (data/regions/*.toml), validated strictly with pydantic.

A typo must never be silently ignored: `rouding = 5` would otherwise leave the counts
unrounded and `pair_agreement_neded = 20` would keep the threshold at 10. So every table
refuses keys it does not know, every value must have the right type (no "5" for 5, no
true for 1) and lie in its range. All problems of a file are reported at once, in one
line, each with its line number, the key, the closest allowed key ("did you mean
'rounding'?") and the keys allowed there.
"""

from __future__ import annotations

import csv
import difflib
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import settings

Domain = Literal["jeugdhulp", "jeugdbescherming", "onderwijsondersteuning", "leerplicht"]


class RegionFileError(ValueError):
    """A region file that is not valid; the message is one line naming the file."""

    def __init__(self, path: Path, problems: str) -> None:
        super().__init__(f"{path}: {problems}")
        self.path, self.problems = path, problems


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MunicipalityConfig(_Table):
    code: str = Field(pattern=r"^GM\d{4}$")
    display_name: str | None = Field(None, min_length=1)
    subregion: str | None = Field(None, min_length=1)


class AgreementsConfig(_Table):
    """docs/agreements.md; the defaults are settings.DEFAULT_AGREEMENTS."""

    domains: list[Domain] = Field(default_factory=lambda: list(settings.DEFAULT_AGREEMENTS["domains"]), min_length=1)
    pair_agreement_needed: int = Field(settings.DEFAULT_AGREEMENTS["pair_agreement_needed"], ge=1)
    pair_attention: int = Field(settings.DEFAULT_AGREEMENTS["pair_attention"], ge=1)
    school_agreement_needed: int = Field(settings.DEFAULT_AGREEMENTS["school_agreement_needed"], ge=1)
    school_attention: int = Field(settings.DEFAULT_AGREEMENTS["school_attention"], ge=1)

    @model_validator(mode="after")
    def _needed_at_least_attention(self) -> AgreementsConfig:
        if self.pair_attention > self.pair_agreement_needed:
            raise ValueError(
                f"pair_attention ({self.pair_attention}) must not be above pair_agreement_needed "
                f"({self.pair_agreement_needed})"
            )
        if self.school_attention > self.school_agreement_needed:
            raise ValueError(
                f"school_attention ({self.school_attention}) must not be above school_agreement_needed "
                f"({self.school_agreement_needed})"
            )
        if len(set(self.domains)) != len(self.domains):
            raise ValueError(f"domains lists a domain twice: {self.domains}")
        return self


class DisclosureConfig(_Table):
    """docs/disclosure.md "Settings"; the rules themselves are DisclosureSettings'."""

    k: int = 5
    rounding: int | None = None

    @model_validator(mode="after")
    def _allowed_by_disclosure_settings(self) -> DisclosureConfig:
        from .disclosure import DisclosureSettings

        DisclosureSettings(**self.model_dump(exclude_unset=True))  # its ValueError says what is wrong
        return self


class AreaConfig(_Table):
    """An area of postcodes (PC4) instead of, or besides, a list of municipalities: the legal area of a
    samenwerkingsverband passend onderwijs (`swv = "PO2815"`, data/reference/swv_pc4.csv) or a list of PC4s.
    The region is then the municipalities those PC4s lie in (docs/regions.md)."""

    swv: str | None = Field(None, pattern=r"^(PO|VO)\d{4}$")
    pc4: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> AreaConfig:
        if (self.swv is None) == (self.pc4 is None):
            raise ValueError("give either swv (like 'PO2815') or pc4 (a list of 4-digit postcodes), not both or none")
        bad = [p for p in self.pc4 or [] if not re.fullmatch(r"\d{4}", p)]
        if bad:
            raise ValueError(f"pc4 must list 4-digit postcodes like '2611', got {bad[:5]}")
        return self


class RegionConfig(_Table):
    name: str = Field(min_length=1)
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    municipality: list[MunicipalityConfig] = Field(default_factory=list)
    area: AreaConfig | None = None
    agreements: AgreementsConfig = Field(default_factory=AgreementsConfig)
    disclosure: DisclosureConfig | None = None

    @model_validator(mode="after")
    def _members_or_area(self) -> RegionConfig:
        if not self.municipality and self.area is None:
            raise ValueError("the region needs at least one [[municipality]] or an [area]")
        return self


def _reference_codes() -> set[str]:
    with open(settings.REFERENCE_DIR / "municipalities.csv", encoding="utf-8", newline="") as fh:
        return {row["code"] for row in csv.DictReader(fh)}


def _code_problems(cfg: RegionConfig, lines: dict[tuple, int]) -> list[str]:
    """Codes that are listed twice or are no current CBS municipality, each with its line."""
    known, seen, problems = _reference_codes(), set(), []
    for i, m in enumerate(cfg.municipality):
        at = f"line {lines[('municipality', i, 'code')]}: " if ("municipality", i, "code") in lines else ""
        if m.code in seen:
            problems.append(f"{at}municipality {m.code} is listed more than once")
        elif m.code not in known:
            problems.append(
                f"{at}code {m.code!r} in [[municipality]] number {i + 1} is not a current CBS municipality code "
                "(see data/reference/municipalities.csv)"
            )
        seen.add(m.code)
    return problems


# ------------------------------------------------------------------------------- messages
_TABLES: dict[tuple, type[BaseModel]] = {
    (): RegionConfig,
    ("municipality",): MunicipalityConfig,
    ("agreements",): AgreementsConfig,
    ("area",): AreaConfig,
    ("disclosure",): DisclosureConfig,
}
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*=')
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


def _key_lines(text: str) -> dict[tuple, int]:
    """Line number (1-based) of every key and table header, by its path as pydantic reports it:
    ('disclosure', 'k'), ('municipality', 2, 'code'), ('agreements',). Dotted keys and inline
    tables are not mapped (their problems are reported without a line)."""
    lines: dict[tuple, int] = {}
    table: tuple = ()
    arrays: dict[tuple, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if m := _HEADER.match(line):
            path = tuple(part.strip().strip("\"'") for part in m.group(2).split("."))
            if m.group(1) == "[[":
                arrays[path] = arrays.get(path, -1) + 1
                table = (*path, arrays[path])
            else:
                table = path
            lines.setdefault(table, number)
        elif m := _KEY.match(line):
            lines.setdefault((*table, m.group(1).strip("\"'")), number)
    return lines


def _where(loc: tuple) -> str:
    """The TOML table of a location: '[disclosure]', '[[municipality]] number 3', 'the top of the file'."""
    if not loc:
        return "the top level of the file"
    if len(loc) > 1 and isinstance(loc[1], int):
        return f"[[{loc[0]}]] number {loc[1] + 1}"
    return f"[{loc[0]}]"


def _describe(error: dict, lines: dict[tuple, int]) -> str:
    loc = tuple(error["loc"])
    kind, got = error["type"], error.get("input")
    message = error["msg"].removeprefix("Value error, ")
    if kind == "value_error" or not loc:  # a rule of a whole table (a model validator): loc is the table
        table_loc, key = loc, None
    else:  # the last name in loc is the key: ('agreements', 'domains', 1) is an item of domains
        last = max(i for i, part in enumerate(loc) if isinstance(part, str))
        table_loc, key = loc[:last], loc[last]
    schema = _TABLES.get(tuple(part for part in table_loc if isinstance(part, str)))
    allowed = list(schema.model_fields) if schema else []
    # a rule across keys points at the first key its message names ("pair_attention (30) must ...")
    named = sorted((m.start(), k) for k in allowed if key is None and (m := re.search(rf"\b{re.escape(k)}\b", message)))
    named = [k for _, k in named]
    wanted = (*table_loc, key or named[0]) if key or named else table_loc
    line = next((lines[wanted[:n]] for n in range(len(wanted), 0, -1) if wanted[:n] in lines), None)
    at = f"line {line}: " if line else ""
    where = _where(table_loc)
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{at}unknown key '{key}' in {where}{hint} (allowed there: {', '.join(allowed)})"
    if kind == "missing":
        return f"{at}key '{key}' is missing in {where}"
    if kind == "value_error":
        return f"{at}in {where}: {message}"
    if kind in ("int_type", "int_parsing"):
        message = "must be a whole number"
    elif kind in ("string_type", "list_type"):
        message = "must be a text in quotes" if kind == "string_type" else "must be a list in [ ]"
    elif kind == "literal_error":
        options = list(error["ctx"]["expected"].replace("'", "").replace(" or ", ", ").split(", "))
        close = difflib.get_close_matches(str(got), options, n=1, cutoff=0.6)
        message = f"must be one of {', '.join(options)}" + (f"; did you mean '{close[0]}'?" if close else "")
    elif kind == "string_pattern_mismatch" and key == "code":
        message = "must be a CBS municipality code like GM0518"
    elif kind == "string_pattern_mismatch" and key == "slug":
        message = "must be lower-case letters, digits, '-' or '_' (it becomes part of file names)"
    elif kind == "too_short" and key == "municipality":
        message = "the region needs at least one [[municipality]]"
    return f"{at}{key} in {where}: {message} (got {got!r})"


def parse_region(path: Path, raw: bytes) -> RegionConfig:
    """The validated region file, or RegionFileError with every problem in one line."""
    try:
        text = raw.decode("utf-8")
        cfg = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise RegionFileError(path, f"not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegionFileError(path, f"not valid TOML: {exc}") from None
    try:
        region = RegionConfig.model_validate(cfg)
    except ValidationError as exc:
        lines = _key_lines(text)
        problems = [_describe(e, lines) for e in exc.errors(include_url=False)]
        raise RegionFileError(path, "; ".join(problems)) from None
    problems = _code_problems(region, _key_lines(text))
    if region.area is not None and not area_pc4(region.area):
        what = f"swv {region.area.swv!r}" if region.area.swv else "pc4"
        problems.append(f"in [area]: {what} matches no postcode in data/reference/swv_pc4.csv (see data/README.md)")
    if problems:
        raise RegionFileError(path, "; ".join(problems))
    return region


def area_pc4(area: AreaConfig) -> dict[str, tuple[str, str]]:
    """PC4 -> (municipality code, name) of an [area], from data/reference/swv_pc4.csv (today's municipalities)."""
    wanted = set(area.pc4 or [])
    with open(settings.REFERENCE_DIR / "swv_pc4.csv", encoding="utf-8", newline="") as fh:
        return {
            row["pc4"]: (row["municipality_code"], row["municipality_name"])
            for row in csv.DictReader(fh)
            if row["pc4"] in wanted or area.swv in (row["po_swv"], row["vo_swv"])
        }
