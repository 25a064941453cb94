"""Seed terms against a classifier learned from the gold passages, side by side on the same passages.

Would a model trained on labelled passages generalise where the taxonomy's seed terms do not? The
learned model is one logistic regression per seeded theme over every theme's seed score in the
passage (`ThemeModel.theme_scores`) and TF-IDF of the passage's bridged tokens, so Chinese and
English share features. It is always scored on papers it was not trained on: the gold's papers are
split into folds, and each fold is predicted by a model trained on the others. Both methods are
scored on the gold quotes themselves (not on the record passages `parks evaluate` maps them to),
per gold set and over all of them; the learning curve trains on a share of each training fold.

    .venv/bin/python bench/themes_learned.py            # the bundled corpus's records and gold: 20 s
    .venv/bin/python bench/themes_learned.py --curve    # also the learning curve: 30 s
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.evaluation import THEMES_GOLD, THEMES_HELDOUT, label_scores  # noqa: E402
from pipeline.records import read_records  # noqa: E402
from pipeline.segment import detect_language  # noqa: E402
from pipeline.themes import Passage, ThemeModel, bridge_tokenizer, load_taxonomy, theme_source  # noqa: E402


def gold_passages(records: dict, gold_dir: Path) -> list[dict]:
    rows = []
    for folder in (THEMES_GOLD, THEMES_HELDOUT):
        for path in sorted((gold_dir / folder).glob("*.json")):
            gold = json.loads(path.read_text(encoding="utf-8"))
            text = records[gold["doc_id"]].text
            for item in gold["passages"]:
                start = text.index(item["quote"])
                rows.append({"set": folder, "doc_id": gold["doc_id"], "themes": set(item["themes"]),
                             "passage": Passage(gold["doc_id"], start, start + len(item["quote"]),
                                                detect_language(item["quote"]) or "en", item["quote"])})
    return rows


def learned_predictions(scores: np.ndarray, tokens: list[tuple[str, ...]], truth: np.ndarray, papers: list[str],
                        share: float = 1.0, folds: int = 10, random_state: int = 0) -> np.ndarray:
    """Each passage's themes from models trained on the other folds' papers (`share` of their passages)."""
    predicted = np.zeros_like(truth)
    rng = np.random.RandomState(random_state)
    for train, test in GroupKFold(n_splits=folds).split(scores, groups=papers):
        train = train[rng.rand(len(train)) < share]
        words = TfidfVectorizer(analyzer=lambda x: x, min_df=2, sublinear_tf=True)
        x_train = hstack([csr_matrix(scores[train]), words.fit_transform([tokens[i] for i in train])]).tocsr()
        x_test = hstack([csr_matrix(scores[test]), words.transform([tokens[i] for i in test])]).tocsr()
        for j in range(truth.shape[1]):
            if truth[train, j].sum() < 2:  # nothing to learn from: never predicted
                continue
            model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=random_state)
            predicted[test, j] = model.fit(x_train, truth[train, j]).predict(x_test)
    return predicted


def scores_of(truth: np.ndarray, predicted: np.ndarray, theme_ids: list[str]) -> tuple[float, float]:
    """Macro and micro F1, as `parks evaluate` computes them."""
    def labels(row: np.ndarray) -> set[str]:
        return {t for t, on in zip(theme_ids, row) if on}

    scores = label_scores([(labels(t), labels(p)) for t, p in zip(truth, predicted)], dict.fromkeys(theme_ids))
    return scores["macro"]["f1"], scores["micro"]["f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "extracted", help="what `parks extract` wrote")
    parser.add_argument("--gold", type=Path, default=ROOT / "tests" / "gold")
    parser.add_argument("--curve", action="store_true", help="also train on 25, 50 and 75 %% of each training fold")
    args = parser.parse_args()

    records = {r.doc_id: r for r in read_records(args.out)}
    taxonomy = load_taxonomy()
    sources = [theme_source(r) for r in sorted(records.values(), key=lambda r: r.doc_id)]
    tokenizer = bridge_tokenizer(sources, taxonomy)
    corpus = [p for s in sources for p in s.passages]
    model = ThemeModel(taxonomy, aligned=tokenizer.aligned).fit(corpus, [tokenizer(p) for p in corpus])

    rows = gold_passages(records, args.gold)
    theme_ids = [t.id for t in taxonomy.themes]
    tokenized = [tokenizer(r["passage"]) for r in rows]
    truth = np.array([[t in r["themes"] for t in theme_ids] for r in rows])
    seeded = np.array([[t in {x.theme_id for x in themes} for t in theme_ids]
                       for themes in model.transform([r["passage"] for r in rows], tokenized)])
    scores = np.array([[s[t] for t in theme_ids] for s in map(model.theme_scores, tokenized)])
    tokens = [t.tokens for t in tokenized]
    papers = [r["doc_id"] for r in rows]
    methods = {"seed terms (as shipped)": seeded, "learned, papers held out": learned_predictions(scores, tokens, truth, papers)}
    if args.curve:
        for share in (0.25, 0.5, 0.75):
            methods[f"learned from {share:.0%} of a fold"] = learned_predictions(scores, tokens, truth, papers, share)

    subsets = {f"{THEMES_GOLD} ({sum(r['set'] == THEMES_GOLD for r in rows)})": [r["set"] == THEMES_GOLD for r in rows],
               f"{THEMES_HELDOUT} ({sum(r['set'] == THEMES_HELDOUT for r in rows)})": [r["set"] == THEMES_HELDOUT for r in rows],
               f"all ({len(rows)})": [True] * len(rows)}
    print(f"{'method':32}" + "".join(f"{name:>28}" for name in subsets))
    print(f"{'':32}" + "".join(f"{'macro F1':>16}{'micro F1':>12}" for _ in subsets))
    for name, predicted in methods.items():
        cells = [scores_of(truth[np.array(mask)], predicted[np.array(mask)], theme_ids) for mask in subsets.values()]
        print(f"{name:32}" + "".join(f"{macro:16.3f}{micro:12.3f}" for macro, micro in cells))


if __name__ == "__main__":
    main()
