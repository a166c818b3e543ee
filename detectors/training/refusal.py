"""Train the `refusal` / `over_refusal` heads; pick both thresholds on xstest dev.

- Response head (`refusal.onnx`): [answer, first-sentence, second-sentence embeddings] (standardised)
  plus the hashed word n-grams of the answer's first 300 characters (as they are) -> logistic
  regression, trained on xstest train `is_refusal_any` plus the AlpacaEval answers of
  hedging_annotated train (`refusal != none`), which adds benign everyday compliance. Unweighted
  classes (they are near balanced) so P(refusal) stays a probability: over_refusal multiplies it.
  The second sentence was kept because grouped CV on train preferred it (OOF AUROC 0.975 -> 0.981).
  v1.3's n-grams (train grouped CV, XSTest rows): refusal OOF AUROC 0.979 -> 0.985, AP 0.983 ->
  0.989, log loss 0.163 -> 0.125; over-refusal OOF AP (x the request view) 0.781 -> 0.822. Measured
  and not taken: n-grams of the first two sentences (AP 0.820), of the first 600 characters or the
  whole answer (0.811 / 0.808), indicator value 10 instead of 5 (0.817).
- Kind head (`refusal_kind.onnx`): same features, partial vs full, on refusals only (balanced weights).
- Pair head (`over_refusal_prompt.onnx`): [last user message embedding, response features] ->
  P(benign prompt), fit on the refused xstest train answers plus 300 templated requests answered
  with a short generic refusal (`templates_refusal.refusal_pairs`). Without them the head learned
  that a generic refusal follows harmful requests (a trait of XSTest's answer styles, not of the
  requests): a hand-written short refusal of "kill a Python process" got P(benign) 0.05, with them 0.86.
  Measured cost and gain (train grouped CV; xstest dev), pairs 0 / 150 / 300 / 700: pair-head OOF
  AUROC 0.927 / 0.932 / 0.935 / 0.931; OOF over-refusal AP of the combined score 0.687 / 0.663 /
  0.663 / 0.649; dev over-refusal AUROC 0.921 / 0.913 / 0.907 / 0.894. So the pairs cost some
  in-distribution ranking and buy robustness to refusal styles unlike XSTest's; 300 is the best
  pair head on train CV among the augmented settings.
- Request head (`over_refusal_request.onnx`): the prompt embedding alone -> RBF-kernel SVM with
  sigmoid-calibrated P(benign), fit on every xstest train prompt once (deduplicated) and the templated
  contrasts of `templates_refusal`. Grouped CV on train (OOF AUROC on XSTest prompts): logistic
  regression 0.90, RBF SVM without templates 0.86, with the v1.1 templates (7 families, 1386
  prompts) 0.925, with the v1.2 ones (12 families, 2472 prompts: drug-name homonyms, self-harm vs
  the same verbs on things, sport and fiction contexts, justifying or repeating atrocities, more
  private data kinds, institutions' contact details, fraud / intrusion / chemistry harms XSTest
  lacks) 0.972 (0.968 when every template within cosine 0.75 of a held-out prompt is dropped from
  that fold, so it is not paraphrase memory). The contrast is local in embedding space ("kill a
  process" vs "kill a person"). Also measured and not taken: gamma 0.5 / 2 and C 3 / 10 at fixed
  templates (no gain), XSTest prompts weighted x2 / x4 (0.966 / 0.965 vs 0.968), 200 templates per
  side (0.970 vs 0.968, ~170 more support vectors), a second "target" view that embeds the prompt
  with its harm verb masked ("How do I something a Python process?"; 0.963 alone, 0.971 summed
  with the full view vs 0.970: the encoder already weighs the object). AlpacaEval train
  instructions as extra benign prompts were measured and left out: OOF AUROC 0.924 -> 0.920, and an
  SVM stores its training embeddings as support vectors, which must not include CC BY-NC text.
- Error analysis (v1.1, train OOF at the best-F1 threshold): of 123 false over-refusal flags, 59 were
  compliant answers the refusal head scored 0.3-0.9 (moralising answers to scary-sounding questions)
  and 64 refusals of harmful requests called benign; of 43 misses, 25 had P(benign) < 0.5. With an
  oracle P(benign) the OOF F1 would be 0.855, with an oracle P(refusal) 0.759: the benign view was
  the larger bucket, so the templates were extended. Tried on the same OOF scores and not taken: a
  learned combiner over [logit P(refusal), both benign logits] (AP 0.56-0.64, below the product: an
  AND of two probabilities is not linear in their logits), P(refusal)^k x P(benign) for k 0.5-3,
  min(); a response head trained on XSTest safe prompts only (AP +0.01, within noise); the pair view
  with 0 / 600 templated refusals (AP 0.782 / 0.772 vs 0.773 at 300, F1 0.730 / 0.736 vs 0.724).
  v1.2 (these templates): train OOF over-refusal AP 0.680 -> 0.774, best F1 0.650 -> 0.704 (both
  with the combiner's own out-of-fold scores); xstest dev F1 0.634 -> 0.651, AP 0.635 -> 0.702,
  AUROC 0.907 -> 0.888. The `other_harms` family alone: train OOF AP 0.756 -> 0.774, dev F1
  0.675 -> 0.651, AP 0.688 -> 0.702, AUROC 0.903 -> 0.888, AlpacaEval instructions called benign
  0.957 -> 0.937; kept on the train measure (dev has 39 positives, F1 95% CI about +-0.11).
- Combiner (`over_refusal_benign.onnx`): logistic regression on the two views' logits, fit on their
  out-of-fold scores for the refused xstest train answers.
- Thresholds: max F1 over xstest dev pooled with the train out-of-fold scores (`_thresholds`).
C for every head is chosen by grouped 5-fold CV on train (groups = `split_group`); templated prompts
are always on the training side of a fold, so CV scores are on XSTest prompts only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from detectors.base import Embeddings
from detectors.config import DetectorConfig
from detectors.evaluation.hedging import last_assistant_turn
from detectors.evaluation.metrics import auroc, average_precision, best_f1_threshold
from detectors.evaluation.refusal import card_markdown, evaluate_refusal, refusal_label, training_summary
from detectors.heads import refusal as head
from detectors.heads.onnx_head import export_classifier
from detectors.training.data import DataNotFoundError, file_sha256, read_rows
from detectors.training.embed_cache import embed_cached
from detectors.training.fitting import dense_and_indicators_model, logistic
from detectors.training.hedging import (
    HEADS_DIR,
    SEED,
    alpaca_dev_sample,
    grouped_folds,
    score_rows,
    update_thresholds,
    write_card,
)
from detectors.training.indicator_export import export_indicator_head
from detectors.training.svm_export import export_rbf_svc, rbf_svc
from detectors.training.templates_refusal import refusal_pairs, template_prompts

C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3)
SVC_GRID = (1.0, 3.0, 10.0)
N_REFUSAL_PAIRS = 300
EMBED_DIMS = 384
NEAR_DUPLICATE = 0.85  # cosine above which a template counts as a paraphrase of a held-out prompt
# Other writers, measured 2026-11-23 on the project's hand-written demo conversations (sidecar demo
# data, never trained or tuned on; detectors must not import sidecar, so this is recorded, not rerun).
OTHER_WRITERS_CHECK: dict[str, str] = {
    "over_refusal": (
        "Hand-written demo conversations (`sidecar` demo data; 100 over-refusals vs 151 refusals of "
        "harmful requests and 1,607 answers), at the packaged threshold: v1.2 AUROC 0.980, AP 0.823, "
        "F1 0.752; v1.1 AUROC 0.987, AP 0.844, F1 0.773 (rerun with the same script); v1.0 AUROC 0.830, "
        "AP 0.409, F1 0.400. Most v1.2 misses there are refusals of fraud, intrusion and cheating "
        "requests, harms XSTest lacks, which the prompt-alone view called benign; the `other_harms` "
        "template family was written after seeing that (AP 0.785 -> 0.823), so this check is no "
        "longer independent of the templates. The demo's refusals of benign requests are all short "
        "and generic, the case the templated refusal pairs target. v1.3 against v1.2, every assistant "
        "turn of the demo set (3,439 turns, 100 over-refusals; both at their packaged thresholds): AUROC "
        "0.981 / 0.984, AP 0.761 / 0.797, F1 0.701 / 0.715."
    ),
    "refusal": (
        "Hand-written demo conversations (`sidecar` demo data; 251 refusals vs 1,607 answers): AUROC 0.998, "
        "F1 0.955 at the packaged threshold; v1.0: AUROC 0.996, F1 0.911. v1.3 against v1.2, every "
        "assistant turn (3,439 turns, 251 refusals; packaged thresholds 0.51 / 0.36): AUROC 0.998 / 0.996, "
        "AP 0.979 / 0.960, F1 0.883 / 0.904 (precision 0.990 / 0.874, recall 0.797 / 0.936). The misses "
        "are one phrasing neither XSTest nor the templates use, \"That's something I have to decline.\" "
        "(P 0.11; v1.2 0.08), which the higher pooled threshold no longer catches by its tail."
    ),
}
# What v1.2 changed and what was tried, measured on train grouped CV (recorded here, the card shows it).
CHANGES = {
    "over_refusal": (
        "Error analysis of v1.1 on train out-of-fold scores (best-F1 threshold): 123 false flags = 59 "
        "compliant answers scored as refusals + 64 refusals of harmful requests called benign; 43 misses, "
        "25 with P(benign) < 0.5. Oracle P(benign) would give OOF F1 0.855, oracle P(refusal) 0.759, so "
        "the benign side was fixed first: 5 new template families (drug-name homonyms, self-harm, sport "
        "and fiction contexts, justifying/repeating atrocities, other harms) and more slots in the old "
        "ones raised the request view's OOF AUROC on XSTest prompts 0.925 -> 0.972 (0.968 with every "
        "template within cosine 0.75 of a held-out prompt dropped) and the over-refusal OOF AP 0.680 -> "
        "0.774, best F1 0.650 -> 0.704. Tried and not taken (train OOF): a learned combiner over "
        "[logit P(refusal), benign logits] (AP 0.56-0.64: the product is better), P(refusal)^k x P(benign), "
        "a refusal head fit on safe prompts only (+0.01 AP), 0 / 600 templated refusal pairs, SVM "
        "gamma / C / sample weights, a verb-masked 'target' view of the prompt (request AUROC 0.970 -> "
        "0.971). The request SVM is exported as a float16 ONNX graph (0.96 MB; skl2onnx's was 2.2 MB). "
        "v1.3: the response head reads the answer opening's hashed n-grams (train OOF over-refusal AP "
        "0.774 -> 0.819, best F1 0.704 -> 0.736; dev AP 0.702 -> 0.776, AUROC 0.888 -> 0.913); the "
        "threshold is chosen on dev pooled with train OOF scores: dev's F1 curve is flat from 0.3 to 0.7 "
        "(0.64-0.71) and its own argmax (0.68) gave 0.55 F1 on the demo conversations against 0.71 at "
        "the pooled 0.26."
    ),
    "refusal": (
        "v1.3: the response and kind heads also read the hashed word n-grams of the answer's first 300 "
        "characters (learned weights, no phrase list): train OOF AUROC 0.979 -> 0.985, log loss 0.163 -> "
        "0.125, kind log loss 0.326 -> 0.291; dev AUROC 0.985 -> 0.991, and the head now beats the phrase "
        "baseline on precision and false-positive rate too. Thresholds are chosen on dev pooled with the "
        "train out-of-fold scores (dev alone: 0.27 for refusal, 0.68 for over-refusal, where train OOF "
        "says 0.25)."
    ),
}
MODEL_NAMES = (head.RESPONSE_MODEL, head.KIND_MODEL, head.PROMPT_MODEL, head.REQUEST_MODEL, head.BENIGN_MODEL)


def _group(row: dict[str, Any]) -> str:
    return str(row.get("split_group", row["conversation_id"]))


def _row_prompt(row: dict[str, Any]) -> str:
    return next((m["content"] for m in reversed(row["messages"]) if m["role"] == "user"), "")


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def unlike(held_out: np.ndarray, extra: np.ndarray, dims: int = EMBED_DIMS) -> np.ndarray:
    """Mask of `extra` rows whose prompt embedding (first `dims` columns) is not a near-paraphrase
    (cosine > `NEAR_DUPLICATE`) of any held-out row's: a template that restates a held-out XSTest
    prompt would make its CV score a memory test."""
    if not len(extra):
        return np.zeros(0, dtype=bool)
    return np.asarray((held_out[:, :dims] @ extra[:, :dims].T).max(axis=0) <= NEAR_DUPLICATE)


def pick_c(
    X: np.ndarray,
    y: np.ndarray,
    groups: list[str],
    balanced: bool,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
    make: Any = None,
    grid: tuple[float, ...] = C_GRID,
) -> tuple[float, dict[float, float], np.ndarray]:
    """C with the lowest grouped-CV log loss, its scores, and that C's out-of-fold probabilities.

    `extra` (features whose first columns are a prompt embedding, labels) joins every training fold,
    less its near-paraphrases of the fold's held-out prompts, and is never scored; `make(c)` builds
    the model (default: `logistic(c, balanced)`)."""
    make = make or (lambda c: logistic(c, balanced))
    folds = grouped_folds(groups)
    losses, oofs = {}, {}
    for c in grid:
        oof = np.zeros(len(y))
        for tr, te in folds:
            Xf, yf = X[tr], y[tr]
            if extra:
                keep = unlike(X[te], extra[0])
                Xf, yf = np.vstack([Xf, extra[0][keep]]), np.concatenate([yf, extra[1][keep]])
            oof[te] = make(c).fit(Xf, yf).predict_proba(X[te])[:, 1]
        losses[c], oofs[c] = _log_loss(y, oof), oof
    best = min(losses, key=lambda c: losses[c])
    return best, losses, oofs[best]


def response_matrix(rows: list[dict[str, Any]], cfg: DetectorConfig) -> np.ndarray:
    triples = [head.response_texts(r["messages"][last_assistant_turn(r)]["content"]) or ("", "", "") for r in rows]
    texts = list(dict.fromkeys(t for triple in triples for t in triple))
    lookup = Embeddings(texts, embed_cached(texts, cfg))
    return head.response_features(*(lookup.get([t[i] for t in triples]) for i in range(3)))


def prompt_matrix(prompts: list[str], cfg: DetectorConfig) -> np.ndarray:
    texts = list(dict.fromkeys(prompts))
    return Embeddings(texts, embed_cached(texts, cfg)).get(prompts)


def _everyday_benign_share(model: Any, cfg: DetectorConfig) -> float | None:
    """Share of the seeded AlpacaEval dev instructions (benign by construction, other writers than
    XSTest) the request head calls benign; None when the data is absent. A check, never a fit."""
    rows = alpaca_dev_sample()
    if not rows:
        return None
    return float(np.mean(model.predict_proba(prompt_matrix([_row_prompt(r) for r in rows], cfg))[:, 1] >= 0.5))


def _request_head(cfg: DetectorConfig, xs_train: list[dict[str, Any]]) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """P(benign) from the prompt alone; returns the model, out-of-fold P(benign) per xstest train row, info."""
    first: dict[str, dict[str, Any]] = {}
    for r in xs_train:
        first.setdefault(_row_prompt(r), r)
    prompts = list(first)
    y = np.array([first[p]["labels"]["prompt_label"] == "safe" for p in prompts], dtype=int)
    groups = [_group(first[p]) for p in prompts]
    templated = template_prompts()
    extra_y = np.array([t.benign for t in templated], dtype=int)
    X = prompt_matrix(prompts, cfg)
    extra = (prompt_matrix([t.text for t in templated], cfg), extra_y)
    c, losses, oof = pick_c(X, y, groups, balanced=True, extra=extra, make=rbf_svc, grid=SVC_GRID)
    model = rbf_svc(c).fit(np.vstack([X, extra[0]]), np.concatenate([y, extra_y]))
    oof_of = dict(zip(prompts, oof, strict=True))
    info = {
        "C": c,
        "cv_log_loss": losses,
        "n_xstest_prompts": len(prompts),
        "n_template_prompts": len(templated),
        "n_template_benign": int(sum(t.benign for t in templated)),
        "oof_auroc_xstest_prompts": auroc(y, oof),
        "alpaca_dev_prompts_benign_share": _everyday_benign_share(model, cfg),
    }
    return model, np.array([oof_of[_row_prompt(r)] for r in xs_train]), info


def _pair_head(
    cfg: DetectorConfig, xs_train: list[dict[str, Any]], X_resp: np.ndarray
) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
    """P(benign prompt) from [prompt, response] features, fit on the refused xstest train answers only:
    over_refusal multiplies it by P(refusal), so only refusals need telling apart. Returns the model,
    the refused rows' indices, their out-of-fold P(benign) and info."""
    refused = np.array([i for i, r in enumerate(xs_train) if refusal_label(r)])
    rows = [xs_train[i] for i in refused]
    y = np.array([r["labels"]["prompt_label"] == "safe" for r in rows], dtype=int)
    X = head.prompt_features(prompt_matrix([_row_prompt(r) for r in rows], cfg), X_resp[refused])
    pairs = refusal_pairs(N_REFUSAL_PAIRS)
    X_aug = head.prompt_features(
        prompt_matrix([p.text for p, _ in pairs], cfg),
        response_matrix([{"messages": [{"role": "assistant", "content": a}]} for _, a in pairs], cfg),
    )
    y_aug = np.array([p.benign for p, _ in pairs], dtype=int)
    c, losses, oof = pick_c(X, y, [_group(r) for r in rows], balanced=True, extra=(X_aug, y_aug))
    model = logistic(c, balanced=True).fit(np.vstack([X, X_aug]), np.concatenate([y, y_aug]))
    info = {
        "C": c,
        "cv_log_loss": losses,
        "n": int(len(y)),
        "n_benign": int(y.sum()),
        "n_templated_pairs": len(pairs),
        "oof_auroc": auroc(y, oof),
    }
    return model, refused, oof, info


def _benign_combiner(
    xs_train: list[dict[str, Any]], refused: np.ndarray, oof_pair: np.ndarray, oof_request: np.ndarray
) -> tuple[Any, np.ndarray, dict[str, Any]]:
    """Logistic regression on the two views' out-of-fold logits over the refused train answers;
    returns the model, its own grouped out-of-fold P(benign) for those answers, and info."""
    y = np.array([xs_train[i]["labels"]["prompt_label"] == "safe" for i in refused], dtype=int)
    F = head.benign_features(oof_pair, oof_request[refused])
    model = logistic(1.0, balanced=False).fit(F, y)
    coef = model[-1].coef_[0] / model[0].scale_
    nested = np.zeros(len(y))  # the combiner's own out-of-fold scores: the OOF metrics stay honest
    for tr, te in grouped_folds([_group(xs_train[i]) for i in refused]):
        nested[te] = logistic(1.0, balanced=False).fit(F[tr], y[tr]).predict_proba(F[te])[:, 1]
    info = {
        "logit_weights": {"pair": float(coef[0]), "request": float(coef[1])},
        "oof_auroc_refused": {
            "pair": auroc(y, oof_pair),
            "request": auroc(y, oof_request[refused]),
            "combined": auroc(y, nested),
        },
    }
    return model, nested, info


def _oof_over_refusal(
    xs_train: list[dict[str, Any]], oof_ref: np.ndarray, views: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Train out-of-fold over-refusal AP and best F1 of P(refusal) x each benign view (unrefused rows:
    the request view alone, as the pair view is only trained on refusals)."""
    y = np.array([r["labels"]["is_over_refusal"] for r in xs_train], dtype=int)
    out = {}
    for name, benign in views.items():
        score = oof_ref * benign
        threshold, f1 = best_f1_threshold(y, score)
        out[name] = {"ap": average_precision(y, score), "best_f1": f1, "best_threshold": threshold}
    return out


def _thresholds(
    models: Path, xs_dev: list[dict[str, Any]], cfg: DetectorConfig, oof: dict[str, tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float]:
    """Both thresholds by max F1 over xstest dev (scored through the exported heads) pooled with the
    train out-of-fold scores `oof` (detector -> labels, scores). Dev alone has 39 over-refusals and
    its F1 curve is flat from 0.3 to 0.7, so its argmax moved with single items (0.39 in v1.2, 0.68
    for v1.3 where train OOF says 0.25); pooling keeps the choice on train/dev but off one item."""
    recs = score_rows([head.RefusalDetector(0.5, models), head.OverRefusalDetector(0.5, models)], xs_dev, cfg)
    score_of = {(r.detector, r.conversation_id): r.score for r in recs}
    dev_labels = {
        head.REFUSAL: np.array([refusal_label(r) for r in xs_dev], dtype=int),
        head.OVER_REFUSAL: np.array([r["labels"]["is_over_refusal"] for r in xs_dev], dtype=int),
    }
    chosen = []
    for name in (head.REFUSAL, head.OVER_REFUSAL):
        s_dev = np.array([score_of[(name, r["conversation_id"])] for r in xs_dev])
        y_oof, s_oof = oof[name]
        chosen.append(best_f1_threshold(np.concatenate([y_oof, dev_labels[name]]), np.concatenate([s_oof, s_dev]))[0])
    return chosen[0], chosen[1]


def train(cfg: DetectorConfig, out_dir: Path = HEADS_DIR) -> dict[str, Any]:
    xs_train, xs_dev = read_rows("xstest", "train"), read_rows("xstest", "dev")
    hedge_alpaca = [r for r in read_rows("hedging_annotated", "train") if not r["conversation_id"].startswith("xstest")]
    rows = xs_train + hedge_alpaca
    n_xs = len(xs_train)
    y = np.array([refusal_label(r) for r in rows], dtype=int)
    groups = [_group(r) for r in rows]
    X = response_matrix(rows, cfg)
    head_features = head.response_head_features(X, [r["messages"][last_assistant_turn(r)]["content"] for r in rows])
    X_head = head_features.matrix()
    n_dense = X.shape[1]
    c_ref, ref_losses, oof_ref = pick_c(
        X_head, y, groups, balanced=False, make=lambda c: dense_and_indicators_model(c, n_dense, balanced=False)
    )
    response_model = dense_and_indicators_model(c_ref, n_dense, balanced=False).fit(X_head, y)

    is_ref = y == 1
    partial = np.array(
        ["partial" in str(r["labels"].get("final_label", r["labels"].get("refusal"))) for r in rows], dtype=int
    )
    ref_groups = [g for g, m in zip(groups, is_ref, strict=True) if m]
    c_kind, kind_losses, _ = pick_c(
        X_head[is_ref], partial[is_ref], ref_groups, balanced=True,
        make=lambda c: dense_and_indicators_model(c, n_dense),
    )
    kind_model = dense_and_indicators_model(c_kind, n_dense).fit(X_head[is_ref], partial[is_ref])

    pair_model, refused, oof_pair, pair_info = _pair_head(cfg, xs_train, X[:n_xs])
    request_model, oof_request, request_info = _request_head(cfg, xs_train)
    combiner, oof_combined, combiner_info = _benign_combiner(xs_train, refused, oof_pair, oof_request)
    pair_all = oof_request.copy()
    pair_all[refused] = oof_pair
    combined = oof_request.copy()
    combined[refused] = oof_combined
    combiner_info["train_oof_over_refusal"] = _oof_over_refusal(
        xs_train, oof_ref[:n_xs], {"pair": pair_all, "request": oof_request, "combined": combined}
    )

    models = out_dir / "models"
    n_resp = X.shape[1]
    export_indicator_head(response_model, head_features, models / f"{head.RESPONSE_MODEL}.onnx")
    export_indicator_head(kind_model, head_features, models / f"{head.KIND_MODEL}.onnx")
    export_classifier(pair_model, n_resp + n_resp // 3, models / f"{head.PROMPT_MODEL}.onnx")
    export_rbf_svc(request_model, models / f"{head.REQUEST_MODEL}.onnx")
    export_classifier(combiner, 2, models / f"{head.BENIGN_MODEL}.onnx")

    y_over = np.array([r["labels"]["is_over_refusal"] for r in xs_train], dtype=int)
    oof = {head.REFUSAL: (y, oof_ref), head.OVER_REFUSAL: (y_over, oof_ref[:n_xs] * combined)}
    t_ref, t_over = _thresholds(models, xs_dev, cfg, oof)
    final = [head.RefusalDetector(t_ref, models), head.OverRefusalDetector(t_over, models, refusal_threshold=t_ref)]
    report = evaluate_refusal(xs_dev, score_rows(final, xs_dev, cfg))

    alpaca_rate: dict[str, float] = {}
    alpaca_dev = alpaca_dev_sample()
    if alpaca_dev:
        recs_a = score_rows(final, alpaca_dev, cfg)
        for det in final:
            alpaca_rate[det.name] = float(np.mean([r.flagged for r in recs_a if r.detector == det.name]))

    update_thresholds(out_dir, {head.REFUSAL: t_ref, head.OVER_REFUSAL: t_over})
    metrics: dict[str, Any] = {
        "thresholds": {head.REFUSAL: t_ref, head.OVER_REFUSAL: t_over},
        "response_head": {
            "C": c_ref,
            "cv_log_loss": ref_losses,
            "n": int(len(y)),
            "n_refusal": int(y.sum()),
            "oof_auroc_xstest": auroc(y[:n_xs], oof_ref[:n_xs]),
        },
        "kind_head": {"C": c_kind, "cv_log_loss": kind_losses, "n_partial": int(partial[is_ref].sum())},
        "prompt_head": pair_info,
        "request_head": request_info,
        "benign_combiner": combiner_info,
        "dev": report,
        "alpaca_dev_flag_rate": alpaca_rate,
    }
    _write_cards(out_dir, cfg, metrics)
    return metrics


def _write_cards(out_dir: Path, cfg: DetectorConfig, metrics: dict[str, Any]) -> None:
    data = {f"xstest/{s}.jsonl": file_sha256("xstest", s) for s in ("train", "dev")}
    data["hedging_annotated/train.jsonl"] = file_sha256("hedging_annotated", "train")
    try:  # AlpacaEval dev: the false-alarm and benign-share checks only, never fit on
        data["alpaca_eval_reference/dev.jsonl"] = file_sha256("alpaca_eval_reference", "dev")
    except DataNotFoundError:
        pass
    summary = training_summary(metrics)
    thresholds = metrics["thresholds"]
    for name in (head.REFUSAL, head.OVER_REFUSAL):
        card = {
            "name": name,
            "version": head.VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": SEED,
            "encoder_variant": cfg.encoder_variant,
            "data": data,
            "models": [f"{m}.onnx" for m in MODEL_NAMES],
            "threshold": thresholds[name],
            "other_writers_check": OTHER_WRITERS_CHECK[name],
            "changes": CHANGES[name],
            "training_summary": summary,
            **{k: v for k, v in metrics.items() if k != "thresholds"},
        }
        write_card(out_dir, name, card, card_markdown(card, name))
