"""The embedding memo: texts seen recently are not embedded again, memory stays bounded, and the
vectors the detectors read are the encoder's own."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.embedding_memo import EmbeddingMemo
from detectors.schema import Conversation, SourcedConversation
from tests.head_scorers import scored_records, warm_scorer


class CountingEncoder:
    """A deterministic stand-in for the encoder's `embed` that records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32).reshape(-1, 3)


def test_a_text_held_is_not_embedded_again_and_rows_keep_their_order() -> None:
    encode, memo = CountingEncoder(), EmbeddingMemo(max_entries=10)
    first = memo.embed(["a", "bb", "ccc"], encode)
    second = memo.embed(["ccc", "dddd", "a"], encode)
    assert encode.calls == [["a", "bb", "ccc"], ["dddd"]]
    np.testing.assert_array_equal(second, encode(["ccc", "dddd", "a"]))
    np.testing.assert_array_equal(first[0], second[2])
    assert (memo.hits, memo.misses) == (2, 4)


def test_memory_is_bounded_least_recently_used_out_first() -> None:
    encode, memo = CountingEncoder(), EmbeddingMemo(max_entries=2)
    memo.embed(["a", "b"], encode)
    memo.embed(["a"], encode)  # a is now the most recent
    memo.embed(["c"], encode)  # evicts b
    assert len(memo) == 2
    memo.embed(["a", "b"], encode)
    assert encode.calls[-1] == ["b"]


def test_a_batch_larger_than_the_memo_is_still_answered_in_full() -> None:
    encode, memo = CountingEncoder(), EmbeddingMemo(max_entries=2)
    texts = [f"t{i}" for i in range(7)]
    np.testing.assert_array_equal(memo.embed(texts, encode), encode(texts))
    assert len(memo) == 2


def test_size_zero_turns_it_off_and_negative_sizes_are_refused() -> None:
    encode, memo = CountingEncoder(), EmbeddingMemo(max_entries=0)
    memo.embed(["a"], encode)
    memo.embed(["a"], encode)
    assert encode.calls == [["a"], ["a"]] and len(memo) == 0
    with pytest.raises(ValueError):
        EmbeddingMemo(-1)


def test_odd_text_has_a_key_and_empty_input_an_empty_answer() -> None:
    encode, memo = CountingEncoder(), EmbeddingMemo(max_entries=4)
    vectors = memo.embed(["\ud800 lone surrogate", "", "x" * 1_000_000], encode)
    assert vectors.shape == (3, 3)
    assert memo.embed([], encode).shape[0] == 0


def test_scorer_reuses_the_memo_and_scores_what_it_scored_without_it() -> None:
    scorer = warm_scorer("hedging", "refusal")
    items = [
        SourcedConversation(conversation=Conversation(conversation_id=f"c{i}", messages=[
            {"role": "user", "content": "How do I boil an egg?"},
            {"role": "assistant", "content": "As an AI, I must note I cannot cook. Boil it for nine minutes."
             if i % 2 else "Put it in boiling water for nine minutes, then cool it in cold water."},
        ]))
        for i in range(4)
    ]
    first = scored_records(scorer, items)
    held = len(scorer._memo)  # noqa: SLF001 - the test looks at the memo it fed
    assert held > 0
    misses = scorer._memo.misses  # noqa: SLF001
    again = scored_records(scorer, items)
    assert scorer._memo.misses == misses, "the second pass embedded texts the memo held"  # noqa: SLF001
    assert [(r.conversation_id, r.detector, round(r.score, 5)) for r in first] == [
        (r.conversation_id, r.detector, round(r.score, 5)) for r in again
    ]
    fresh = warm_scorer("hedging", "refusal")
    fresh._memo = EmbeddingMemo(0)  # noqa: SLF001 - the same scoring with the memo off
    plain = scored_records(fresh, items)
    assert [round(r.score, 4) for r in plain] == [round(r.score, 4) for r in first]


def test_worker_reports_memo_hits_and_misses_per_batch_in_metrics() -> None:
    import json
    import time
    from types import SimpleNamespace

    from prometheus_client.parser import text_string_to_metric_families

    from sidecar.metrics import Metrics
    from sidecar.settings import Settings
    from sidecar.worker import Worker

    scorer = warm_scorer("hedging")
    settings = Settings(detectors=("hedging",))
    metrics = Metrics()
    worker = Worker(settings, scorer, consumer=None, lake_sink=None, topic_sink=None, metrics=metrics)  # type: ignore[arg-type]
    value = json.dumps({"conversation_id": "c1", "messages": [
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "As an AI, I must note my limits. The capital of France is Paris."},
    ]}).encode()

    def record(offset: int) -> SimpleNamespace:
        return SimpleNamespace(topic=settings.input_topic, partition=0, offset=offset, key=None, value=value,
                               headers=[], timestamp=int(time.time() * 1000), timestamp_type=0)

    def lookups() -> dict[str, float]:
        families = text_string_to_metric_families(metrics.render().decode())
        return {s.labels["result"]: s.value for f in families if f.name == "sahaja_embedding_memo_lookups"
                for s in f.samples if s.name.endswith("_total")}

    worker._score([record(0)])
    first = lookups()
    assert first["miss"] > 0 and first["hit"] == 0
    worker._score([record(1)])  # the same snapshot again: every text is held
    second = lookups()
    assert second["miss"] == first["miss"] and second["hit"] == first["miss"]
