"""Domain knowledge from the versioned data files in `pipeline/data/`, loaded into lookups.

Nothing here is module-level state: a `Resources` is built once per run (or per test) and
passed to the stages that need it. Records cite `Resources.digest` through the config hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import inflect
from babel import Locale

from pipeline.cleaning import CJK

DATA_DIR = Path(__file__).parent / "data"
DATA_FILES = ("countries.jsonl", "parks.jsonl", "companies.jsonl", "names.json", "figures.json", "themes.json",
              "stopwords.json", "references.json")


@dataclass(frozen=True)
class Canonical:
    """A canonical entity as records show it."""

    id: str
    name: str | None
    name_zh: str | None
    aliases: tuple[str, ...] = ()
    country: str | None = None  # host country of a park

    def as_record(self) -> dict:
        return {"id": self.id, "name": self.name, "name_zh": self.name_zh, "aliases": sorted(self.aliases)}


def read_jsonl(path: Path) -> tuple[dict, list[dict]]:
    """A data file's `_meta` line and its entries."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    meta = next((row for row in rows if "_meta" in row), {})
    return meta, [row for row in rows if "_meta" not in row]


def alternatives(names) -> str:
    """Regex alternatives for many names, longest first so 白俄罗斯 wins over 俄罗斯."""
    ordered = sorted({n for n in names if n}, key=lambda n: (-len(n), n))
    return "|".join(re.escape(n) for n in ordered) or r"(?!x)x"


def alternation(names, flags: int = 0, word_boundaries: bool = False) -> re.Pattern:
    body = alternatives(names)
    if word_boundaries:
        body = rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9$])"  # 'US' but not 'US$'

    return re.compile(body, flags)


@dataclass(frozen=True)
class CountryLexicon:
    """Country names in English and Chinese (CLDR via Babel, plus `countries.jsonl`)."""

    by_iso: dict[str, Canonical]
    en_names: dict[str, str]
    zh_names: dict[str, str]
    abbrev_zh: dict[str, tuple[str, ...]]  # '巴' -> ('PK', 'BR'), first is the default
    adjectives: dict[str, str]  # 'Thai' -> 'TH', only inside compounds

    @cached_property
    def en_pattern(self) -> re.Pattern:
        return alternation(self.en_names, word_boundaries=True)

    @cached_property
    def zh_pattern(self) -> re.Pattern:
        return alternation(self.zh_names)

    @cached_property
    def compound_en_pattern(self) -> re.Pattern:
        """'Sino-Thai', 'Thai-Chinese', 'China-Egypt': two country forms joined by a hyphen."""
        forms = list(self.adjectives) + list(self.en_names)
        part = alternatives(forms)
        return re.compile(rf"(?<![A-Za-z])({part})(?:[-–]({part}))+(?![A-Za-z])")

    @cached_property
    def compound_zh_pattern(self) -> re.Pattern:
        """'中白', '泰中', '中蒙俄': runs of one-character country forms that include 中."""
        units = alternatives(self.abbrev_zh)
        return re.compile(rf"(?:{units}){{2,4}}")

    def resolve_en(self, form: str) -> str | None:
        return self.en_names.get(form) or self.adjectives.get(form)


@dataclass(frozen=True)
class Gazetteer:
    """Parks or companies: canonical entries and every alias that names them."""

    entries: dict[str, Canonical]
    alias_to_id: dict[str, str]

    @classmethod
    def from_rows(cls, rows: list[dict], id_prefix: str) -> Gazetteer:
        entries, alias_to_id = {}, {}
        for row in rows:
            canonical_id = f"{id_prefix}:{row['id']}"
            names = [row.get("name"), row.get("name_zh"), *row.get("aliases", [])]
            entries[canonical_id] = Canonical(canonical_id, row.get("name"), row.get("name_zh"),
                                              tuple(n for n in row.get("aliases", []) if n), row.get("country"))
            for name in filter(None, names):
                alias_to_id.setdefault(name, canonical_id)
        return cls(entries, alias_to_id)

    @cached_property
    def en_pattern(self) -> re.Pattern:
        return alternation([a for a in self.alias_to_id if a.isascii()], word_boundaries=True)

    @cached_property
    def zh_pattern(self) -> re.Pattern:
        return alternation([a for a in self.alias_to_id if not a.isascii()])

    @cached_property
    def by_key(self) -> dict[str, str]:
        return {name_key(alias): canonical_id for alias, canonical_id in self.alias_to_id.items()}

    def lookup(self, name: str) -> str | None:
        return self.alias_to_id.get(name) or self.by_key.get(name_key(name))


def name_key(name: str) -> str:
    """A loose key for matching variants: case, spaces, hyphens, dots and quotes ignored."""
    name = re.sub(r"^(?:the)\s+", "", name.strip(), flags=re.I)
    return re.sub(r"[\s\-–—·・.,'’\"“”()（）]+", "", name).lower()


# A number starts where its digits (or numerals) do: tried inside a run, every pattern would read
# the rest of the run again from each of its digits (a 4,000-digit run took 11 s).
ARABIC = r"(?<!\d)(?<!\d,)\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<!\d)\d+(?:\.\d+)?"
CHINESE_NUMERAL = r"(?<![零〇一二两三四五六七八九十百千])[零〇一二两三四五六七八九十百千]+(?:点[零〇一二三四五六七八九]+)?"
# '80~160', '10-20%', '2000一3000美元'; not '45.9 -2.1%', where the dash is a minus
RANGE = r"(?:\s?(?:–|—|~|～|∼|至|到)\s?|-(?!\s)(?<!\s-)|\s-\s|(?<=\d)一(?=\d))"
# '2 500 local workers', '7 000 locals': thousands set apart by a space, before a word (English counts)
SPACED_THOUSANDS = r"(?<![\d,.] )(?<![\d,.])[1-9]\d{0,2}(?: \d{3})+(?=\s[A-Za-z])"


@dataclass(frozen=True)
class FigureVocabulary:
    """Regexes built once from `figures.json`."""

    data: dict

    @cached_property
    def singular(self) -> inflect.engine:
        return inflect.engine()

    @cached_property
    def scale_en(self) -> re.Pattern:
        return alternation(self.data["scale_en"], word_boundaries=True)

    @cached_property
    def scale_zh(self) -> str:
        return alternatives(self.data["scale_zh"])

    @cached_property
    def currencies_after(self) -> list[tuple[str, str]]:
        """(word, currency code) of the words written after an amount, longest first: '亿美元' before '美元'."""
        return sorted(self.data["currency_after"].items(), key=lambda item: -len(item[0]))

    @cached_property
    def not_figure_before_en(self) -> re.Pattern:
        """Labels that make the next number no figure: 'Table 3', 'Vision 2030'."""
        return re.compile(rf"(?:^|[^A-Za-z])(?:{alternatives(self.data['not_figure_before_en'])})\s?$")

    @cached_property
    def count_nouns_zh(self) -> list[str]:
        """Chinese counted nouns, longest first (经贸合作区 before 合作区)."""
        return sorted(self.data["count_nouns_zh"], key=len, reverse=True)

    @cached_property
    def patterns(self) -> list[tuple[str, re.Pattern]]:
        d = self.data
        num = rf"(?P<num>{ARABIC})(?:{RANGE}(?P<num2>{ARABIC}))?"
        cn_num = rf"(?P<num>{ARABIC}|{CHINESE_NUMERAL})(?:{RANGE}(?P<num2>{ARABIC}|{CHINESE_NUMERAL}))?"
        scale_en = alternatives(d["scale_en"])
        scale = rf"(?:\s?(?P<scale>{scale_en})\b|(?P<more>多|余|逾)?(?P<scale_zh>{self.scale_zh}))?"
        power_of_ten = r"\s?[×x]\s?10(?P<power>[⁰¹²³⁴⁵⁶⁷⁸⁹]+|\^\d+)"
        power = rf"(?:{power_of_ten})?"
        before = alternatives(d["currency_before"])
        after = alternatives(d["currency_after"])
        area = alternatives(d["area_units"])
        points = "|".join(re.escape(p) for p in d["percent_points"])
        words = alternatives(d["number_words_en"])
        measure = "|".join(re.escape(m) for m in d["measure_words_zh"])
        not_after_word = r"(?![A-Za-z])"
        return [
            ("money", re.compile(rf"(?P<cur>{before})\s?{num}{scale}{power}")),
            ("money", re.compile(rf"{cn_num}(?P<more2>多|余|逾)?{scale}(?:{power_of_ten}(?P<power_scale_zh>{self.scale_zh})?)?"
                                 rf"\s?(?P<cur>{after}){not_after_word}")),  # '3.5×10^4万美元' too
            ("pp", re.compile(rf"{cn_num}\s?(?:{points})")),
            ("percent", re.compile(rf"{num}[\s-]?(?:%|percent\b|per cent\b)")),
            ("percent", re.compile(rf"百分之(?P<num>{CHINESE_NUMERAL}|{ARABIC})")),
            ("area", re.compile(rf"{cn_num}(?P<more2>多|余|逾)?{scale}\s?(?P<unit>{area}){not_after_word}")),
            ("duration", re.compile(rf"(?P<num>{ARABIC}|{words})[\s-](?P<unit>years?|months?|days?|decades?)\b(?!\s+old)", re.I)),
            ("duration", re.compile(rf"(?P<num>{ARABIC}|{CHINESE_NUMERAL})(?P<more2>多|余)?(?P<unit>个月|周年|年|天)(?!代|级|度|底|初|末|份)")),
            ("count", re.compile(rf"(?<![\w.,])(?P<num>{SPACED_THOUSANDS}|{ARABIC}|{words})(?P<scale_word>[\s-](?:thousand|million|billion))?(?=\s(?P<words>(?:[A-Za-z][\w&'’-]*\s?){{1,7}}))", re.I)),
            ("count", re.compile(rf"{cn_num}\s?(?P<more2>多|余|逾)?(?P<scale_zh>万|亿)?(?:多|余|逾)?(?P<measure>{measure})")),
            ("scaled", re.compile(rf"{cn_num}(?P<more2>多|余|逾)?(?P<scale_zh>{self.scale_zh})")),
            ("duration", re.compile(rf"(?<=[{CJK}\s])(?P<num>\d{{1,3}})\s?(?P<unit>a)(?=[{CJK}]|[，。,.]?$)", re.M)),
            ("score", re.compile(rf"(?:score|index|得分|指数)\s?(?:of|was|is|为|达到|达)?\s?(?P<num>{ARABIC})(?!\s?%)")),
        ]



_EN_NAME_WORD = (r"(?:(?!The\b)[A-Z][\w'’.&]*(?:-[A-Za-z][\w'’.]*)*|of|and|for|de|\([A-Z][\w .'’-]*\)"
                 r"|[\"“][A-Z][\w '’-]*[\"”])")


def english_name_pattern(heads: list[str]) -> re.Pattern:
    """Up to eight title-case words (and of / and / for) before a head word: group 1 the words, 2 the head."""
    head = alternatives(heads)
    return re.compile(rf"(?<![\w-])((?:{_EN_NAME_WORD}(?:[ \t]+|[ \t]*\n)){{1,8}}?)({head})(?![\w-])")


@dataclass(frozen=True)
class Resources:
    countries: CountryLexicon
    parks: Gazetteer
    companies: Gazetteer
    names: dict
    figures: dict
    digest: str
    versions: dict = field(default_factory=dict)
    data_digests: dict = field(default_factory=dict)  # data file (and 'reviewed') -> hash, for the stages' keys

    @cached_property
    def figure_vocabulary(self) -> FigureVocabulary:
        return FigureVocabulary(self.figures)

    @cached_property
    def park_en_pattern(self) -> re.Pattern:
        return english_name_pattern(self.names["park_heads_en"])

    @cached_property
    def company_en_pattern(self) -> re.Pattern:
        return english_name_pattern(self.names["company_forms_en"])

    @cached_property
    def park_zh_pattern(self) -> re.Pattern:
        return alternation(self.names["park_heads_zh"])

    @cached_property
    def company_zh_pattern(self) -> re.Pattern:
        return alternation(self.names["company_forms_zh"])


def load_resources(data_dir: Path = DATA_DIR, reviewed: dict[str, list[dict]] | None = None) -> Resources:
    """`reviewed`: gazetteer rows learnt from reviewers' corrections (`review.reviewed_names`)."""
    data_dir = Path(data_dir)
    reviewed = {kind: rows for kind, rows in (reviewed or {}).items() if rows}
    digest, data_digests = hashlib.sha256(), {}
    for name in DATA_FILES:
        content = (data_dir / name).read_bytes()
        digest.update(name.encode() + b"\0" + content)
        data_digests[name] = hashlib.sha256(content).hexdigest()[:16]
    if reviewed:
        taught = json.dumps(reviewed, sort_keys=True, ensure_ascii=False).encode()
        digest.update(taught)
        data_digests["reviewed"] = hashlib.sha256(taught).hexdigest()[:16]
    countries_meta, country_rows = read_jsonl(data_dir / "countries.jsonl")
    parks_meta, park_rows = read_jsonl(data_dir / "parks.jsonl")
    companies_meta, company_rows = read_jsonl(data_dir / "companies.jsonl")
    park_rows = merge_rows(park_rows, reviewed.get("park", []))
    company_rows = merge_rows(company_rows, reviewed.get("company", []))
    names = json.loads((data_dir / "names.json").read_text(encoding="utf-8"))
    figures = json.loads((data_dir / "figures.json").read_text(encoding="utf-8"))
    versions = {"countries": countries_meta.get("version"), "parks": parks_meta.get("version"),
                "companies": companies_meta.get("version"), "names": names.get("version"),
                "figures": figures.get("version"),
                **{name: json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))["version"]
                   for name in ("themes", "stopwords", "references")},
                **({"reviewed": str(sum(len(rows) for rows in reviewed.values()))} if reviewed else {})}
    return Resources(
        countries=build_country_lexicon(country_rows, set(countries_meta.get("not_countries", []))),
        parks=Gazetteer.from_rows(park_rows, "park"),
        companies=Gazetteer.from_rows(company_rows, "company"),
        names=names, figures=figures, digest=digest.hexdigest()[:16], versions=versions, data_digests=data_digests,
    )


def merge_rows(rows: list[dict], extra: list[dict]) -> list[dict]:
    """Gazetteer rows plus reviewed ones: a reviewed alias joins the row of the same id."""
    merged = {row["id"]: dict(row) for row in rows}
    for row in extra:
        if row["id"] in merged:
            known = merged[row["id"]]
            known["aliases"] = list(dict.fromkeys([*known.get("aliases", []), *row.get("aliases", [])]))
        else:
            merged[row["id"]] = {k: v for k, v in row.items() if v is not None}
    return list(merged.values())


def build_country_lexicon(rows: list[dict], not_countries: set[str]) -> CountryLexicon:
    """CLDR names first (Babel: more accurate in Chinese than ISO's own lists), then our aliases."""
    en, zh_hans, zh_hant = (Locale.parse(tag).territories for tag in ("en", "zh", "zh_Hant"))
    codes = sorted(code for code in en if len(code) == 2 and code.isalpha() and code not in not_countries)
    extra = {row["iso"]: row for row in rows}
    en_names, zh_names, adjectives, abbrev, by_iso = {}, {}, {}, {}, {}
    for code in codes:
        row = extra.get(code, {})
        english = [en[code], re.sub(r"\s*\(.*?\)", "", en[code]), *row.get("en", [])]
        chinese = [zh_hans.get(code), zh_hant.get(code), *row.get("zh", [])]
        aliases = tuple(sorted({n for n in english + chinese if n} - {en[code], zh_hans.get(code)}))
        by_iso[code] = Canonical(code, en[code], zh_hans.get(code), aliases)
        for name in english:
            if "&" not in name and " - " not in name:
                en_names.setdefault(name, code)
        for name in filter(None, chinese):
            zh_names.setdefault(name, code)
        for adjective in row.get("adjectives", []):
            adjectives.setdefault(adjective, code)
        for form in row.get("abbrev_zh", []):
            abbrev.setdefault(form, []).append(code)
    return CountryLexicon(by_iso, en_names, zh_names, {k: tuple(v) for k, v in abbrev.items()}, adjectives)
