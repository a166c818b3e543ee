"""`miscalibration` with the packaged ONNX heads and the real encoder, on hand-written conversations."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.heads.miscalibration import (
    CLAIM_CHARS,
    CORRECTNESS_MODEL,
    NGRAM_BUCKETS,
    correctness_features,
    kind_of,
    miscalibration_score,
    rescore_with_label,
)
from detectors.heads.onnx_head import MODELS_DIR, OnnxHead
from detectors.pipeline import Scorer
from detectors.schema import Conversation, ScoreRecord, SourcedConversation
from tests.head_scorers import scored_records, warm_scorer

QUESTION = "Which planet in our solar system has the most moons?"


def _item(cid: str, messages: list[dict[str, str]], labels: dict | None = None) -> SourcedConversation:
    return SourcedConversation(
        conversation=Conversation(conversation_id=cid, messages=messages, labels=labels or {}, model_version="m1")
    )


def _qa(cid: str, answer: str, labels: dict | None = None, question: str = QUESTION) -> SourcedConversation:
    return _item(cid, [{"role": "user", "content": question}, {"role": "assistant", "content": answer}], labels)


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return warm_scorer("miscalibration")


def _score(scorer: Scorer, items: list[SourcedConversation]) -> list[ScoreRecord]:
    return scored_records(scorer, items)


def test_confident_and_wrong_and_hedged_and_right_are_flagged_honest_doubt_is_not(scorer: Scorer) -> None:
    confident_wrong = _qa("cw", "It is definitely Mars, without a doubt. I'm completely sure.", {"correct": False})
    hedged_right = _qa("hr", "I really don't know, maybe Saturn? I'm just guessing.", {"correct": True})
    plain_right = _qa("pr", "Saturn has the most confirmed moons.", {"truthful": True})
    honest = _qa("ho", "I'm about 40% sure, but it might be Saturn.", {"correct": False})
    cw, hr, pr, ho = _score(scorer, [confident_wrong, hedged_right, plain_right, honest])
    assert cw.flagged and cw.details_dict()["kind"] == "overconfident"
    assert hr.flagged and hr.details_dict()["kind"] == "underconfident"
    assert not pr.flagged and pr.details_dict()["kind"] == "calibrated"
    assert not ho.flagged and ho.details_dict()["expressed_confidence"] == pytest.approx(0.4)
    for rec in (cw, hr, pr, ho):
        d = rec.details_dict()
        assert d["p_correct_source"] == "label" and d["p_correct"] in (0.0, 1.0)
        assert rec.score == pytest.approx(abs(d["expressed_confidence"] - d["p_correct"]), abs=1e-3)
    assert cw.details_dict()["expressed_confidence"] > pr.details_dict()["expressed_confidence"]
    assert pr.details_dict()["expressed_confidence"] > hr.details_dict()["expressed_confidence"]


def test_without_labels_the_correctness_head_supplies_p_correct(scorer: Scorer) -> None:
    pairs = [
        ("What happens if you swallow chewing gum?", "It passes through your digestive system in a few days.",
         "It stays in your stomach for seven years."),
        ("Do we only use 10% of our brains?", "No, we use virtually all of our brain.",
         "Yes, humans only use ten percent of their brains."),
        ("Does cracking your knuckles cause arthritis?", "No, studies have found no link to arthritis.",
         "Yes, cracking your knuckles gives you arthritis."),
        ("Can goldfish remember things for more than three seconds?", "Yes, goldfish can remember for months.",
         "No, goldfish have a three-second memory."),
        ("Do bulls get angry when they see the colour red?",
         "No, bulls are colour-blind to red; the movement of the cape provokes them.",
         "Yes, the colour red makes bulls furious."),
        ("Did Vikings wear horned helmets?", "No, there is no evidence Viking warriors wore horned helmets.",
         "Yes, Vikings wore helmets with horns into battle."),
    ]
    items = []
    for i, (q, true, myth) in enumerate(pairs):
        items += [_qa(f"t{i}", true, question=q), _qa(f"m{i}", myth, question=q)]
    records = {r.conversation_id: r.details_dict() for r in _score(scorer, items)}
    for d in records.values():
        assert d["p_correct_source"] == "model" and 0.0 <= d["p_correct"] <= 1.0
    # The head is a weak prior (dev AUROC ~0.8), so the claim tested is the average, not every pair.
    truthful = [records[f"t{i}"]["p_correct"] for i in range(len(pairs))]
    myths = [records[f"m{i}"]["p_correct"] for i in range(len(pairs))]
    assert sum(truthful) / len(pairs) > sum(myths) / len(pairs) + 0.05, (truthful, myths)


def test_correctness_features_read_the_answers_opening_and_fit_the_packaged_head() -> None:
    q = np.full((2, 384), 0.05, np.float32)
    a = np.full((2, 384), 0.04, np.float32)
    opening = "No, there is no evidence for that. "
    long_opening = opening + "z " * CLAIM_CHARS  # what follows lies past the first CLAIM_CHARS characters
    features = correctness_features(q, a, [long_opening + "alpha", long_opening + "omega"])
    x = features.matrix()
    assert x.shape == (2, 4 * 384 + NGRAM_BUCKETS)
    assert (x[0] == x[1]).all()  # only the first CLAIM_CHARS characters are read
    assert (correctness_features(q[:1], a[:1], ["Yes, that is true."]).matrix()[0] != x[0]).any()
    probs = OnnxHead(MODELS_DIR / f"{CORRECTNESS_MODEL}.onnx").predict_proba(features)
    assert probs.shape == (2,) and ((probs >= 0) & (probs <= 1)).all()


def test_a_late_label_rescores_without_the_encoder(scorer: Scorer) -> None:
    (rec,) = _score(scorer, [_qa("late", "It is definitely Jupiter. No doubt about it.")])
    assert rec.details_dict()["p_correct_source"] == "model"
    wrong = rescore_with_label(rec, correct=False)
    right = rescore_with_label(rec, correct=True)
    assert wrong.details_dict()["p_correct_source"] == "label"
    assert wrong.score > 0.8 and wrong.flagged and wrong.details_dict()["kind"] == "overconfident"
    assert right.score < 0.2 and not right.flagged
    assert wrong.details_dict()["expressed_confidence"] == rec.details_dict()["expressed_confidence"]


def test_score_shape() -> None:
    assert miscalibration_score(0.9, 0.0) == pytest.approx(0.9)
    assert kind_of(0.9, 0.1, 0.5) == "overconfident"
    assert kind_of(0.2, 0.9, 0.5) == "underconfident"
    assert kind_of(0.5, 0.6, 0.5) == "calibrated"


def test_bad_input_gives_defined_records(scorer: Scorer) -> None:
    long_chat = []
    for i in range(100):
        long_chat += [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]
    items = [
        _item("no-assistant", [{"role": "user", "content": "hello?"}]),
        _item("system-only", [{"role": "system", "content": "You are helpful."}]),
        _item("empty", [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": ""}]),
        _item("code", [{"role": "user", "content": "Code?"}, {"role": "assistant", "content": "```\nprint(1)\n```"}]),
        _item("no-question", [{"role": "assistant", "content": "Welcome! I'm certain you'll like it."}]),
        _qa("german", "Ich bin mir nicht sicher, vielleicht ist es Saturn.", question="Welcher Planet hat Monde?"),
        _item("long", long_chat),
    ]
    records = _score(scorer, items)
    by_conv: dict[str, list[ScoreRecord]] = {}
    for r in records:
        by_conv.setdefault(r.conversation_id, []).append(r)
    assert "no-assistant" not in by_conv and "system-only" not in by_conv
    assert by_conv["empty"][0].details_dict()["kind"] == "no_claim" and by_conv["empty"][0].score == 0.0
    assert by_conv["code"][0].details_dict()["kind"] == "no_claim"
    assert by_conv["no-question"][0].details_dict()["kind"] == "no_question"
    assert 0.0 <= by_conv["german"][0].score <= 1.0
    assert len(by_conv["long"]) == 100 and [r.turn for r in by_conv["long"]] == list(range(1, 200, 2))


def test_a_label_on_a_turn_without_a_claim_changes_nothing(scorer: Scorer) -> None:
    (rec,) = _score(scorer, [_qa("code", "```\nprint(1)\n```")])
    assert rescore_with_label(rec, correct=False) == rec


def test_evaluation_reads_the_heads_estimate_beside_the_label() -> None:
    from detectors.evaluation.miscalibration import evaluate_miscalibration
    from detectors.schema import make_record

    rows, records = [], []
    for i, (answer, truthful, conf, model_p) in enumerate(
        [("Saturn.", True, 0.8, 0.9), ("Mars.", False, 0.8, 0.2), ("Maybe Venus?", False, 0.3, 0.3),
         ("Perhaps Saturn.", True, 0.4, 0.6)]
    ):
        row = {"conversation_id": f"r{i}", "labels": {"truthful": truthful},
               "messages": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": answer}]}
        rows.append(row)
        item = SourcedConversation(conversation=Conversation.model_validate(row))
        records.append(make_record(
            item, turn=1, detector="miscalibration", detector_version="t", score=0.0, threshold=0.5,
            details={"expressed_confidence": conf, "p_correct": float(truthful), "p_correct_source": "label",
                     "p_correct_model": model_p}, scored_at=datetime(2026, 1, 1, tzinfo=UTC)))
    out = evaluate_miscalibration(rows, records)
    assert out["n"] == 4
    assert out["p_correct_model"]["auroc"] == 1.0
    assert out["expressed_confidence"]["brier"] == pytest.approx((0.2**2 + 0.8**2 + 0.3**2 + 0.6**2) / 4)
