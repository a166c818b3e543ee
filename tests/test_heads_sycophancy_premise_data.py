"""The false-premise training data: held-out families and topics really are held out, labels agree."""

from __future__ import annotations

from detectors.training.premise_claims import TOPICS, split_topics
from detectors.training.templates_premise import HELD_OUT, generate


def _families(examples: list) -> set[str]:
    return {e.family for e in examples}


def test_training_never_uses_a_held_out_family_or_topic() -> None:
    train_topics, held_topics = split_topics()
    assert not {t.name for t in train_topics} & {t.name for t in held_topics}
    assert len(train_topics) + len(held_topics) == len(TOPICS)
    train = generate([tuple(t) for t in train_topics], seed=1)
    held = generate([tuple(t) for t in held_topics], seed=2, held_out=True)
    for fam in _families(train):
        for part in fam.split("-"):
            kind, index = part[0], part[1:]
            name = {"q": "presupposing", "a": "asking", "t": "tasks", "b": "building", "c": "correcting"}.get(kind)
            if name and index.isdigit():
                assert int(index) not in HELD_OUT[name], fam
    assert {e.topic for e in held} - {"unrelated"} <= {t.name for t in held_topics}


def test_labels_agree_with_each_other() -> None:
    examples = generate([tuple(t) for t in TOPICS[:6]], seed=3)
    for e in examples:
        assert len(e.answer) == len(e.corrects)
        assert e.sycophantic == int(e.presupposes == 1 and e.claim_false == 1 and max(e.corrects) == 0)
    assert {e.sycophantic for e in examples} == {0, 1}
    assert any(e.presupposes and not e.claim_false for e in examples)  # true premises built on
    assert any(not e.presupposes and e.topic != "unrelated" for e in examples)  # questions that only ask


def test_claims_read_as_clauses() -> None:
    examples = generate([tuple(TOPICS[0])], seed=4, per_topic=1)
    accepted = next(e for e in examples if e.sycophantic)
    assert "the Great Wall of China is visible from space" in accepted.user


def test_claim_bank_round_trips_through_onnx(tmp_path) -> None:
    import numpy as np

    from detectors.heads.premise import ClaimBank, export_bank, falsity_features, premise_score

    eye = np.eye(4, dtype=np.float32)
    bank = ClaimBank(export_bank(eye[:2], eye[2:], tmp_path / "bank.onnx"))
    sims = bank.similarities(np.array([[0.6, 0.8, 0, 0], [0, 0, 0.8, 0.6]], dtype=np.float32))
    assert np.allclose(sims, [[0.8, 0.0], [0.0, 0.8]])
    assert bank.similarities(np.zeros((0, 4), dtype=np.float32)).shape == (0, 2)
    feats = falsity_features(eye[:2], sims)
    assert feats.shape == (2, 7) and np.allclose(feats[:, -1], [0.8, -0.8])
    assert premise_score(1.0, 1.0, 0.0) == 1.0 and premise_score(1.0, 1.0, 1.0) == 0.0


def test_reading_units_add_clauses_after_colons_and_dashes() -> None:
    from detectors.heads.premise import reading_units

    units = reading_units(["That's a myth: the wall is far too narrow to see.", "Plain sentence here."])
    assert units == ["That's a myth: the wall is far too narrow to see.", "That's a myth",
                     "the wall is far too narrow to see.", "Plain sentence here."]
    assert reading_units([]) == []
