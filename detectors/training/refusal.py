"""Train the `refusal` / `over_refusal` heads; pick both thresholds on xstest dev.

- Response head (`refusal.onnx`): [answer embedding, first-sentence embedding] -> standardised
  logistic regression, trained on xstest train `is_refusal_any` plus the AlpacaEval answers of
  hedging_annotated train (`refusal != none`), which adds benign everyday compliance. Unweighted
  classes (they are near balanced) so P(refusal) stays a probability: over_refusal multiplies it.
- Kind head (`refusal_kind.onnx`): same features, partial vs full, on refusals only (balanced weights).
- Prompt head (`over_refusal_prompt.onnx`): [last user message embedding, response features] ->
  P(benign prompt), fit on the refused xstest train answers only (grouped CV on train showed the
  pair separates over-refusals better than the prompt alone: OOF over-refusal AP 0.65 vs 0.49).
C for every head is chosen by grouped 5-fold CV on train (groups = `split_group`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from detectors.base import Embeddings
from detectors.config import DetectorConfig
from detectors.evaluation.hedging import last_assistant_turn
from detectors.evaluation.metrics import best_f1_threshold
from detectors.evaluation.refusal import card_markdown, evaluate_refusal, refusal_label
from detectors.heads import refusal as head
from detectors.heads.onnx_head import export_classifier
from detectors.training.data import file_sha256, read_rows
from detectors.training.embed_cache import embed_cached
from detectors.training.hedging import (
    HEADS_DIR,
    SEED,
    alpaca_dev_sample,
    grouped_folds,
    logistic,
    score_rows,
    update_thresholds,
    write_card,
)

C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)


def _group(row: dict[str, Any]) -> str:
    return str(row.get("split_group", row["conversation_id"]))


def _row_prompt(row: dict[str, Any]) -> str:
    return next((m["content"] for m in reversed(row["messages"]) if m["role"] == "user"), "")


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def pick_c(X: np.ndarray, y: np.ndarray, groups: list[str], balanced: bool) -> tuple[float, dict[float, float]]:
    """C with the lowest grouped-CV log loss."""
    folds = grouped_folds(groups)
    losses = {}
    for c in C_GRID:
        oof = np.zeros(len(y))
        for tr, te in folds:
            oof[te] = logistic(c, balanced).fit(X[tr], y[tr]).predict_proba(X[te])[:, 1]
        losses[c] = _log_loss(y, oof)
    return min(losses, key=lambda c: losses[c]), losses


def response_matrix(rows: list[dict[str, Any]], cfg: DetectorConfig) -> np.ndarray:
    pairs = [head.response_texts(r["messages"][last_assistant_turn(r)]["content"]) or ("", "") for r in rows]
    texts = list(dict.fromkeys(t for pair in pairs for t in pair))
    lookup = Embeddings(texts, embed_cached(texts, cfg))
    return head.response_features(lookup.get([a for a, _ in pairs]), lookup.get([f for _, f in pairs]))


def prompt_matrix(prompts: list[str], cfg: DetectorConfig) -> np.ndarray:
    texts = list(dict.fromkeys(prompts))
    return Embeddings(texts, embed_cached(texts, cfg)).get(prompts)


def _prompt_head(cfg: DetectorConfig, xs_train: list[dict[str, Any]], X_resp: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """P(benign prompt) from [prompt, response] features, fit on the refused xstest train answers only:
    over_refusal multiplies it by P(refusal), so only refusals need telling apart."""
    refused = [i for i, r in enumerate(xs_train) if refusal_label(r)]
    rows = [xs_train[i] for i in refused]
    y = np.array([r["labels"]["prompt_label"] == "safe" for r in rows], dtype=int)
    groups = [_group(r) for r in rows]
    X = head.prompt_features(prompt_matrix([_row_prompt(r) for r in rows], cfg), X_resp[refused])
    c, losses = pick_c(X, y, groups, balanced=True)
    model = logistic(c, balanced=True).fit(X, y)
    info = {"C": c, "cv_log_loss": losses, "n": int(len(y)), "n_benign": int(y.sum())}
    return model, info


def train(cfg: DetectorConfig, out_dir: Path = HEADS_DIR) -> dict[str, Any]:
    xs_train, xs_dev = read_rows("xstest", "train"), read_rows("xstest", "dev")
    hedge_alpaca = [r for r in read_rows("hedging_annotated", "train") if not r["conversation_id"].startswith("xstest")]
    rows = xs_train + hedge_alpaca
    y = np.array([refusal_label(r) for r in rows], dtype=int)
    groups = [_group(r) for r in rows]
    X = response_matrix(rows, cfg)
    c_ref, ref_losses = pick_c(X, y, groups, balanced=False)
    response_model = logistic(c_ref, balanced=False).fit(X, y)

    is_ref = y == 1
    partial = np.array(
        ["partial" in str(r["labels"].get("final_label", r["labels"].get("refusal"))) for r in rows], dtype=int
    )
    ref_groups = [g for g, m in zip(groups, is_ref, strict=True) if m]
    c_kind, kind_losses = pick_c(X[is_ref], partial[is_ref], ref_groups, balanced=True)
    kind_model = logistic(c_kind, balanced=True).fit(X[is_ref], partial[is_ref])

    prompt_model, prompt_info = _prompt_head(cfg, xs_train, X[: len(xs_train)])

    models = out_dir / "models"
    export_classifier(response_model, X.shape[1], models / f"{head.RESPONSE_MODEL}.onnx")
    export_classifier(kind_model, X.shape[1], models / f"{head.KIND_MODEL}.onnx")
    export_classifier(prompt_model, X.shape[1] + X.shape[1] // 2, models / f"{head.PROMPT_MODEL}.onnx")

    probe_ref = head.RefusalDetector(0.5, models)
    probe_over = head.OverRefusalDetector(0.5, models)
    recs = score_rows([probe_ref, probe_over], xs_dev, cfg)
    y_ref = np.array([refusal_label(r) for r in xs_dev], dtype=int)
    y_over = np.array([r["labels"]["is_over_refusal"] for r in xs_dev], dtype=int)
    score_of = {(r.detector, r.conversation_id): r.score for r in recs}
    s_ref = np.array([score_of[("refusal", r["conversation_id"])] for r in xs_dev])
    s_over = np.array([score_of[("over_refusal", r["conversation_id"])] for r in xs_dev])
    t_ref, _ = best_f1_threshold(y_ref, s_ref)
    t_over, _ = best_f1_threshold(y_over, s_over)
    final = [head.RefusalDetector(t_ref, models), head.OverRefusalDetector(t_over, models, refusal_threshold=t_ref)]
    dev_records = score_rows(final, xs_dev, cfg)
    report = evaluate_refusal(xs_dev, dev_records)

    alpaca_rate: dict[str, float] = {}
    alpaca_dev = alpaca_dev_sample()
    if alpaca_dev:
        recs_a = score_rows(final, alpaca_dev, cfg)
        for det in final:
            alpaca_rate[det.name] = float(np.mean([r.flagged for r in recs_a if r.detector == det.name]))

    update_thresholds(out_dir, {head.REFUSAL: t_ref, head.OVER_REFUSAL: t_over})
    metrics: dict[str, Any] = {
        "thresholds": {head.REFUSAL: t_ref, head.OVER_REFUSAL: t_over},
        "response_head": {"C": c_ref, "cv_log_loss": ref_losses, "n": int(len(y)), "n_refusal": int(y.sum())},
        "kind_head": {"C": c_kind, "cv_log_loss": kind_losses, "n_partial": int(partial[is_ref].sum())},
        "prompt_head": prompt_info,
        "dev": report,
        "alpaca_dev_flag_rate": alpaca_rate,
    }
    data = {f"xstest/{s}.jsonl": file_sha256("xstest", s) for s in ("train", "dev")}
    data["hedging_annotated/train.jsonl"] = file_sha256("hedging_annotated", "train")
    if alpaca_rate:
        data.update(
            {f"alpaca_eval_reference/{s}.jsonl": file_sha256("alpaca_eval_reference", s) for s in ("train", "dev")}
        )
    summary = (
        f"- Response head: {len(y)} answers ({int(y.sum())} refusals; xstest train + hedging_annotated "
        f"AlpacaEval train), C={c_ref} by grouped-CV log loss, unweighted logistic regression.\n"
        f"- Kind head: {int(is_ref.sum())} refusals ({int(partial[is_ref].sum())} partial), C={c_kind}, balanced.\n"
        f"- Prompt head: [prompt, answer, first sentence] embeddings of the {prompt_info['n']} refused xstest "
        f"train answers ({prompt_info['n_benign']} to safe prompts), C={prompt_info['C']}, balanced."
    )
    for name in (head.REFUSAL, head.OVER_REFUSAL):
        card = {
            "name": name,
            "version": head.VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": SEED,
            "encoder_variant": cfg.encoder_variant,
            "data": data,
            "models": [f"{head.RESPONSE_MODEL}.onnx", f"{head.KIND_MODEL}.onnx", f"{head.PROMPT_MODEL}.onnx"],
            "threshold": {head.REFUSAL: t_ref, head.OVER_REFUSAL: t_over}[name],
            "training_summary": summary,
            **{k: v for k, v in metrics.items() if k != "thresholds"},
        }
        write_card(out_dir, name, card, card_markdown(card, name))
    return metrics
