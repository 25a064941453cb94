"""Score the park dataset built from the devset texts against the devset gold (issue 19).

    python bench/quality.py [--texts ../shared/devset/texts] [--records DIR] [--errors] [--out FILE]

Builds a corpus from `--texts` (copied into a temporary folder, doc_id = file stem), runs the
pipeline on it as `parks extract` does, without Prefect (`pipeline.run`: every document, then the
corpus stages; `PARKS_HOME` and all outputs in that temporary folder), and scores the dataset it
wrote (`parks.json`, `companies.json`) against `tests/gold/devset/`, the held-out half first, then
the development half (`split.json`). `--records DIR` scores a folder an earlier run wrote instead.
Every rate comes with a 95 % interval over resampled park groups of `split.json`: texts of one park
err alike, so the group, not the text, is the unit that varies. `--errors` lists what the
development half gets wrong; held-out errors are never listed (tune only on development).

    python bench/quality.py --bundled [--records extracted] [--errors] [--out FILE]

scores the bundled corpus's dataset instead (`extracted/`, or `--records`): against the seed gold
(`tests/gold/parks/`, read into the devset's structures, each document its own bootstrap group),
and the English abstracts of its Chinese papers against their Chinese text (do the parks and
companies of both get the same dataset ids?). `--errors` lists the abstracts' misses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.evaluation import BOOTSTRAP_RESAMPLES, _names_match, _surface_key  # noqa: E402

DEFAULT_TEXTS = REPO.parent / "shared" / "devset" / "texts"
DEFAULT_GOLD = REPO / "tests" / "gold" / "devset"
DEFAULT_OUT = REPO / "bench" / "results" / "quality.json"
DEFAULT_SEED_GOLD = REPO / "tests" / "gold" / "parks"
DEFAULT_BUNDLED_RECORDS = REPO / "extracted"
DEFAULT_BUNDLED_OUT = REPO / "bench" / "results" / "quality-bundled.json"
SEED = "seed"  # the seed gold's one "half": all five documents
SEED_RELATIONS = ("develops", "operates", "invests")  # tests/gold/parks/README.md
HALVES = ("heldout", "development")  # the order they are printed and written in
# The dataset's company relations (pipeline/dataset.py CompanyRelation) as the gold's roles
ROLES = {"develops": "developer", "operates": "operator", "invests": "investor", "tenant": "tenant"}
FIGURE_TOLERANCE = 0.01  # a figure's value within 1 % of the gold's
NOT_IN_DATASET = "not in the dataset"

# name of each rate, and what it is a share of
MEASURES = {
    "record precision": "park records of the half's texts that match a gold park and are not a duplicate",
    "duplicate share": "park records that match a gold park another record already answers",
    "junk share": "park records that match no gold park of their texts",
    "park recall": "gold parks of the half answered by a record",
    "host country right": "answered gold parks with a gold host: the record's host is that country",
    "no host": "answered gold parks whose record has no host country",
    "scope right": "answered gold parks: the record's scope is the gold's",
    "relations precision": "dataset (park, company, role) links that are gold relations",
    "relations recall": "gold (park, company, role) relations in the dataset",
    "relations (any role) precision": "dataset (park, company) links that are gold relations",
    "relations (any role) recall": "gold (park, company) pairs in the dataset",
    "figures precision": "dataset park figures (park, kind, unit, value within 1 %) that are gold figures",
    "figures recall": "gold park figures in the dataset",
    "figures (any kind) precision": "dataset park figures (park, unit, value) that are gold figures",
    "figures (any kind) recall": "gold park figures (park, unit, value) in the dataset",
    "founded precision": "dataset founding years (park, year) that are gold",
    "founded recall": "gold founding years in the dataset",
    "cross-lingual one record": "gold parks with texts in both languages whose mentions are one record, in both",
}

# Chinese papers with an English abstract: the record's language ('mixed': a bilingual abstract page)
ABSTRACT_LANGUAGES = ("zh", "mixed")
ABSTRACT_MEASURES = {
    "abstract parks": "parks named in English in the paper's English prose (abstract, title, captions; not its "
                      "bibliography) that its Chinese text names too (the same dataset id)",
    "abstract companies": "companies named in English in the English prose that the Chinese text names too",
    "abstract parks and companies": "both",
}
PLURAL = {"park": "parks", "company": "companies"}


def surface_key(name: str) -> str:
    """A name as matched: full-width forms as half-width (NFKC), then case, spaces and punctuation
    ignored (`pipeline.evaluation._surface_key`)."""
    return _surface_key(unicodedata.normalize("NFKC", name))


def _keys(names) -> set[str]:
    return {surface_key(n) for n in names if n} - {""}


# --- gold --------------------------------------------------------------------------

@dataclass(frozen=True)
class Gold:
    groups: dict[str, dict[str, list[str]]]  # half -> park group -> doc ids
    parks: dict[str, dict]                   # parks.json registry: key -> names, country, scope
    companies: dict[str, dict]               # companies.json registry: key -> names
    documents: dict[str, dict]               # doc_id -> the gold of that text


def _read_json(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None


def load_gold(gold_dir: Path) -> Gold:
    """The split, the key registries and the gold of every text the split names."""
    gold_dir = Path(gold_dir)
    split = _read_json(gold_dir / "split.json")
    missing = [half for half in HALVES if "groups" not in split.get(half, {})]
    if missing:
        raise ValueError(f"{gold_dir / 'split.json'} has no groups of {' and '.join(missing)}")
    groups = {half: split[half]["groups"] for half in HALVES}
    documents = {}
    for half in HALVES:
        for doc_id in (d for docs in groups[half].values() for d in docs):
            documents[doc_id] = _read_json(gold_dir / f"{doc_id}.json")
    return Gold(groups, _read_json(gold_dir / "parks.json")["parks"],
                _read_json(gold_dir / "companies.json")["companies"], documents)


def load_seed_gold(gold_dir: Path) -> Gold:
    """The seed gold (`tests/gold/parks/<doc_id>.json`, its own format) as the devset gold: one park
    group per document (the bootstrap unit; a seed document is about many parks), a park's key
    shared by the entries of all documents with its English or Chinese gold name (the first entry's
    name), relations as roles (`develops` -> developer ...), each company keyed by its gold name,
    scope from the gold host (CN: domestic). The seed gold gives no text one language, so
    cross-lingual parks are not measured on it."""
    gold_dir = Path(gold_dir)
    paths = sorted(gold_dir.glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"{gold_dir} holds no seed gold (<doc_id>.json)")
    files = {path: _read_json(path) for path in paths}
    key_of_name: dict[str, str] = {}
    documents = {}
    for path, seed in files.items():
        parks, companies = [], {}
        try:
            for entry in seed["parks"]:
                parks.append(_seed_park(path, entry, key_of_name, companies))
            documents[seed["doc_id"]] = {"doc_id": seed["doc_id"], "lang": None, "parks": parks,
                                         "companies": list(companies.values())}
        except KeyError as err:
            raise ValueError(f"{path}: no {err} field where tests/gold/parks/README.md has one") from None
    return Gold({SEED: {d: [d] for d in documents}}, {}, {}, documents)


def _seed_park(path: Path, entry: dict, key_of_name: dict[str, str], companies: dict[str, dict]) -> dict:
    """One seed gold park entry as a devset one; its companies added to the text's `companies`."""
    names = _keys([entry.get("name"), entry.get("name_zh")])
    if not names:
        raise ValueError(f"{path}: a park has neither a name nor a name_zh")
    keys = sorted({key_of_name[n] for n in names if n in key_of_name})
    if len(keys) > 1:
        raise ValueError(f"{path}: the names of {entry.get('name') or entry['name_zh']} belong to two parks "
                         f"({' and '.join(keys)})")
    key = keys[0] if keys else entry.get("name") or entry["name_zh"]
    key_of_name.update({n: key for n in names})
    links = []
    for c in entry["companies"]:
        if c["relation"] not in SEED_RELATIONS:
            raise ValueError(f"{path}: {c['name']} of {key} has relation {c['relation']!r}, "
                             f"not one of {', '.join(SEED_RELATIONS)}")
        links.append({"company": c["name"], "mention": c["mention"], "role": ROLES[c["relation"]]})
        company = companies.setdefault(c["name"], {"company": c["name"], "name": c["name"], "name_zh": None,
                                                   "mentions": []})
        if c["mention"] not in company["mentions"]:
            company["mentions"].append(c["mention"])
    iso = (entry.get("host_country") or {}).get("iso")
    return {"park": key, "name": entry.get("name"), "name_zh": entry.get("name_zh"), "mentions": entry["mentions"],
            "host_country": entry.get("host_country"), "scope": iso and ("domestic" if iso == "CN" else "overseas"),
            "companies": links, "founded": entry.get("founded"), "figures": entry["figures"]}


# --- scoring -----------------------------------------------------------------------

@dataclass
class Rates:
    """For each measure, (hits, n) by park group: what the half's rate and its interval are made of."""
    groups: list[str]
    counts: dict[str, dict[str, list[int]]] = field(default_factory=dict)

    def add(self, measure: str, group: str, hit: bool) -> None:
        pair = self.counts.setdefault(measure, {g: [0, 0] for g in self.groups})[group]
        pair[0] += int(hit)
        pair[1] += 1

    def total(self, measure: str) -> tuple[int, int]:
        pairs = self.counts.get(measure, {}).values()
        return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


@dataclass
class HalfScore:
    rates: Rates
    records: dict[str, int]          # right / duplicate / junk park records
    scope_in_dataset: bool
    errors: dict[str, list | dict]   # what is wrong: listed for the development half only


def _most_common(values: list) -> object | None:
    values = [v for v in values if v is not None]
    return Counter(values).most_common(1)[0][0] if values else None


def _group_of(counts: Counter) -> str:
    """The group with the most (documents, mentions), ties by name."""
    return min(counts, key=lambda g: (-counts[g], g))


def match_records(candidates: dict[str, list[str]]) -> dict[str, str]:
    """Record id -> gold park key: each gold park answered by one record and each record answering
    one park, as many parks as possible (augmenting paths); records earlier in `candidates` win ties."""
    owner: dict[str, str] = {}

    def claim(record: str, seen: set[str]) -> bool:
        for key in candidates[record]:
            if key not in seen:
                seen.add(key)
                if key not in owner or claim(owner[key], seen):
                    owner[key] = record
                    return True
        return False

    for record in candidates:
        claim(record, set())
    return {record: key for key, record in owner.items()}


def _claims(rates: Rates, measure: str, gold: dict[tuple, str], found: dict[tuple, str], same) -> tuple[list, list]:
    """Precision over `found` and recall over `gold` (item -> group), `same(found, gold)` deciding a
    match; returns the found items that match nothing and the gold items nothing matches."""
    extra, missed = [], []
    for item, group in found.items():
        hit = any(same(item, g) for g in gold)
        rates.add(f"{measure} precision", group, hit)
        if not hit:
            extra.append(item)
    for item, group in gold.items():
        hit = any(same(f, item) for f in found)
        rates.add(f"{measure} recall", group, hit)
        if not hit:
            missed.append(item)
    return extra, missed


def _close(found: float | None, gold: float) -> bool:
    return found is not None and abs(found - gold) <= FIGURE_TOLERANCE * abs(gold)


@dataclass
class HalfParks:
    """The half's gold parks and the dataset's park records of its texts, matched by name."""
    gold: Gold
    doc_group: dict[str, str]           # doc_id -> park group
    key_docs: dict[str, set[str]]       # gold park key -> the half's texts that name it
    key_group: dict[str, str]           # gold park key -> the group holding most of its texts
    records: list[dict]                 # park records with a text of the half, most mentioned first
    record_docs: dict[str, set[str]]    # record id -> its texts in the half
    record_group: dict[str, str]        # record id -> the group holding most of its mentions
    candidates: dict[str, list[str]]    # record id -> gold parks of its texts it has a name of
    matched: dict[str, str]             # record id -> the gold park it answers (`match_records`)

    def entries(self, key: str | None = None) -> list[tuple[str, dict]]:
        """(doc_id, gold park entry) of the half's texts, of one park or all."""
        return [(d, e) for d in sorted(self.doc_group) for e in self.gold.documents[d]["parks"]
                if key is None or e["park"] == key]

    def owner(self, record_id: str) -> str:
        """Whose claims a record's are: the gold park it answers or duplicates, else its own id,
        which no gold claim has."""
        keys = self.candidates[record_id]
        return self.matched.get(record_id) or (keys[0] if keys else record_id)

    def group(self, owner: str) -> str:
        return self.key_group.get(owner) or self.record_group[owner]


def match_half(parks: list[dict], gold: Gold, half: str) -> HalfParks:
    doc_group = {d: g for g, docs in gold.groups[half].items() for d in docs}
    key_names: dict[str, set[str]] = {}
    key_docs: dict[str, set[str]] = {}
    for d in sorted(doc_group):
        for e in gold.documents[d]["parks"]:
            registry = gold.parks.get(e["park"], {})
            key_names.setdefault(e["park"], set()).update(
                _keys([*e["mentions"], e["name"], e["name_zh"], registry.get("name"), registry.get("name_zh")]))
            key_docs.setdefault(e["park"], set()).add(d)
    mentions: dict[str, Counter] = {}
    for p in parks:
        mentions[p["id"]] = Counter()
        for ref in p["documents"]:
            if ref["doc_id"] in doc_group:
                mentions[p["id"]][doc_group[ref["doc_id"]]] += ref["mentions"]
    records = sorted((p for p in parks if mentions[p["id"]]), key=lambda p: (-sum(mentions[p["id"]].values()), p["id"]))
    record_docs = {p["id"]: {r["doc_id"] for r in p["documents"] if r["doc_id"] in doc_group} for p in records}
    candidates = {}
    for p in records:
        names = _keys([p["names"]["en"], p["names"]["zh"], *p["names"]["aliases"]])
        candidates[p["id"]] = sorted(k for k in key_docs if key_docs[k] & record_docs[p["id"]] and key_names[k] & names)
    return HalfParks(gold, doc_group, key_docs, {k: _group_of(Counter(doc_group[d] for d in docs))
                                                 for k, docs in key_docs.items()},
                     records, record_docs, {p["id"]: _group_of(mentions[p["id"]]) for p in records},
                     candidates, match_records(candidates))


def score_half(parks: list[dict], companies: list[dict], gold: Gold, half: str) -> HalfScore:
    """The dataset's park records of the half's texts against the half's gold."""
    h = match_half(parks, gold, half)
    rates = Rates(sorted(gold.groups[half]))
    errors: dict[str, list | dict] = {}
    records = _score_records(h, rates, errors)
    scope_in_dataset = any("scope" in p for p in parks)
    _score_parks(h, rates, errors, scope_in_dataset)
    _score_relations(h, companies, rates, errors)
    _score_figures(h, rates, errors)
    _score_founded(h, rates, errors)
    _score_cross_lingual(h, rates, errors)
    return HalfScore(rates, records, scope_in_dataset, errors)


def _score_records(h: HalfParks, rates: Rates, errors: dict) -> dict[str, int]:
    """Each record right (answers a gold park), a duplicate (has a name of a gold park another
    record answers) or junk (has no name of a gold park of its texts)."""
    counts = {"right": 0, "duplicate": 0, "junk": 0}
    errors["duplicate"], errors["junk"] = [], []
    for p in h.records:
        kind = "right" if p["id"] in h.matched else "duplicate" if h.candidates[p["id"]] else "junk"
        counts[kind] += 1
        group = h.record_group[p["id"]]
        rates.add("record precision", group, kind == "right")
        rates.add("duplicate share", group, kind == "duplicate")
        rates.add("junk share", group, kind == "junk")
        if kind != "right":
            errors[kind].append({"record": p["id"], "names": [p["names"]["en"], p["names"]["zh"]],
                                 "park": h.owner(p["id"]) if kind == "duplicate" else None,
                                 "documents": sorted(h.record_docs[p["id"]])})
    return counts


def _score_parks(h: HalfParks, rates: Rates, errors: dict, scope_in_dataset: bool) -> None:
    """Recall of the gold parks; host country (and scope, once the dataset has it) of those answered."""
    record_of = {key: record for record, key in h.matched.items()}
    by_id = {p["id"]: p for p in h.records}
    errors["missed"], errors["host"] = [], []
    for k in sorted(h.key_docs):
        group, record = h.key_group[k], by_id.get(record_of.get(k))
        rates.add("park recall", group, record is not None)
        if record is None:
            errors["missed"].append({"park": k, "documents": sorted(h.key_docs[k])})
            continue
        gold_host = _most_common([(e["host_country"] or {}).get("iso") for _, e in h.entries(k)])
        found_host = (record["host_country"] or {}).get("iso")
        rates.add("no host", group, found_host is None)
        if gold_host:
            rates.add("host country right", group, found_host == gold_host)
            if found_host != gold_host:
                errors["host"].append({"park": k, "record": record["id"], "gold": gold_host, "found": found_host})
        gold_scope = _most_common([e.get("scope") for _, e in h.entries(k)])
        if scope_in_dataset and gold_scope:
            rates.add("scope right", group, record.get("scope") == gold_scope)


def _score_relations(h: HalfParks, companies: list[dict], rates: Rates, errors: dict) -> None:
    """(park, company, role): the dataset's links stated in the half's texts, the company matched
    by name to the gold companies of the texts its sentences are in."""
    aliases = {c["id"]: c["names"]["aliases"] for c in companies}
    gold_relations = {(e["park"], c["company"], c["role"]): h.key_group[e["park"]]
                      for _, e in h.entries() for c in e["companies"]}
    found_relations = {}
    for p in h.records:
        owner = h.owner(p["id"])
        for link in p["companies"]:
            docs = {s["doc_id"] for s in link["sources"]} & h.record_docs[p["id"]]
            if docs:
                names = _keys([link["name"], link["name_zh"], *aliases.get(link["company"], [])])
                for company in _company_keys(names, docs, h.gold) or [link["company"]]:
                    found_relations[(owner, company, ROLES[link["relation"]])] = h.group(owner)
    extra, missed = _claims(rates, "relations", gold_relations, found_relations, lambda f, g: f == g)
    errors["relations"] = {"extra": extra, "missed": missed}
    _claims(rates, "relations (any role)", {k[:2]: g for k, g in gold_relations.items()},
            {k[:2]: g for k, g in found_relations.items()}, lambda f, g: f == g)


def _score_figures(h: HalfParks, rates: Rates, errors: dict) -> None:
    """(park, kind, unit, value): a dataset figure stated in the half's texts is a gold one of the
    same park, kind and unit whose value is within 1 %; also with the kind left out."""
    gold_figures = {(e["park"], f["kind"], f["unit"], float(f["value"])): h.key_group[e["park"]]
                    for _, e in h.entries() for f in e["figures"] if f["value"] is not None}
    found_figures = {}
    for p in h.records:
        owner = h.owner(p["id"])
        for f in p["figures"]:
            if f["source"]["doc_id"] in h.record_docs[p["id"]]:
                found_figures[(owner, f["kind"], f["unit"], f["value"])] = h.group(owner)
    extra, missed = _claims(rates, "figures", gold_figures, found_figures,
                            lambda f, g: f[:3] == g[:3] and _close(f[3], g[3]))
    errors["figures"] = {"extra": extra, "missed": missed}
    _claims(rates, "figures (any kind)", gold_figures, found_figures,
            lambda f, g: (f[0], f[2]) == (g[0], g[2]) and _close(f[3], g[3]))


def _score_founded(h: HalfParks, rates: Rates, errors: dict) -> None:
    gold_years = {(e["park"], e["founded"]["year"]): h.key_group[e["park"]] for _, e in h.entries() if e["founded"]}
    found_years = {}
    for p in h.records:
        owner = h.owner(p["id"])
        for f in p["founded"]:
            if f["source"]["doc_id"] in h.record_docs[p["id"]]:
                found_years[(owner, f["year"])] = h.group(owner)
    extra, missed = _claims(rates, "founded", gold_years, found_years, lambda f, g: f == g)
    errors["founded"] = {"extra": extra, "missed": missed}


def _score_cross_lingual(h: HalfParks, rates: Rates, errors: dict) -> None:
    """A gold park named in texts of both languages is right when one record alone has its names,
    and that record is in texts of both languages."""
    errors["cross-lingual"] = []
    for k in sorted(h.key_docs):
        languages = {h.gold.documents[d]["lang"] for d in h.key_docs[k]}
        if len(languages) < 2:
            continue
        records = [r for r, keys in h.candidates.items() if k in keys]
        covered = {h.gold.documents[d]["lang"] for r in records for d in h.record_docs[r] & h.key_docs[k]}
        one = len(records) == 1 and covered == languages
        rates.add("cross-lingual one record", h.key_group[k], one)
        if not one:
            errors["cross-lingual"].append({"park": k, "records": records})


def _company_keys(names: set[str], docs: set[str], gold: Gold) -> list[str]:
    """Gold company keys of these texts a dataset company's names match (`_names_match`: equal,
    or one contains the other and both are long enough to be names)."""
    found = set()
    for d in docs:
        for c in gold.documents[d]["companies"]:
            registry = gold.companies.get(c["company"], {})
            forms = _keys([*c["mentions"], c["name"], c["name_zh"], registry.get("name"), registry.get("name_zh")])
            if _names_match(forms, names):
                found.add(c["company"])
    return sorted(found)


# --- intervals ---------------------------------------------------------------------

def summarise(rates: Rates, resamples: int = BOOTSTRAP_RESAMPLES, random_state: int = 0,
              measures: dict[str, str] = MEASURES) -> dict[str, dict]:
    """Each measure's rate, n and 95 % interval over the groups (park groups of a half, documents of
    the seed gold, papers) drawn with replacement (the same draws for every measure); a draw with no
    item of a measure is left out of its interval."""
    groups = rates.groups
    rng = np.random.RandomState(random_state)
    draws = rng.randint(0, len(groups), size=(resamples, len(groups)))
    summary = {}
    for measure in measures:
        counts = rates.counts.get(measure, {})
        table = np.array([counts.get(g, [0, 0]) for g in groups], dtype=float).reshape(len(groups), 2)
        sums = table[draws].sum(axis=1)
        drawn = sums[:, 1] > 0
        hits, n = rates.total(measure)
        interval = np.percentile(sums[drawn, 0] / sums[drawn, 1], [2.5, 97.5]) if drawn.any() and n else None
        summary[measure] = {"value": round(hits / n, 4) if n else None, "hits": hits, "n": n,
                            "interval": [round(float(v), 4) for v in interval] if interval is not None else None}
    return summary


# --- running the pipeline -----------------------------------------------------------

def build_records(texts: Path, work: Path) -> Path:
    """Copy the texts into `work/corpus` (a symlink out of the corpus folder is refused) and run the
    pipeline on them as `parks extract` does, without Prefect: every document, then the corpus
    stages (themes, dataset). Returns the output folder."""
    papers = sorted(texts.glob("*.txt"))
    if not papers:
        raise FileNotFoundError(f"{texts} holds no .txt file (the devset texts are in ../shared/devset/texts)")
    corpus, out = work / "corpus", work / "out"
    corpus.mkdir(parents=True)
    for paper in papers:
        shutil.copyfile(paper, corpus / paper.name)
    os.environ["PARKS_HOME"] = str(work / "home")  # nothing is written to the project's .parks/
    from pipeline.limits import DEFAULT_LIMITS
    from pipeline.locks import exclusive_run
    from pipeline.run import extract_documents, prepare_run
    from pipeline.stages import CORPUS_STAGES, run_corpus_stage

    with exclusive_run(out):
        run = prepare_run(corpus, out, None, None, work / "cache", False, DEFAULT_LIMITS)
        extract_documents(run.documents, run.settings)
        for stage in CORPUS_STAGES:
            run_corpus_stage(stage, out)
    return out


def read_dataset_files(records: Path, gold: Gold, texts: str = "the devset texts") -> tuple[list[dict], list[dict],
                                                                                          list[str]]:
    """parks.json and companies.json of `records`, and the gold texts whose record failed; an error
    naming the file when one is missing or the folder holds no record of a gold text."""
    parks = _read_json(records / "parks.json")
    companies = _read_json(records / "companies.json")
    absent = [d for d in sorted(gold.documents) if not (records / "documents" / f"{d}.json").is_file()]
    if absent:
        raise FileNotFoundError(f"{records / 'documents'} has no record of {', '.join(absent[:5])}"
                                f"{' ...' if len(absent) > 5 else ''}: not a dataset built from {texts}")
    failed = [d for d in sorted(gold.documents)
              if _read_json(records / "documents" / f"{d}.json").get("status") != "ok"]
    return parks, companies, failed


def _interval(summary: dict) -> str:
    return f"[{summary['interval'][0]:.3f}, {summary['interval'][1]:.3f}]" if summary["interval"] else "-"


def _print_table(title: str, unit: str, measures: dict[str, str], summary: dict[str, dict],
                 not_measured: dict[str, str]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=f"95 % intervals over {unit} drawn with replacement")
    for column in ("measure", "value", "95 % interval", "hits / n"):
        table.add_column(column, justify="left" if column == "measure" else "right", no_wrap=True)
    for measure in measures:
        s = summary.get(measure)
        if s is None:
            table.add_row(measure, not_measured.get(measure, NOT_IN_DATASET), "", "")
        else:
            value = f"{s['value']:.3f}" if s["value"] is not None else "-"
            table.add_row(measure, value, _interval(s), f"{s['hits']} / {s['n']}")
    Console(width=None if sys.stdout.isatty() else 100).print(table)  # not cut to 80 columns in a log


def print_half(half: str, result: dict, unit: str = "park groups") -> None:
    records, failed = result["records"], result["failed_documents"]
    _print_table(f"{half}: {result['documents']} texts ({len(failed)} failed), {result['groups']} {unit}, "
                 f"{sum(records.values())} park records: {records['right']} right, "
                 f"{records['duplicate']} duplicates, {records['junk']} junk",
                 unit, MEASURES, result["measures"], result.get("not measured", {}))


def print_abstracts(result: dict) -> None:
    _print_table(f"cross-lingual abstracts: {result['papers']} Chinese papers with English blocks, "
                 f"{result['papers with names']} naming a park or company in English prose there "
                 f"({result['English mentions in bibliography entries (not counted)']} more mentions in English "
                 f"bibliography entries, not counted)",
                 "papers", ABSTRACT_MEASURES, result["measures"], {})


def _half_report(parks: list[dict], companies: list[dict], gold: Gold, half: str, failed: list[str],
                 not_measured: dict[str, str]) -> tuple[dict, HalfScore]:
    """A half's rates with their intervals, measures that cannot be measured left out (with why)."""
    result = score_half(parks, companies, gold, half)
    measures = summarise(result.rates)
    if not result.scope_in_dataset:
        not_measured = {**not_measured, "scope right": NOT_IN_DATASET}
    for measure in not_measured:
        del measures[measure]
    docs = {d for group in gold.groups[half].values() for d in group}
    return {"documents": len(docs), "groups": len(gold.groups[half]), "records": result.records,
            "failed_documents": [d for d in failed if d in docs],
            "scope": None if result.scope_in_dataset else NOT_IN_DATASET,
            "not measured": not_measured, "measures": measures}, result


def score(records: Path, gold_dir: Path, errors: bool = False) -> dict:
    gold = load_gold(gold_dir)
    parks, companies, failed = read_dataset_files(records, gold)
    halves = {}
    for half in HALVES:
        halves[half], result = _half_report(parks, companies, gold, half, failed, {})
        if errors and half == "development":  # held-out errors are never listed
            halves[half]["errors"] = result.errors
    return {"gold": str(gold_dir), "records": str(records), "resamples": BOOTSTRAP_RESAMPLES, "random_state": 0,
            "measures": MEASURES, "role_of_relation": ROLES, "halves": halves}


def dataset_ids(parks: list[dict], companies: list[dict]) -> dict[str, str]:
    """A document record's canonical id -> the id of the dataset entity it was resolved into (the
    entity's `members`; an entity is its own member, also in a dataset written before `members`)."""
    ids = {}
    for entity in [*parks, *companies]:
        ids[entity["id"]] = entity["id"]
        ids.update({member["id"]: entity["id"] for member in entity.get("members", [])})
    return ids


def score_abstracts(records: Path, ids: dict[str, str]) -> tuple[Rates, dict[str, int], list[dict]]:
    """Each Chinese paper (record language zh or mixed) with English blocks: the parks and companies
    named in English in its English prose (abstract, title, keywords, captions; not the English
    bibliography entries, `pipeline.themes.is_apparatus`, which name what the Chinese text need not),
    each one entity by dataset id, and whether the paper's Chinese text (every block not English)
    names the same id. A Chinese name inside an English block is in neither part. Returns the rates
    by paper, the counts of papers and of English mentions left out as bibliography, and the misses."""
    from pipeline.themes import is_apparatus

    papers = []
    for path in sorted((Path(records) / "documents").glob("*.json")):
        record = _read_json(path)
        english = [(b["start"], b["end"]) for b in record.get("blocks", []) if b["lang"] == "en"]
        if record.get("status") == "ok" and record.get("language") in ABSTRACT_LANGUAGES and english:
            prose = {span: not is_apparatus(record["text"][span[0]:span[1]]) for span in english}
            papers.append((record["doc_id"], prose, record["entities"]))
    rates, misses, named, in_bibliography = Rates([doc_id for doc_id, _, _ in papers]), [], 0, 0
    for doc_id, prose, entities in papers:
        in_english: dict[tuple, set[str]] = {}  # (type, dataset id, or the name when it has none) -> names
        in_chinese: set[str] = set()
        for e in entities:
            if e["type"] not in ("park", "company") or e["review_status"] == "rejected":
                continue
            resolved = ids.get((e["canonical"] or {}).get("id"))
            block = next((span for span in prose if span[0] <= e["start"] < span[1]), None)
            if block is None:
                in_chinese.add(resolved)
            elif e["lang"] == "en" and not prose[block]:
                in_bibliography += 1
            elif e["lang"] == "en":
                in_english.setdefault((e["type"], resolved, None if resolved else e["text"]), set()).add(e["text"])
        named += bool(in_english)
        for (kind, resolved, _), names in sorted(in_english.items(), key=lambda item: (item[0][0], str(item[0][1:]))):
            hit = resolved is not None and resolved in in_chinese
            rates.add(f"abstract {PLURAL[kind]}", doc_id, hit)
            rates.add("abstract parks and companies", doc_id, hit)
            if not hit:
                misses.append({"doc_id": doc_id, "type": kind, "names": sorted(names),
                               "id": resolved if resolved else NOT_IN_DATASET})
    return rates, {"papers": len(papers), "papers with names": named,
                   "English mentions in bibliography entries (not counted)": in_bibliography}, misses


def score_bundled(records: Path, seed_gold_dir: Path, errors: bool = False) -> dict:
    """The bundled corpus's dataset against the seed gold (its five documents), and its Chinese
    papers' English abstracts against their Chinese text. Seed gold errors are never listed (a
    target reported like the held-out half); the abstracts' misses are, with `errors`."""
    gold = load_seed_gold(seed_gold_dir)
    parks, companies, failed = read_dataset_files(records, gold, "the bundled corpus")
    seed, _ = _half_report(parks, companies, gold, SEED, failed,
                           {"cross-lingual one record": "see the abstracts"})
    rates, papers, misses = score_abstracts(records, dataset_ids(parks, companies))
    abstracts = {**papers, "measures": summarise(rates, measures=ABSTRACT_MEASURES)}
    if errors:
        abstracts["misses"] = misses
    return {"gold": str(seed_gold_dir), "records": str(records), "resamples": BOOTSTRAP_RESAMPLES,
            "random_state": 0, "measures": {**MEASURES, **ABSTRACT_MEASURES}, "role_of_relation": ROLES,
            "seed": seed, "abstracts": abstracts}


def _commit() -> str | None:
    """The checkout measured, so that results of different sessions can be told apart."""
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=Path, help=f"the devset texts (d001.txt ...; default {DEFAULT_TEXTS})")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--records", type=Path, help="score this output folder of an earlier run instead of extracting "
                                                     f"(with --bundled: default {DEFAULT_BUNDLED_RECORDS})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its out/ for --records)")
    parser.add_argument("--errors", action="store_true",
                        help="list the development half's errors (with --bundled: the abstracts' misses)")
    parser.add_argument("--bundled", action="store_true",
                        help="score the bundled corpus's dataset: seed gold and cross-lingual abstracts")
    parser.add_argument("--seed-gold", type=Path, default=DEFAULT_SEED_GOLD, help="the seed gold, with --bundled")
    parser.add_argument("--out", type=Path, help=f"default {DEFAULT_OUT}, with --bundled {DEFAULT_BUNDLED_OUT}")
    args = parser.parse_args(argv)
    if args.bundled and (args.texts or args.keep):
        parser.error("--bundled scores a records folder (--records); --texts and --keep are for the devset run")
    return _run_bundled(args) if args.bundled else _run_devset(args)


def _write(report: dict, out: Path) -> None:
    report["commit"] = _commit()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _run_devset(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    work = None
    try:
        if args.records:
            records = args.records
        else:
            work = Path(tempfile.mkdtemp(prefix="parks-quality-"))
            records = build_records(args.texts or DEFAULT_TEXTS, work)
        extracted = time.perf_counter()
        report = score(records, args.gold, args.errors)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        if work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report["seconds"] = {"extraction": None if args.records else round(extracted - started, 1),
                         "scoring": round(time.perf_counter() - extracted, 1)}
    out = args.out or DEFAULT_OUT
    _write(report, out)
    for half in HALVES:
        print_half(half, report["halves"][half])
    if args.errors:
        print(json.dumps(report["halves"]["development"]["errors"], ensure_ascii=False, indent=1))
    seconds = report["seconds"]
    print(f"extraction {seconds['extraction']} s, scoring {seconds['scoring']} s" if seconds["extraction"] is not None
          else f"scored {records} in {seconds['scoring']} s")
    print(f"written: {out}" + (f" (records in {records})" if args.keep and work else ""))
    return 0


def _run_bundled(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    records = args.records or DEFAULT_BUNDLED_RECORDS
    try:
        report = score_bundled(records, args.seed_gold, args.errors)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    report["seconds"] = {"extraction": None, "scoring": round(time.perf_counter() - started, 1)}
    out = args.out or DEFAULT_BUNDLED_OUT
    _write(report, out)
    print_half(f"seed gold ({args.seed_gold})", report["seed"], unit="documents")
    print_abstracts(report["abstracts"])
    if args.errors:
        print(json.dumps({"abstract misses": report["abstracts"]["misses"]}, ensure_ascii=False, indent=1))
    print(f"scored {records} in {report['seconds']['scoring']} s")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
