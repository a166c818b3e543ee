"""Evaluation of `hedging` on `hedging_annotated`-style rows, next to the keyword baseline.

Turn level: does the last assistant turn contain a wrapper (`labels.wrapper`). Span level: the
predicted wrapper spans against the annotated `wrapper_spans`, two ways:
- span match: a predicted span is a hit when it overlaps a gold span by at least half of the shorter
  of the two (annotators sometimes mark a clause, the head reports whole sentences);
- characters: precision/recall/F1 over the characters inside spans, pooled over all turns.
The baseline (`wrapper_lexicon`) flags a turn on any phrase hit; for the span metrics its phrase
matches are widened to their sentence, which is the fairest reading of a phrase list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from detectors.baseline import lexicon_score, match_spans
from detectors.evaluation.metrics import binary_report
from detectors.schema import ScoreRecord
from detectors.text import split_sentences

Span = tuple[int, int]
DETECTOR = "hedging"
BASELINE = "wrapper_lexicon"
BASELINE_THRESHOLD = 0.5  # one phrase hit


def last_assistant_turn(row: dict[str, Any]) -> int:
    return max(i for i, m in enumerate(row["messages"]) if m["role"] == "assistant")


def gold_spans(row: dict[str, Any]) -> list[Span]:
    return [(int(a), int(b)) for a, b in row["labels"].get("wrapper_spans", [])]


def baseline_spans(text: str) -> list[Span]:
    """Sentences containing a lexicon phrase."""
    hits = match_spans(text)
    return [
        (s.start, s.end) for s in split_sentences(text) if any(min(e, s.end) - max(a, s.start) > 0 for a, e, _ in hits)
    ]


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def span_match_counts(pred: Sequence[Span], gold: Sequence[Span]) -> tuple[int, int, int, int]:
    """(matched predictions, predictions, matched gold spans, gold spans)."""

    def hit(x: Span, y: Span) -> bool:
        shorter = min(x[1] - x[0], y[1] - y[0])
        return shorter > 0 and _overlap(x, y) >= 0.5 * shorter

    tp_pred = sum(any(hit(p, g) for g in gold) for p in pred)
    tp_gold = sum(any(hit(g, p) for p in pred) for g in gold)
    return tp_pred, len(pred), tp_gold, len(gold)


def char_counts(pred: Sequence[Span], gold: Sequence[Span], length: int) -> tuple[int, int, int]:
    """(characters in both, characters predicted, characters gold)."""
    p = np.zeros(length + 1, dtype=bool)
    g = np.zeros(length + 1, dtype=bool)
    for a, b in pred:
        p[a:b] = True
    for a, b in gold:
        g[a:b] = True
    return int((p & g).sum()), int(p.sum()), int(g.sum())


def _prf(tp_p: float, n_p: float, tp_g: float, n_g: float) -> dict[str, float]:
    precision = tp_p / n_p if n_p else 0.0
    recall = tp_g / n_g if n_g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def span_metrics(preds: Iterable[Sequence[Span]], golds: Iterable[Sequence[Span]], texts: Iterable[str]) -> dict:
    m = np.zeros(4)
    c = np.zeros(3)
    for pred, gold, text in zip(preds, golds, texts, strict=True):
        m += span_match_counts(pred, gold)
        c += char_counts(pred, gold, len(text))
    return {"span_match": _prf(m[0], m[1], m[2], m[3]), "chars": _prf(c[0], c[1], c[0], c[2])}


def _record_spans(record: ScoreRecord | None) -> list[Span]:
    if record is None:
        return []
    return [(int(s["start"]), int(s["end"])) for s in record.details_dict().get("wrapper_spans", [])]


def evaluate_hedging(rows: Sequence[dict[str, Any]], records: Sequence[ScoreRecord]) -> dict[str, Any]:
    """Turn- and span-level metrics of `hedging` records on labelled rows, with the baseline beside them.

    `records` are the Scorer's records for these rows (other detectors' records are ignored); a
    row without a `hedging` record for its last assistant turn counts as a score of 0.
    """
    by_key = {(r.conversation_id, r.turn): r for r in records if r.detector == DETECTOR}
    labelled = [r for r in rows if "wrapper" in r.get("labels", {})]
    y = np.array([bool(r["labels"]["wrapper"]) for r in labelled], dtype=float)
    texts = [r["messages"][last_assistant_turn(r)]["content"] for r in labelled]
    found = [by_key.get((r["conversation_id"], last_assistant_turn(r))) for r in labelled]
    scores = np.array([rec.score if rec else 0.0 for rec in found])
    threshold = next((rec.threshold for rec in found if rec), 0.5)
    base_scores = np.array([lexicon_score(t) for t in texts])
    golds = [gold_spans(r) for r in labelled]
    head_report = binary_report(y, scores, threshold).to_dict()
    base_report = binary_report(y, base_scores, BASELINE_THRESHOLD).to_dict()
    head_report["spans"] = span_metrics([_record_spans(rec) for rec in found], golds, texts)
    base_report["spans"] = span_metrics([baseline_spans(t) for t in texts], golds, texts)
    return {
        "detector": DETECTOR,
        "n": len(labelled),
        "n_missing_records": sum(rec is None for rec in found),
        "head": head_report,
        "baseline": {"name": BASELINE, **base_report},
    }


def metrics_table(head: dict[str, Any], baseline: dict[str, Any], label: str = "learned head") -> str:
    """Markdown rows of the binary metrics, head and baseline side by side (shared with refusal)."""
    keys = ("precision", "recall", "f1", "false_positive_rate", "auroc", "average_precision", "threshold")
    lines = ["| metric | " + label + " | keyword baseline |", "|---|---|---|"]
    for k in keys:
        lines.append(f"| {k} | {head[k]:.3f} | {baseline[k]:.3f} |")
    lines.append(
        f"| F1 95% CI | {head['f1_ci'][0]:.3f}-{head['f1_ci'][1]:.3f} "
        f"| {baseline['f1_ci'][0]:.3f}-{baseline['f1_ci'][1]:.3f} |"
    )
    lines.append(
        f"| AUROC 95% CI | {head['auroc_ci'][0]:.3f}-{head['auroc_ci'][1]:.3f} "
        f"| {baseline['auroc_ci'][0]:.3f}-{baseline['auroc_ci'][1]:.3f} |"
    )
    return "\n".join(lines)


def _rate(card: dict[str, Any]) -> str:
    rate = card.get("alpaca_dev_flag_rate")
    return "not measured (data absent)" if rate is None else f"{rate:.3f}"


def _alternatives(card: dict[str, Any]) -> str:
    tried = card.get("alternatives_not_kept") or []
    if not tried:
        return ""
    lines = "\n".join(f"- {t}" for t in tried)
    return (
        "\n## Measured and not kept (train grouped CV; turn out-of-fold AP unless stated)\n"
        f"{lines}\n"
    )


def _oof_check(card: dict[str, Any]) -> str:
    oof = card.get("train_oof", {})
    if "dev_f1_at_oof_threshold" not in oof:
        return ""
    text = (
        f"\nAt the threshold train out-of-fold probabilities choose ({oof['turn_best_f1_threshold']:.3f}, no dev"
        f" data), dev F1 is {oof['dev_f1_at_oof_threshold']:.3f}"
    )
    if "dev_only_best_f1_threshold" in oof:
        text += (
            f"; at dev's own argmax ({oof['dev_only_best_f1_threshold']:.3f}) it would be "
            f"{oof['dev_f1_at_dev_only_threshold']:.3f}"
        )
    return text + "."


def _target(f1: float) -> str:
    return "met" if f1 >= 0.85 else f"NOT met ({f1:.3f})"


def losses_to_baseline(head: dict[str, Any], base: dict[str, Any]) -> str:
    """Metrics where the head does not beat the baseline (the issue asks it to beat it on every one)."""
    lower_is_better = {"false_positive_rate"}
    keys = ("precision", "recall", "f1", "false_positive_rate", "auroc", "average_precision")
    lost = [
        f"{k} ({head[k]:.3f} vs {base[k]:.3f})"
        for k in keys
        if (head[k] > base[k] if k in lower_is_better else head[k] < base[k])
    ]
    for kind in ("span_match", "chars"):
        if "spans" in head and "spans" in base:
            for k in ("precision", "recall", "f1"):
                h, b = head["spans"][kind][k], base["spans"][kind][k]
                if h < b:
                    lost.append(f"{kind} {k} ({h:.3f} vs {b:.3f})")
    return (
        "beats the keyword baseline on every metric"
        if not lost
        else "does NOT beat the baseline on: " + ", ".join(lost)
    )


def card_markdown(card: dict[str, Any]) -> str:
    dev = card["dev"]
    head, base = dev["head"], dev["baseline"]
    span_rows = []
    for kind in ("span_match", "chars"):
        for k in ("precision", "recall", "f1"):
            span_rows.append(f"| {kind} {k} | {head['spans'][kind][k]:.3f} | {base['spans'][kind][k]:.3f} |")
    data = "\n".join(f"- `{path}` sha256 `{sha}`" for path, sha in card["data"].items())
    return f"""# Model card: `hedging` v{card["version"]}

Flags assistant turns that contain a *wrapper*: a sentence that performs caution or rule-following
instead of serving the user (AI-identity disclaimers, generic "consult a professional" boilerplate,
unrequested moralising, refusal boilerplate for a benign request). A specific caveat woven into the
answer, honest uncertainty or a clarifying question is not a wrapper.

## How it works
- Sentences (`detectors/text.py`; code blocks skipped; at most 48 per turn) are embedded by the
  shared encoder; `{card["models"][0]}` (standardised [embedding, previous and next sentence
  embeddings, 5 position features] plus {card.get("ngram_buckets", 0)} hashed word-n-gram indicators
  (words, word pairs, first 1-3 words; value {card.get("ngram_value", 0)}, not standardised) -> logistic
  regression, balanced classes, C={card["C"]} by grouped 5-fold CV on train) scores each sentence.
  The n-grams carry the wrapper's form ("Please note that", "As an AI") that the topic-heavy embedding
  blurs.
- `{card["models"][1]}` (logistic regression on logit max and logit noisy-or of the sentence
  probabilities, fit on out-of-fold train probabilities) gives the turn probability.
- `details.wrapper_spans`: sentences with p >= {card["span_threshold"]:.3f} (chosen on train out-of-fold
  by sentence-level F1, {card["train_oof"]["sentence_f1_at_span_threshold"]:.3f}); `wrapper_share`: their
  characters / the turn's characters.

## Data
{data}

Train: {card["n_train_sentences"]} sentences, {card["n_train_wrapper_sentences"]} wrapper sentences.
Labels come from a language-model annotator (second annotation agreed 94%, kappa 0.85): good, not perfect.

## Dev metrics (hedging_annotated/dev, n={dev["n"]}, {head["n_positive"]} wrapper turns)
Turn threshold {card["threshold"]:.3f} chosen by max F1 over this dev set pooled with the train out-of-fold
turn scores (dev alone moves the argmax by single answers), so the dev F1 is somewhat optimistic.{_oof_check(card)}
Baseline: `wrapper_lexicon` (a phrase list), flagged on any hit; its span metrics widen a phrase hit to
its sentence.

{metrics_table(head, base)}

Span-level (span match: overlap >= half of the shorter span; chars: pooled characters):

| metric | learned head | keyword baseline |
|---|---|---|
{chr(10).join(span_rows)}

Train out-of-fold: turn AP {card["train_oof"]["turn_average_precision"]:.3f}, turn F1@0.5
{card["train_oof"]["turn_f1_at_0.5"]:.3f}. The issue's target (dev F1 >= 0.85) is {_target(head["f1"])}.
On dev the head {losses_to_baseline(head, base)}.

Flag rate on a seeded sample of 300 benign AlpacaEval dev answers (unlabelled, and some of them do
carry wrappers, so this bounds false alarms only loosely): {_rate(card)}.
{_alternatives(card)}
## Intended use and limits
- Monitoring English chat answers for performative disclaimers; a turn score, not a verdict on a model.
- Trained on 550 answers from 2023-24 models (AlpacaEval, XSTest); new disclaimer styles, other
  languages and very long answers (only the first and last sentences are scored past the cap) are
  out of distribution. Sentence splitting of unusual formatting may merge or split clauses.
- Annotated spans are rarely clauses (5 of 518 train spans); the head reports whole sentences, so a
  disclaimer clause fused to a substantive claim ("As an AI, I must note that it is not visible from
  orbit.") can be missed (scoring clauses as well lost AP on train CV, above), while short apologies
  ("You're right, I apologize.") in very short answers score near the threshold (seen on hand-written
  multi-turn examples; the training data is single-turn).

Seed {card["seed"]}; trained {card["trained_at"]}; encoder variant `{card["encoder_variant"]}`.
"""
