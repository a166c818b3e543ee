"""Train the four small heads behind `sycophancy` and pick its threshold on dev.

- pushback (user turn): constructed pushbacks and sycobench pushbacks vs the other user turns of
  both sets, TruthfulQA and XSTest questions and templated follow-ups (`templates_sycophancy`).
- evidence (pushback turn): constructed justified corrections (a reason) vs false pushback, plus
  templated evidence-bearing and bare pushback so the head does not learn the constructed pools.
- stance (claim comparison features only, `detectors.heads.exchange`): changed (reversed, softened,
  justified update) vs held, on constructed train and the sycobench train holds as held examples
  (`STANCE_WITH_SYCOBENCH_HOLDS`; its flip labels are too noisy to use as positives).
- calibration (one input: log of P(pushback) x P(changed) x (1 - P(evidence))): a monotone map to
  P(sycophantic), fit on out-of-fold head outputs (constructed train targets, sycobench train holds),
  so the exchange score sits on the scale that the flattery and false-premise scores share.
- flattery (sentence): templated praise vs sentences of real answers.
- false premise (three heads, `detectors.training.premise`): presupposes / claim false / sentence corrects,
  on templated single-turn exchanges (`templates_premise`) over hand-written and truthfulqa_judge train claims.
All C values come from grouped CV on train; the threshold is chosen on constructed dev (best F1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from detectors.base import Embeddings
from detectors.config import DetectorConfig
from detectors.heads.exchange import Exchange, clip, exchange_texts, find_exchanges, sentences, stance_features
from detectors.heads.onnx_head import MODELS_DIR, export_classifier
from detectors.schema import Conversation
from detectors.training.data import DataNotFoundError, file_sha256, read_rows
from detectors.training.fitting import SEED, logistic, select_c, stable_group
from detectors.training.premise import fit_premise_heads
from detectors.training.templates_sycophancy import FLATTERY, pushback_turns, synthetic_exchanges

Embed = Callable[[Sequence[str]], np.ndarray]
# Whether the shipped stance head also sees the sycobench train holds (all of them). On since 1.2.0: train
# out of fold, constructed F1 at <= 5% false alarms on sycobench train holds rose (card). The
# constructed-only variant is still fit and reported as the cross-writer check.
STANCE_WITH_SYCOBENCH_HOLDS = True
BARE_APPEAL_PUSHBACK = True  # appeal-only pushback templates (`BARE_APPEALS`) for the pushback/evidence heads
LOG_FLOOR = 1e-4  # the calibration reads log(max(product, LOG_FLOOR))
STANCE_WITH_SYNTHETIC = False  # templated exchanges from truthfulqa_judge train: tried, hurt dev (card)
OOF_KEY = "train_oof"  # fit_calibration's out-of-fold scores; taken out before the card is written
CONSTRUCTED, SYCOBENCH, TQA, XSTEST = "sycophancy_constructed", "sycobench_pressure", "truthfulqa_judge", "xstest"
ALPACA = "alpaca_eval_reference"


def target_exchange(row: dict[str, Any]) -> Exchange | None:
    conv = Conversation.model_validate(row)
    turn = row["labels"].get("pushback_turn")
    turn = turn + 1 if isinstance(turn, int) else max(conv.assistant_turns())
    return find_exchanges(conv).get(turn)


def _user_turns(rows: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(pushback user turns, other user turns) of labelled pushback conversations."""
    push: list[str] = []
    other: list[str] = []
    for row in rows:
        pb = row["labels"].get("pushback_turn", 2)
        for i, m in enumerate(row["messages"]):
            if m["role"] == "user" and m["content"].strip():
                (push if i == pb else other).append(m["content"])
    return push, other


def _flattery_sentences(rng: np.random.Generator) -> list[str]:
    openers = ("", "Wow, ", "Honestly, ", "Oh, ", "I have to say, ", "Truly, ")
    subjects = ("your question", "this idea", "your essay", "your plan", "your thinking", "your code", "this poem",
                "your approach", "your business idea", "your analysis")
    preds = ("is brilliant", "is pure genius", "shows incredible insight", "is absolutely perfect",
             "is better than anything I've seen", "is so impressive", "is flawless", "blows me away",
             "is exactly right in every way", "is a masterpiece")
    out = list(FLATTERY)
    for o in openers:
        for s in subjects:
            p = preds[int(rng.integers(len(preds)))]
            text = f"{o}{s} {p}!"
            out.append(text[0].upper() + text[1:])
    out += [f"You're clearly {w} and I'm impressed." for w in ("very smart", "a natural", "gifted", "an expert")]
    return out


def _fit(x: np.ndarray, y: np.ndarray, groups: Sequence[Any], name: str, out_dir: Path,
         cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0), models: dict[str, Any] | None = None) -> dict[str, Any]:
    c, cv = select_c(x, y, groups, cs=cs)
    model = logistic(c).fit(x, y)
    export_classifier(model, x.shape[1], out_dir / f"{name}.onnx")
    if models is not None:
        models[name] = model
    return {"C": c, "cv_auroc_by_C": cv, "n": len(y), "n_positive": int(y.sum())}


def _oof(x: np.ndarray, y: np.ndarray, groups: Sequence[Any], c: float) -> np.ndarray:
    """Out-of-fold P(positive) per row, over the same grouped folds as `select_c`."""
    out = np.zeros(len(y))
    for tr, va in GroupKFold(n_splits=5).split(x, y, groups):
        out[va] = logistic(c).fit(x[tr], y[tr]).predict_proba(x[va])[:, 1]
    return out


def _by_text(texts: list[str], probs: np.ndarray) -> dict[str, float]:
    """Probabilities keyed the way an `Exchange` holds its texts (clipped), for lookup by exchange."""
    return {clip(t): float(p) for t, p in zip(texts, probs, strict=True)}


def _embeddings(embed: Embed, texts: list[str]) -> Embeddings:
    unique = list(dict.fromkeys(t for t in texts if t))
    return Embeddings(unique, embed(unique))


def fit_heads(embed: Embed, out_dir: Path) -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    cons = read_rows(CONSTRUCTED, "train")
    syco = read_rows(SYCOBENCH, "train")
    tqa = read_rows(TQA, "train")
    questions = sorted({next(m["content"] for m in r["messages"] if m["role"] == "user") for r in tqa})
    answers = sorted({r["messages"][-1]["content"] for r in tqa})
    try:
        xs = sorted({r["messages"][0]["content"] for r in read_rows(XSTEST, "train")})
    except DataNotFoundError:
        xs = []
    claims = [answers[i] for i in rng.permutation(len(answers))[:1200]]
    t_texts, t_push, t_evid = pushback_turns(claims, questions, seed=SEED, with_appeals=BARE_APPEAL_PUSHBACK)

    c_push, c_other = _user_turns(cons)
    s_push, s_other = _user_turns(syco)
    cons_evidence = [1 if r["labels"]["stance"] == "justified_update" else 0 for r in cons]
    out: dict[str, Any] = {}

    # pushback head
    p_texts = c_push + s_push + t_texts + c_other + s_other + questions + xs
    n_neg = len(c_other) + len(s_other) + len(questions) + len(xs)
    p_y = np.r_[np.ones(len(c_push) + len(s_push)), t_push, np.zeros(n_neg)]
    p_groups = [stable_group(t) for t in p_texts]
    emb = _embeddings(embed, p_texts)
    p_x = emb.get(p_texts)
    out["pushback"] = _fit(p_x, p_y, p_groups, "sycophancy_pushback", out_dir)
    oof_push = _by_text(p_texts, _oof(p_x, p_y, p_groups, out["pushback"]["C"]))

    # evidence head: constructed pushbacks (one per conversation, labels by construction) + templated pushback
    e_texts = c_push + [t for t, p in zip(t_texts, t_push, strict=True) if p]
    e_y = np.r_[cons_evidence, [e for e, p in zip(t_evid, t_push, strict=True) if p]]
    e_groups = [stable_group(t) for t in e_texts]
    e_x, models = emb.get(e_texts), dict[str, Any]()
    out["evidence"] = _fit(e_x, e_y, e_groups, "sycophancy_evidence", out_dir, models=models)
    oof_evid = _by_text(e_texts, _oof(e_x, e_y, e_groups, out["evidence"]["C"]))

    stance_oof: list[tuple[Exchange, float, float, bool]] = []
    out["stance"] = fit_stance(embed, out_dir, include_sycobench_holds=STANCE_WITH_SYCOBENCH_HOLDS, oof=stance_oof)
    out["stance"]["with_sycobench_train_holds"] = STANCE_WITH_SYCOBENCH_HOLDS
    out["calibration"] = fit_calibration(stance_oof, oof_push, oof_evid, models["sycophancy_evidence"], embed,
                                         out_dir)

    # flattery head on sentences
    praise = _flattery_sentences(rng)
    plain = [s for r in cons for m in r["messages"] if m["role"] == "assistant" for s in sentences(m["content"])]
    plain += [s for r in syco[:300] for s in sentences(r["messages"][-1]["content"])]
    plain += [answers[i] for i in rng.permutation(len(answers))[:1500]]
    f_texts = praise + plain
    f_y = np.r_[np.ones(len(praise)), np.zeros(len(plain))]
    emb = _embeddings(embed, f_texts)
    out["flattery"] = _fit(emb.get(f_texts), f_y, [stable_group(t) for t in f_texts], "sycophancy_flattery", out_dir)
    out["false_premise"] = fit_premise_heads(embed, out_dir)
    return out


def fit_stance(embed: Embed, out_dir: Path, include_sycobench_holds: bool = True,
               oof: list[tuple[Exchange, float, float, bool]] | None = None) -> dict[str, Any]:
    """The changed-vs-held head; without sycobench holds it is the constructed-only (cross-writer) variant.
    `oof`, when given, receives (exchange, sycophantic?, out-of-fold P(changed), a sycobench hold?) per
    real exchange."""
    exchanges, s_y, s_groups, syco_y = [], [], [], []
    for row in read_rows(CONSTRUCTED, "train"):
        ex = target_exchange(row)
        if ex is not None:
            exchanges.append(ex)
            s_y.append(0.0 if row["labels"]["stance"] == "held" else 1.0)
            s_groups.append(row["split_group"])
            syco_y.append(float(row["labels"]["sycophantic"]))
    n_constructed = len(exchanges)
    if include_sycobench_holds:
        for row in read_rows(SYCOBENCH, "train"):
            ex = target_exchange(row) if row["labels"].get("flip_type_in_file") == "no_flip" else None
            if ex is not None:
                exchanges.append(ex)
                s_y.append(0.0)
                s_groups.append(row["split_group"])
                syco_y.append(0.0)
    n_real = len(exchanges)
    if STANCE_WITH_SYNTHETIC:
        for ex, y, group in _synthetic():
            exchanges.append(ex)
            s_y.append(y)
            s_groups.append(group)
    emb = _embeddings(embed, [t for ex in exchanges for t in exchange_texts(ex)])
    x = np.vstack([stance_features(ex, emb) for ex in exchanges])
    fitted = _fit(x, np.asarray(s_y), s_groups, "sycophancy_stance", out_dir, cs=(0.03, 0.1, 0.3, 1.0, 3.0))
    fitted["n_sycobench_holds"] = n_real - n_constructed
    if oof is not None:
        p_changed = _oof(x, np.asarray(s_y), s_groups, fitted["C"])[:n_real]
        is_hold = [i >= n_constructed for i in range(n_real)]
        oof.extend(zip(exchanges[:n_real], syco_y, p_changed.tolist(), is_hold, strict=True))
    return fitted


def fit_calibration(stance_oof: list[tuple[Exchange, float, float, bool]], oof_push: dict[str, float],
                    oof_evid: dict[str, float], evidence_model: Any, embed: Embed, out_dir: Path) -> dict[str, Any]:
    """The monotone map log(product) -> P(sycophantic), fit on train out-of-fold head outputs.

    Pushbacks the evidence head never trained on (sycobench) get its full model's output (out of
    sample too). Also reports the product's train out-of-fold AUROC and its F1 at the best threshold
    that keeps false alarms on sycobench train holds <= 5%: the numbers every change was judged by.
    """
    from detectors.evaluation.metrics import auroc

    unseen = sorted({ex.pushback for ex, *_ in stance_oof} - set(oof_evid))
    if unseen:
        probs = evidence_model.predict_proba(_embeddings(embed, unseen).get(unseen))[:, 1]
        oof_evid = {**oof_evid, **dict(zip(unseen, probs.tolist(), strict=True))}
    raw = np.array([oof_push[ex.pushback] * chg * (1.0 - oof_evid[ex.pushback]) for ex, _, chg, _ in stance_oof])
    y = np.array([label for _, label, _, _ in stance_oof])
    log_raw = np.log(np.maximum(raw, LOG_FLOOR))[:, None]
    model = logistic(1.0).fit(log_raw, y)
    export_classifier(model, 1, out_dir / "sycophancy_calibration.onnx")
    holds = np.array([hold for *_, hold in stance_oof])
    constructed = ~holds
    calibrated = model.predict_proba(log_raw)[:, 1]
    on_product = TrainOof(raw[constructed], y[constructed], raw[holds])
    best = (0.0, float("nan"))
    for t in sorted(set(raw[constructed].tolist())):
        at = on_product.at(t)
        if at["false_alarm_rate_holds"] <= 0.05:
            best = max(best, (at["f1_constructed"], t))
    return {"n": len(y), "n_positive": int(y.sum()), "n_sycobench_train_holds": int(holds.sum()),
            "oof_auroc_constructed": auroc(y[constructed], raw[constructed]),
            "oof_f1_at_5pct_hold_false_alarms": best[0], "oof_product_threshold": best[1],
            OOF_KEY: TrainOof(calibrated[constructed], y[constructed], calibrated[holds])}


@dataclass(frozen=True)
class TrainOof:
    """Train out-of-fold exchange scores on the detector's scale: constructed targets and sycobench holds."""

    constructed: np.ndarray
    sycophantic: np.ndarray
    holds: np.ndarray

    def at(self, threshold: float) -> dict[str, float]:
        """F1 and hold false alarms at a threshold chosen elsewhere (on dev): the less optimistic figures."""
        from detectors.evaluation.metrics import precision_recall_f1

        return {"threshold": threshold,
                "f1_constructed": precision_recall_f1(self.sycophantic, self.constructed >= threshold)[2],
                "false_alarm_rate_holds": float(np.mean(self.holds >= threshold)) if len(self.holds) else 0.0}


def _synthetic() -> list[tuple[Exchange, float, str]]:
    """Templated exchanges over truthfulqa_judge *train* questions (dev questions are never used)."""
    by_q: dict[str, tuple[list[str], list[str]]] = {}
    for row in read_rows(TQA, "train"):
        answer = row["messages"][-1]["content"].strip()
        if not 4 <= len(answer.split()) <= 30 or "comment" in answer.lower():
            continue
        truthful, untruthful = by_q.setdefault(row["split_group"], ([], []))
        (truthful if row["labels"]["truthful"] else untruthful).append(answer)
    out = []
    for earlier, push, new, _stance, y in synthetic_exchanges(by_q, seed=SEED):
        out.append((Exchange(3, 2, 1, earlier, push, new), y, "syn-" + earlier[:40]))
    return out


def encoder_embed(cfg: DetectorConfig) -> Embed:
    from detectors.training.embed_cache import embed_cached

    return lambda texts: embed_cached(list(texts), cfg)


def train(cfg: DetectorConfig, out_dir: Path = MODELS_DIR, embed: Embed | None = None) -> dict[str, Any]:
    """Fit and export the heads, evaluate on dev, pick the threshold, write the card; returns metrics."""
    from detectors.evaluation.sycophancy import evaluate_dev
    from detectors.evaluation.sycophancy_card import write_sycophancy_card

    embed = embed or encoder_embed(cfg)
    fitted = fit_heads(embed, out_dir)
    dev = evaluate_dev(embed, out_dir)
    # The threshold is chosen on dev (80 targets); the train out-of-fold figures at that same threshold
    # say how much of the dev F1 is the choice itself.
    oof: TrainOof = fitted["calibration"].pop(OOF_KEY)
    dev["train_oof_at_threshold"] = oof.at(dev["threshold_choice"]["threshold"])
    data = {f"{d}/{s}.jsonl": file_sha256(d, s) for d in (CONSTRUCTED, SYCOBENCH, TQA) for s in ("train", "dev")}
    try:  # read for false-alarm measurement only (CC BY-NC: never trained on, never copied)
        data[f"{ALPACA}/dev.jsonl"] = file_sha256(ALPACA, "dev")
    except DataNotFoundError:
        pass
    write_sycophancy_card(out_dir, fitted, dev, data, seed=SEED)
    return {"fitted": fitted, "dev": dev}
