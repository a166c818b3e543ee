"""Train the two heads behind `miscalibration`: correctness (p_correct) and expressed confidence.

- correctness: truthfulqa_judge train, features [q, a, q*a, |q-a|] on the shared embeddings plus the
  hashed word n-grams of the answer's opening, scaler (embeddings only) + class-weighted logistic
  regression; C chosen by 5-fold CV grouped by question (`split_group`).
- confidence: templated answers at five confidence levels (`templates_confidence`), fitted as a
  probability with sample weights (each text is a positive with weight c and a negative with 1 - c);
  C chosen by CV grouped by frame family, so the score is on frames the head never saw.
Dev numbers and the keyword baseline go to the card via `detectors.evaluation.miscalibration`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.config import DetectorConfig
from detectors.heads.miscalibration import (
    CLAIM_CHARS,
    CONFIDENCE_MODEL,
    CORRECTNESS_MODEL,
    NGRAM_BUCKETS,
    NGRAM_VALUE,
    correctness_features,
)
from detectors.heads.onnx_head import MODELS_DIR, OnnxHead, export_classifier
from detectors.training.data import file_sha256, read_rows
from detectors.training.fitting import SEED, dense_and_indicators_model, logistic, select_c
from detectors.training.indicator_export import export_indicator_head
from detectors.training.templates_confidence import generate

Embed = Callable[[Sequence[str]], np.ndarray]
DATASET = "truthfulqa_judge"


def qa_pairs(rows: list[dict[str, Any]]) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """Question, answer, truthful label and question group of each single-turn row."""
    qs, ans, ys, groups = [], [], [], []
    for row in rows:
        user = next(m["content"] for m in row["messages"] if m["role"] == "user")
        answer = next(m["content"] for m in reversed(row["messages"]) if m["role"] == "assistant")
        qs.append(user)
        ans.append(answer)
        ys.append(1.0 if row["labels"]["truthful"] else 0.0)
        groups.append(row["split_group"])
    return qs, ans, np.asarray(ys), groups


def fit_correctness(embed: Embed, train_rows: list[dict[str, Any]], out_dir: Path) -> dict[str, Any]:
    qs, ans, y, groups = qa_pairs(train_rows)
    q_emb, a_emb = embed(qs), embed(ans)
    features = correctness_features(q_emb, a_emb, ans)
    x = features.matrix()
    n_dense = 4 * q_emb.shape[1]
    c, cv = select_c(x, y, groups, cs=(0.0001, 0.0003, 0.001), make=lambda c: dense_and_indicators_model(c, n_dense))
    model = dense_and_indicators_model(c, n_dense).fit(x, y)
    export_indicator_head(model, features, out_dir / f"{CORRECTNESS_MODEL}.onnx")
    return {
        "C": c,
        "cv_auroc_by_C": cv,
        "n_train": len(y),
        "features": (
            f"[q, a, q*a, |q-a|] (4 x {q_emb.shape[1]}, standardised) + hashed word n-grams of the answer's first "
            f"{CLAIM_CHARS} characters ({NGRAM_BUCKETS} buckets, value {NGRAM_VALUE})"
        ),
        "measured": (
            "v1.1 (grouped 5-fold CV AUROC on train, C 0.0003, measured before the scaler guard): embeddings "
            "alone 0.732; + answer n-grams at "
            "value 2 / 5 / 10 / 20: 0.740 / 0.757 / 0.768 / 0.762; n-grams alone 0.728. On dev answers "
            "wrapped in the evaluation frames both heads lose about 0.04-0.05 AUROC (0.752 -> 0.718, "
            "0.801 -> 0.746): the n-grams are no more sensitive to framing than the embeddings."
        ),
    }


def fit_confidence(embed: Embed, train_rows: list[dict[str, Any]], out_dir: Path) -> dict[str, Any]:
    _, answers, _, _ = qa_pairs(train_rows)
    statements = sorted({a for a in answers if 4 <= len(a.split()) <= 40})
    rng = np.random.default_rng(SEED)
    statements = [statements[i] for i in rng.permutation(len(statements))[:3000]]
    texts, levels, families = generate(statements, per_statement=2, seed=SEED)
    e = embed(texts)
    lv = np.asarray(levels)
    c, cv = _select_soft_c(e, lv, np.asarray(families), cs=(0.01, 0.03, 0.1, 0.3))
    # Soft targets by duplication: each text is a positive with weight c and a negative with weight 1 - c.
    model = _soft_fit(e, lv, c)
    export_classifier(model, e.shape[1], out_dir / f"{CONFIDENCE_MODEL}.onnx")
    return {
        "C": c,
        "cv_spearman_by_C (held-out frame families)": cv,
        "n_texts": len(texts),
        "levels": sorted(set(levels)),
    }


def _soft_fit(e: np.ndarray, levels: np.ndarray, c: float) -> Any:
    model = logistic(c, balanced=False)
    x, y = np.vstack([e, e]), np.r_[np.ones(len(e)), np.zeros(len(e))]
    return model.fit(x, y, logisticregression__sample_weight=np.r_[levels, 1.0 - levels])


def _select_soft_c(e: np.ndarray, levels: np.ndarray, families: np.ndarray, cs: Sequence[float]) -> tuple:
    """C by Spearman correlation with the level on held-out frame families (the duplicated rows of the
    soft-target trick would make a held-out AUROC meaningless)."""
    from scipy.stats import spearmanr

    scores: dict[str, float] = {}
    for c in cs:
        fold = []
        for fam in np.unique(families):
            held = families == fam
            model = _soft_fit(e[~held], levels[~held], c)
            fold.append(float(spearmanr(levels[held], model.predict_proba(e[held])[:, 1]).statistic))
        scores[str(c)] = float(np.mean(fold))
    return float(max(cs, key=lambda c: scores[str(c)])), scores


def encoder_embed(cfg: DetectorConfig) -> Embed:
    from detectors.training.embed_cache import embed_cached

    return lambda texts: embed_cached(list(texts), cfg)


def train(cfg: DetectorConfig, out_dir: Path = MODELS_DIR, embed: Embed | None = None) -> dict[str, Any]:
    """Fit and export both heads, evaluate on dev, write the card and the threshold; returns metrics."""
    from detectors.evaluation.miscalibration import evaluate_dev, write_miscalibration_card

    embed = embed or encoder_embed(cfg)
    train_rows = read_rows(DATASET, "train")
    fitted = {
        "correctness": fit_correctness(embed, train_rows, out_dir),
        "confidence": fit_confidence(embed, train_rows, out_dir),
    }
    dev = evaluate_dev(
        embed,
        read_rows(DATASET, "dev"),
        OnnxHead(out_dir / f"{CORRECTNESS_MODEL}.onnx"),
        OnnxHead(out_dir / f"{CONFIDENCE_MODEL}.onnx"),
    )
    data = {f"{DATASET}/{s}.jsonl": file_sha256(DATASET, s) for s in ("train", "dev")}
    write_miscalibration_card(out_dir, fitted, dev, data, seed=SEED)
    return {"fitted": fitted, "dev": dev}
