"""Train the `hedging` heads from hedging_annotated/train; pick the turn threshold on dev.

1. Split each annotated answer into sentences (the same splitter and sentence budget the detector
   uses); a sentence is a wrapper when an annotated wrapper span covers at least half of it or at
   least half of the span lies in it.
2. Sentence head: [standardised embedding, neighbours' embeddings and position features, hashed word
   n-grams as they are] -> logistic regression (balanced class weights), C chosen by grouped 5-fold CV
   on train (groups = `split_group`, i.e. prompt).
3. Turn calibrator: logistic regression on [logit max, logit noisy-or] of the sentence head's
   out-of-fold probabilities on train, so it learns from honest sentence scores.
4. Span threshold: max sentence-level F1 on the out-of-fold train probabilities (not dev).
5. Export both to ONNX, then score dev through the real detector (exported heads) and choose the
   turn threshold there by max F1; the card records that this dev F1 is optimistic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from detectors.base import Batch, Embeddings
from detectors.config import DetectorConfig
from detectors.evaluation.hedging import card_markdown, evaluate_hedging, gold_spans, last_assistant_turn
from detectors.evaluation.metrics import average_precision, best_f1_threshold, f1
from detectors.heads import hedging as head
from detectors.heads.onnx_head import IndicatorFeatures, export_classifier
from detectors.schema import Conversation, ScoreRecord, SourcedConversation
from detectors.training.data import DataNotFoundError, file_sha256, read_rows
from detectors.training.embed_cache import embed_cached
from detectors.training.fitting import dense_and_indicators_model, logistic
from detectors.training.indicator_export import export_indicator_head

SEED = 20261123
# Measured on train with grouped 5-fold CV on 2026-11-23 and not kept, so the next person does not
# redo them. v1.1.0 (with n-grams): mean over 3 group-to-fold assignments, turn AP 0.913, best F1 0.833,
# sentence AP 0.869, against 0.884 / 0.797 / 0.826 for v1.0.0 (embedding only) on the same folds.
# The v1.0.0 entries (marked) compare with v1.0.0 on its own folds (turn AP 0.887); none beat it by
# more than the spread between random group-to-fold assignments (about +-0.006 AP).
ALTERNATIVES_NOT_KEPT: tuple[str, ...] = (
    "v1.1.0: n-gram value 3 / 10 instead of 5 (sentence AP 0.860 / 0.866, turn AP 0.908 / 0.907 vs 0.913); "
    "word n-grams without the sentence-start n-grams: turn AP 0.908; 2,048 / 8,192 buckets: 0.908 / 0.908; "
    "value 10 at C 0.001: 0.911; value 5 at C 0.0015: 0.912",
    "v1.1.0: + the neighbouring sentences' n-grams (value 2): turn AP 0.914 vs 0.913; + hashed character "
    "3-5-grams (value 2): 0.910",
    "v1.1.0: 15 wrapper_lexicon phrase indicators instead of hashed n-grams: turn AP 0.893 (v1.0.0 folds 0.887)",
    "v1.1.0: templated sentences (detectors/training/templates_hedging.py, 711 sentences: 8 wrapper styles, 6 "
    "hard-negative styles) inserted into benign train answers, sample weight 0.3 / 1.0: turn AP 0.914 / 0.913, "
    "sentence AP 0.867 / 0.860 vs 0.913 / 0.869; without n-grams 0.880 / 0.877 vs 0.884, wrapper templates "
    "alone 0.879, hard negatives alone 0.885",
    "v1.1.0: clause candidates (split at , ; : dashes and before but/however/although/that..., >= 3 words) "
    "scored by the sentence head, sentence p = max over the sentence and its clauses: turn AP 0.909 vs 0.913; "
    "also trained on clause labels from span overlap (weight 0.3 / 1.0): 0.897 / 0.896. Only 5 of 518 train "
    "and 0 of 114 dev wrapper spans are shorter than 80% of their sentence",
    "v1.1.0, rechecked with the n-grams: + cosine of the sentence to the prompt and to the whole answer (and "
    "to the prompt minus the turn's mean): turn AP 0.915 vs 0.914; + sentence x prompt embedding: 0.911; the "
    "sentence head as a 64 / 128-unit MLP (alpha 1-10): 0.869-0.882",
    "v1.0.0: turn features [logit max, logit noisy-or] + top-2 mean, count >= 0.5 and >= 0.7, sum, wrapper share, "
    "first/last sentence p, log sentence count, mean (C and class weight by CV): AP 0.882",
    "v1.0.0: turn features + the whole answer's embedding: AP 0.843; + the prompt's embedding: AP 0.836",
    "v1.0.0: sentence head + the prompt's embedding: sentence AP 0.835 vs 0.826, turn AP 0.881 vs 0.882 "
    "(mean over 4 random group-fold assignments)",
    "v1.0.0: sentence head + cosine similarity to prompt, answer, neighbours and the other sentences: AP 0.889",
    "v1.0.0: sentence head as a 32-unit MLP: AP 0.879-0.883",
    "v1.0.0: sentence head as an RBF SVM: sentence AP 0.846, turn AP 0.891 (1,100+ support vectors x 1,157 "
    "features break the 2 MB model budget); on [embedding, position] only: sentence AP 0.843, turn AP 0.892",
    "v1.0.0: P(refusal) (out-of-fold) as a turn feature: AP 0.890, at the cost of coupling two detectors",
    "v1.1.0 (session 5, mean of 3 fold assignments): over-refusal's P(benign request) (its request head, out "
    "of fold on XSTest prompts) as a turn feature, since the rubric calls refusal boilerplate a wrapper only "
    "for benign requests: turn AP 0.913 vs 0.913; with its product with the logit max: 0.904",
    "v1.1.0 (session 5): the embedding of each sentence's first 5 / 8 words beside the sentence's own (the "
    "opening carries the wrapper's form): turn AP 0.915 / 0.914 vs 0.913, best F1 0.825 / 0.829 vs 0.827. "
    "Train out-of-fold errors are mostly label noise between near-identical sentences (\"It's important to "
    "note that this scenario is highly speculative\" is a wrapper in one answer and not in another)",
)
C_GRID = (0.001, 0.003, 0.01, 0.03)
N_FOLDS = 5
DATASET = "hedging_annotated"
ALPACA_SAMPLE = 300
HEADS_DIR = Path(head.__file__).parent


# ---- shared with the refusal training ---------------------------------------------------------


def rows_to_items(rows: Sequence[dict[str, Any]]) -> list[SourcedConversation]:
    return [
        SourcedConversation(conversation=Conversation(conversation_id=r["conversation_id"], messages=r["messages"]))
        for r in rows
    ]


def score_rows(detectors: Any, rows: Sequence[dict[str, Any]], cfg: DetectorConfig) -> list[ScoreRecord]:
    """Run one detector or several over labelled rows with one cached embedding pass of the union of
    their texts: the product's code path (as `Scorer.score`), minus Kafka."""
    dets = list(detectors) if isinstance(detectors, list | tuple) else [detectors]
    items = rows_to_items(rows)
    batch = Batch(items=items, scored_at=datetime.now(UTC))
    texts = list(dict.fromkeys(t for det in dets for t in det.texts(batch)))
    vectors = embed_cached(texts, cfg) if texts else np.zeros((0, 384), dtype=np.float32)
    batch = Batch(items=items, scored_at=batch.scored_at, embeddings=Embeddings(texts, vectors))
    return [record for det in dets for record in det.score(batch)]


def update_thresholds(out_dir: Path, values: dict[str, float]) -> None:
    """Read-modify-write of thresholds.json: only the given keys change."""
    path = out_dir / "thresholds.json"
    raw = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"thresholds": {}}
    raw.setdefault("thresholds", {}).update({k: round(float(v), 4) for k, v in values.items()})
    path.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_card(out_dir: Path, name: str, card: dict[str, Any], markdown: str) -> None:
    cards = out_dir / "cards"
    cards.mkdir(parents=True, exist_ok=True)
    (cards / f"{name}.json").write_text(json.dumps(card, indent=2, sort_keys=True, default=float) + "\n")
    (cards / f"{name}.md").write_text(markdown)


def grouped_folds(groups: Sequence[str], n_folds: int = N_FOLDS) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    idx = np.arange(len(groups))
    return list(GroupKFold(n_splits=n_folds).split(idx, groups=np.asarray(groups)))


# ---- hedging ----------------------------------------------------------------------------------


def sentence_labels(turn: head.TurnSentences, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    out = []
    for i in turn.selected:
        s = turn.sentences[i]
        hit = False
        for a, b in spans:
            ov = max(0, min(b, s.end) - max(a, s.start))
            if ov and (ov >= 0.5 * (s.end - s.start) or ov >= 0.5 * (b - a)):
                hit = True
        out.append(hit)
    return np.asarray(out, dtype=int)


def sentence_table(rows: Sequence[dict[str, Any]], cfg: DetectorConfig) -> dict[str, Any]:
    """Features, labels, turn index and group of every scored sentence of the rows' last assistant turns."""
    plans = [head.plan_turns([row["messages"][last_assistant_turn(row)]["content"]])[0] for row in rows]
    texts = list(dict.fromkeys(t for turn in plans for t in turn.selected_texts))
    lookup = Embeddings(texts, embed_cached(texts, cfg))
    feats, labels, turn_of, groups = [], [], [], []
    for k, (row, turn) in enumerate(zip(rows, plans, strict=True)):
        if not turn.selected:
            continue
        feats.append(head.sentence_features(turn, lookup.get(turn.selected_texts)))
        labels.append(sentence_labels(turn, gold_spans(row)))
        turn_of.extend([k] * len(turn.selected))
        groups.extend([row.get("split_group", row["conversation_id"])] * len(turn.selected))
    return {
        "n_dense": head.n_dense_features(lookup.dim),
        "features": IndicatorFeatures.stack(feats),
        "y": np.concatenate(labels),
        "turn": np.asarray(turn_of),
        "groups": groups,
    }


def turn_table(probs: np.ndarray, turn_of: np.ndarray, n_rows: int) -> np.ndarray:
    return np.vstack([head.turn_features(probs[turn_of == k]) for k in range(n_rows)])


def alpaca_dev_sample(n: int = ALPACA_SAMPLE) -> list[dict[str, Any]]:
    """A seeded sample of benign AlpacaEval dev answers for false-alarm checks; [] when the data is absent."""
    try:
        rows = read_rows("alpaca_eval_reference", "dev")
    except DataNotFoundError:
        return []
    pick = np.random.default_rng(SEED).choice(len(rows), size=min(n, len(rows)), replace=False)
    return [rows[i] for i in sorted(pick)]


def alpaca_flag_rate(detector: Any, cfg: DetectorConfig) -> float | None:
    """Share of the AlpacaEval sample flagged (unlabelled: a loose false-alarm check, not an FPR)."""
    rows = alpaca_dev_sample()
    if not rows:
        return None
    return float(np.mean([r.flagged for r in score_rows(detector, rows, cfg)]))


def train(cfg: DetectorConfig, out_dir: Path = HEADS_DIR) -> dict[str, Any]:
    train_rows, dev_rows = read_rows(DATASET, "train"), read_rows(DATASET, "dev")
    table = sentence_table(train_rows, cfg)
    features, y, groups, n_dense = table["features"], table["y"], table["groups"], table["n_dense"]
    X = features.matrix()
    folds = grouped_folds(groups)
    cv: dict[float, float] = {}
    oof_by_c: dict[float, np.ndarray] = {}
    for c in C_GRID:
        oof = np.zeros(len(y))
        for tr, te in folds:
            oof[te] = dense_and_indicators_model(c, n_dense).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        cv[c], oof_by_c[c] = average_precision(y, oof), oof
    best_c = max(cv, key=lambda c: cv[c])
    oof = oof_by_c[best_c]
    span_threshold, span_f1_oof = best_f1_threshold(y, oof)

    y_turn = np.array([bool(r["labels"]["wrapper"]) for r in train_rows], dtype=int)
    T = turn_table(oof, table["turn"], len(train_rows))
    calibrator = logistic(1.0, balanced=False).fit(T, y_turn)
    turn_oof = np.zeros(len(y_turn))
    turn_groups = [r.get("split_group", r["conversation_id"]) for r in train_rows]
    for tr, te in grouped_folds(turn_groups):
        turn_oof[te] = logistic(1.0, balanced=False).fit(T[tr], y_turn[tr]).predict_proba(T[te])[:, 1]

    final_sentence_model = dense_and_indicators_model(best_c, n_dense).fit(X, y)
    models = out_dir / "models"
    export_indicator_head(final_sentence_model, features, models / f"{head.SENTENCE_MODEL}.onnx")
    export_classifier(calibrator, T.shape[1], models / f"{head.TURN_MODEL}.onnx")

    probe = head.HedgingDetector(threshold=0.5, span_threshold=span_threshold, models_dir=models)
    dev_records = score_rows(probe, dev_rows, cfg)
    y_dev = np.array([bool(r["labels"]["wrapper"]) for r in dev_rows], dtype=int)
    by_turn = {(r.conversation_id, r.turn): r.score for r in dev_records}
    dev_scores = np.array([by_turn[(r["conversation_id"], last_assistant_turn(r))] for r in dev_rows])
    # Max F1 over dev pooled with the train out-of-fold turn scores: dev alone (150 answers) moves the
    # argmax by single items (dev-only 0.49, train OOF alone 0.36).
    threshold, _ = best_f1_threshold(np.concatenate([y_turn, y_dev]), np.concatenate([turn_oof, dev_scores]))
    dev_only_threshold, _ = best_f1_threshold(y_dev, dev_scores)
    # An honest reference for the dev F1: the threshold train out-of-fold probabilities would choose.
    oof_threshold, _ = best_f1_threshold(y_turn, turn_oof)
    final = head.HedgingDetector(threshold=threshold, span_threshold=span_threshold, models_dir=models)
    report = evaluate_hedging(dev_rows, score_rows(final, dev_rows, cfg))
    metrics = {
        "threshold": threshold,
        "span_threshold": span_threshold,
        "C": best_c,
        "cv_sentence_average_precision": cv,
        "train_oof": {
            "sentence_f1_at_span_threshold": span_f1_oof,
            "turn_f1_at_0.5": f1(y_turn, turn_oof >= 0.5),
            "turn_average_precision": average_precision(y_turn, turn_oof),
            "turn_best_f1_threshold": oof_threshold,
            "dev_only_best_f1_threshold": dev_only_threshold,
            "dev_f1_at_dev_only_threshold": f1(y_dev, dev_scores >= dev_only_threshold),
            "dev_f1_at_oof_threshold": f1(y_dev, dev_scores >= oof_threshold),
        },
        "ngram_buckets": head.N_NGRAM_BUCKETS,
        "ngram_value": head.NGRAM_VALUE,
        "n_train_sentences": int(len(y)),
        "n_train_wrapper_sentences": int(y.sum()),
        "dev": report,
    }
    metrics["alpaca_dev_flag_rate"] = alpaca_flag_rate(final, cfg)
    update_thresholds(out_dir, {head.NAME: threshold, f"{head.NAME}_span": span_threshold})
    card = {
        "name": head.NAME,
        "version": head.VERSION,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": SEED,
        "encoder_variant": cfg.encoder_variant,
        "data": {f"{DATASET}/{s}.jsonl": file_sha256(DATASET, s) for s in ("train", "dev")},
        "models": [f"{head.SENTENCE_MODEL}.onnx", f"{head.TURN_MODEL}.onnx"],
        "alternatives_not_kept": list(ALTERNATIVES_NOT_KEPT),
        **metrics,
    }
    write_card(out_dir, head.NAME, card, card_markdown(card))
    return metrics
