"""`hedging` with the packaged ONNX heads and the real encoder, on hand-written conversations."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from detectors.heads import hedging
from detectors.heads.ngrams import ngram_keys
from detectors.pipeline import Scorer
from detectors.schema import Conversation, ScoreRecord, SourcedConversation
from tests.head_scorers import scored_records, warm_scorer

WRAPPED = (
    "As an AI language model, I don't have personal preferences or feelings. "
    "That said, a reliable first car is usually a small used hatchback with a full service history. "
    "Look for low running costs and cheap insurance. "
    "It's important to consult a qualified professional before making any financial decisions."
)
PLAIN = (
    "A reliable first car is usually a small used hatchback with a full service history. "
    "Look for low running costs, cheap insurance and a recent inspection report."
)


def _item(cid: str, messages: list[dict[str, str]]) -> SourcedConversation:
    return SourcedConversation(conversation=Conversation(conversation_id=cid, messages=messages))


def _chat(cid: str, answer: str, prompt: str = "What car should I buy first?") -> SourcedConversation:
    return _item(cid, [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}])


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return warm_scorer("hedging")


def _score(scorer: Scorer, items: list[SourcedConversation]) -> list[ScoreRecord]:
    return scored_records(scorer, items)


def test_wrapper_turn_outscores_plain_turn_and_spans_point_at_the_disclaimers(scorer: Scorer) -> None:
    wrapped, plain = _score(scorer, [_chat("w", WRAPPED), _chat("p", PLAIN)])
    assert wrapped.detector == "hedging" and wrapped.turn == 1
    assert wrapped.flagged and not plain.flagged
    assert wrapped.score > plain.score
    details = wrapped.details_dict()
    spans = details["wrapper_spans"]
    assert spans, details
    for span in spans:
        assert WRAPPED[span["start"] : span["end"]] == span["text"]
        assert 0.0 <= span["p"] <= 1.0
    disclaimers = ("As an AI language model", "It's important to consult")
    assert all(s["text"].startswith(disclaimers) for s in spans), spans
    assert not any("hatchback" in s["text"] for s in spans)
    share = sum(s["end"] - s["start"] for s in spans) / len(WRAPPED)
    assert details["wrapper_share"] == pytest.approx(share, abs=1e-3)
    assert plain.details_dict()["wrapper_share"] < details["wrapper_share"]


def test_threshold_comes_from_the_packaged_file(scorer: Scorer) -> None:
    (record,) = _score(scorer, [_chat("t", PLAIN)])
    from detectors.thresholds import load_thresholds

    assert record.threshold == pytest.approx(load_thresholds(None)["hedging"])
    assert record.detector_version == hedging.VERSION


def test_bad_input_has_a_defined_output(scorer: Scorer) -> None:
    items = [
        _item("no-assistant", [{"role": "user", "content": "hello"}]),
        _item("system-only", [{"role": "system", "content": "You are helpful."}]),
        _chat("empty", ""),
        _chat("code-only", "```python\nprint('hi')\n```"),
        _chat("german", "Als KI-Sprachmodell habe ich keine Meinung. Berlin ist die Hauptstadt."),
    ]
    records = {r.conversation_id: r for r in _score(scorer, items)}
    assert set(records) == {"empty", "code-only", "german"}
    assert records["empty"].score == 0.0 and records["empty"].details_dict()["wrapper_spans"] == []
    assert records["code-only"].score == 0.0
    assert 0.0 <= records["german"].score <= 1.0


def test_a_200_turn_conversation_is_scored_per_turn_within_the_sentence_budget(scorer: Scorer) -> None:
    messages = []
    for i in range(100):
        messages.append({"role": "user", "content": f"Question {i}?"})
        messages.append({"role": "assistant", "content": " ".join(f"Fact {i}.{j} is true." for j in range(10))})
    item = _item("long", messages)
    from detectors.base import Batch

    texts = scorer.detectors[0].texts(Batch(items=[item], scored_at=datetime.now(UTC)))
    assert len(texts) <= hedging.MAX_SENTENCES_PER_CONVERSATION
    records = _score(scorer, [item])
    assert [r.turn for r in records] == list(range(1, 200, 2))
    assert all(r.details_dict()["n_scored"] >= hedging.MIN_SENTENCES_PER_TURN for r in records)
    assert records[-1].details_dict()["n_scored"] == 10


def test_plan_turns_respects_per_turn_cap() -> None:
    long_answer = " ".join(f"Sentence {i} here." for i in range(200))
    (plan,) = hedging.plan_turns([long_answer])
    assert len(plan.selected) == hedging.MAX_SENTENCES_PER_TURN
    assert plan.selected[0] == 0 and plan.selected[-1] == 199


def test_turn_features_are_monotone_in_the_strongest_sentence() -> None:
    low = hedging.turn_features([0.1, 0.05])
    high = hedging.turn_features([0.9, 0.05])
    assert high[0, 0] > low[0, 0] and high[0, 1] > low[0, 1]
    assert hedging.turn_features([]).shape == (1, hedging.N_TURN_FEATURES)


def test_span_metrics_count_overlaps_of_half_the_shorter_span() -> None:
    from detectors.evaluation.hedging import char_counts, span_match_counts

    # the clause (10, 20) lies inside the predicted sentence (0, 40): a hit both ways
    assert span_match_counts([(0, 40)], [(10, 20)]) == (1, 1, 1, 1)
    # a 2-character overlap of two 20-character spans is not a hit
    assert span_match_counts([(0, 20)], [(18, 38)]) == (0, 1, 0, 1)
    assert span_match_counts([], [(0, 5)]) == (0, 0, 0, 1)
    assert char_counts([(0, 10)], [(5, 15)], 20) == (5, 10, 10)


def test_evaluate_hedging_reads_scorer_records_next_to_the_baseline(scorer: Scorer) -> None:
    from detectors.evaluation.hedging import evaluate_hedging

    start = WRAPPED.index("It's important")
    rows = [
        {
            "conversation_id": "w",
            "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": WRAPPED}],
            "labels": {"wrapper": True, "wrapper_spans": [[0, WRAPPED.index(".") + 1], [start, len(WRAPPED)]]},
        },
        {
            "conversation_id": "p",
            "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": PLAIN}],
            "labels": {"wrapper": False, "wrapper_spans": []},
        },
    ]
    records = _score(scorer, [_chat("w", WRAPPED), _chat("p", PLAIN)])
    report = evaluate_hedging(rows, records)
    assert report["n"] == 2 and report["n_missing_records"] == 0
    assert report["head"]["f1"] == 1.0 and report["head"]["auroc"] == 1.0
    assert report["head"]["spans"]["span_match"]["precision"] == 1.0
    assert report["baseline"]["name"] == "wrapper_lexicon"
    assert 0.0 < report["baseline"]["spans"]["span_match"]["recall"] <= 1.0


def test_ngram_features_are_stable_and_ignore_case_and_curly_apostrophes() -> None:
    a, b, c = hedging.ngram_features(
        ["It\u2019s important to note that prices vary.", "IT'S IMPORTANT TO NOTE THAT PRICES VARY.", "Boil the eggs."]
    ).dense()
    assert (a == b).all()
    assert set(a[a > 0]) == {hedging.NGRAM_VALUE}
    # 7 words: 7 unigrams, 6 pairs, 3 sentence starts (a bucket may hold two of them)
    assert len(ngram_keys("It's important to note that prices vary.")) == 16
    assert 14 <= int((a > 0).sum()) <= 16
    assert int(((a > 0) & (c > 0)).sum()) <= 2  # unrelated sentences share only hash collisions
    assert hedging.ngram_features([]).dense().shape == (0, hedging.N_NGRAM_BUCKETS)


def test_sentence_features_match_the_packaged_sentence_head() -> None:
    from detectors.heads.onnx_head import OnnxHead

    (turn,) = hedging.plan_turns([WRAPPED])
    vectors = np.ones((len(turn.selected), 384), dtype=np.float32)
    features = hedging.sentence_features(turn, vectors)
    assert features.dense.shape == (len(turn.selected), hedging.n_dense_features(384))
    assert features.matrix().shape == (len(turn.selected), hedging.n_dense_features(384) + hedging.N_NGRAM_BUCKETS)
    head = OnnxHead.packaged(hedging.SENTENCE_MODEL)
    assert head.sparse and head.n_features == features.matrix().shape[1]
    assert head.predict_proba(features).shape == (len(turn.selected),)


def test_hedging_templates_are_deterministic_filled_and_two_sided() -> None:
    from detectors.training.templates_hedging import NEGATIVES, WRAPPERS, template_sentences

    first, again = template_sentences(20), template_sentences(20)
    assert first == again
    assert {t.style for t in first} == set(WRAPPERS) | set(NEGATIVES)
    assert all("{" not in t.text and "}" not in t.text for t in first)
    assert {t.wrapper for t in first} == {True, False}
    assert len({t.text for t in first}) == len(first)
