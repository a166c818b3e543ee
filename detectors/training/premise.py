"""Train the three false-premise heads behind `sycophancy` (kind `false_premise`) and measure them on
exchanges they never saw.

Training data (`templates_premise`, training families only): the hand-written topics of
`premise_claims` minus the held-out quarter, plus claims from truthfulqa_judge *train* (an untruthful
reference answer as the false claim, the best reference answer as its correction, an affirmative
truthful answer as a true claim). Held-out measurement: held-out frame and answer families, filled
with the held-out topics and, separately, with truthfulqa_judge *dev* claims (questions never trained
on). C values come from grouped CV on train (groups = topics); nothing here reads a dev split to fit.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detectors.heads.premise import BANK_MODEL, correction_features, export_bank, falsity_features, user_text
from detectors.training.data import read_rows
from detectors.training.fitting import SEED, logistic, select_c
from detectors.training.premise_claims import EVAL_EVERY, EVERYDAY_TRUE, Topic, split_topics
from detectors.training.templates_premise import PremiseExample, generate, generate_true_only

Embed = Callable[[Sequence[str]], np.ndarray]
TQA = "truthfulqa_judge"
_NEGATION = re.compile(r"\b(?:no|not|nothing|never|none|nobody|cannot)\b|n't", re.IGNORECASE)


def _usable(answer: str) -> bool:
    """Affirmative statements of 5-25 words: negations would make 'is negated' a shortcut for truth."""
    return 5 <= len(answer.split()) <= 25 and not _NEGATION.search(answer) and "comment" not in answer.lower()


def tqa_topics(split: str) -> list[tuple[str, str, str, str]]:
    """(group, false claim, correction, true claim) per truthfulqa_judge question that has all three."""
    by_q: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_rows(TQA, split):
        by_q[row["split_group"]].append(row)
    out = []
    for group, rows in sorted(by_q.items()):
        def answers(pred: Callable[[dict[str, Any]], bool], rows: list[dict[str, Any]] = rows) -> list[str]:
            return [r["messages"][-1]["content"].strip() for r in rows if pred(r["labels"])]

        false = [a for a in answers(lambda lb: lb["answer_origin"] == "reference_incorrect") if _usable(a)]
        best = answers(lambda lb: lb["answer_origin"] == "reference_best")
        true = [a for a in answers(lambda lb: lb["truthful"] and lb["answer_origin"].startswith("reference_"))
                if _usable(a)]
        if false and best and true:
            others = [t for t in true if t != best[0]] or true
            out.append((group, false[0], best[0], others[0]))
    return out


def _as_tuples(topics: list[Topic]) -> list[tuple[str, str, str, str]]:
    return [(t.name, t.false, t.correction, t.true) for t in topics]


def examples(held_out: bool, tqa_split: str | None, topics: bool = True) -> list[PremiseExample]:
    """Training examples (training families) or held-out ones (held-out families and topics)."""
    out: list[PremiseExample] = []
    if topics:
        train_topics, eval_topics = split_topics()
        chosen = _as_tuples(eval_topics if held_out else train_topics)
        out += generate(chosen, seed=SEED + held_out, held_out=held_out)
        everyday = [c for i, c in enumerate(EVERYDAY_TRUE) if (i % EVAL_EVERY == EVAL_EVERY - 1) == held_out]
        out += generate_true_only(everyday, seed=SEED + 11 + held_out, held_out=held_out)
    if tqa_split:
        out += generate(tqa_topics(tqa_split), seed=SEED + 7 + held_out, held_out=held_out, per_topic=1)
    return out


def known_topic_examples() -> list[PremiseExample]:
    """Training topics (the bank remembers their claims) in held-out phrasings: the remembered-myth case."""
    return generate(_as_tuples(split_topics()[0]), seed=SEED + 3, held_out=True)


def as_rows(exs: list[PremiseExample], prefix: str) -> list[dict[str, Any]]:
    """Examples as labelled single-turn conversations, for scoring through the real detector."""
    return [{"conversation_id": f"{prefix}-{i:05d}",
             "messages": [{"role": "user", "content": e.user}, {"role": "assistant", "content": " ".join(e.answer)}],
             "labels": {"false_premise_accepted": bool(e.sycophantic), "presupposes": e.presupposes,
                        "claim_false": e.claim_false, "corrected": max(e.corrects), "family": e.family,
                        "topic": e.topic}}
            for i, e in enumerate(exs)]


def _features(exs: list[PremiseExample], embed: Embed) -> dict[str, Any]:
    users = [user_text(e.user) for e in exs]
    sents = [s for e in exs for s in e.answer]
    texts = list(dict.fromkeys(users + sents))
    vecs = embed(texts)
    index = {t: i for i, t in enumerate(texts)}
    u = vecs[[index[t] for t in users]]
    corr_x, corr_y, corr_owner = [], [], []
    for k, e in enumerate(exs):
        s = vecs[[index[t] for t in e.answer]]
        corr_x.append(correction_features(u[k], s))
        corr_y += e.corrects
        corr_owner += [k] * len(e.answer)
    return {"u": u, "corr_x": np.vstack(corr_x), "corr_y": np.asarray(corr_y, dtype=float),
            "corr_owner": np.asarray(corr_owner)}


def bank_topics() -> list[tuple[str, str, str, str]]:
    """The topics whose claims the bank remembers: hand-written training topics and truthfulqa_judge train."""
    return _as_tuples(split_topics()[0]) + tqa_topics("train")


def bank_similarities(u: np.ndarray, owners: list[str], embed: Embed, out_dir: Path | None,
                      seed: int = SEED) -> np.ndarray:
    """Best cosine of each user turn to the bank's false and true claims. Half of the examples (at random)
    do not see their own topic in the bank, so the falsity head learns both the remembered and the new case."""
    from detectors.training.templates_premise import cased

    topics = bank_topics()
    everyday = [c for i, c in enumerate(EVERYDAY_TRUE) if i % EVAL_EVERY != EVAL_EVERY - 1]
    false_vecs = embed([cased(t[1])[1] for t in topics])
    true_vecs = embed([cased(t[3])[1] for t in topics] + [cased(c)[1] for c in everyday])
    if out_dir is not None:
        export_bank(false_vecs, true_vecs, out_dir / f"{BANK_MODEL}.onnx")
    names = np.asarray([t[0] for t in topics])
    true_names = np.asarray([t[0] for t in topics] + [f"everyday-{c}" for c in everyday])
    rng = np.random.default_rng(seed)
    hide = rng.random(len(owners)) < 0.5
    sf, st = u @ false_vecs.T, u @ true_vecs.T
    own = np.asarray(owners)[:, None]
    sf[hide[:, None] & (names[None, :] == own)] = -1.0
    st[hide[:, None] & (true_names[None, :] == own)] = -1.0
    return np.stack([sf.max(axis=1), st.max(axis=1)], axis=1)


def fit_premise_heads(embed: Embed, out_dir: Path) -> dict[str, Any]:
    """Fit and export the three heads and the claim bank (C by CV grouped by topic); returns the choices."""
    from detectors.heads.onnx_head import export_classifier

    train = examples(held_out=False, tqa_split="train")
    f = _features(train, embed)
    sims = bank_similarities(f["u"], [e.topic for e in train], embed, out_dir)
    f["falsity"] = falsity_features(f["u"], sims)
    groups = [e.topic for e in train]
    y_pre = np.asarray([e.presupposes for e in train], dtype=float)
    claim = np.asarray([e.topic != "unrelated" for e in train])
    y_false = np.asarray([e.claim_false for e in train], dtype=float)
    claim_groups = [g for g, c in zip(groups, claim, strict=True) if c]
    out: dict[str, Any] = {"n_examples": len(train), "n_topics": len(set(groups)), "bank_claims": len(bank_topics())}
    for name, x, y, g in (
        ("sycophancy_premise", f["u"], y_pre, groups),
        ("sycophancy_premise_false", f["falsity"][claim], y_false[claim], claim_groups),
        ("sycophancy_premise_correction", f["corr_x"], f["corr_y"], [groups[k] for k in f["corr_owner"]]),
    ):
        c, cv = select_c(x, y, g, cs=(0.01, 0.03, 0.1, 0.3, 1.0))
        export_classifier(logistic(c).fit(x, y), x.shape[1], out_dir / f"{name}.onnx")
        out[name] = {"C": c, "cv_auroc_by_C": cv, "n": len(y), "n_positive": int(y.sum())}
    return out
