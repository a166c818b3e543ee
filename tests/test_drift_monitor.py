"""DriftMonitor windows (by count, by time), change attribution, and the `drift` novelty detector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.base import registered
from detectors.config import DetectorConfig
from detectors.drift import (
    DimensionMismatchError,
    DriftMonitor,
    ReferenceNotConfiguredError,
    ReferenceProfile,
    WindowTooSmallError,
    build_reference,
    drift_text,
    drift_texts,
)
from detectors.pipeline import Scorer
from detectors.schema import Conversation, SourcedConversation
from tests.drift_synthetic import (
    DIM,
    HashingEmbedder,
    conversations,
    records,
    sample,
    topic_conversation,
    topic_mix,
    words_for,
)


@pytest.fixture(scope="module")
def profile() -> ReferenceProfile:
    rng = np.random.default_rng(0)
    vectors, topics = sample(600, rng)
    return build_reference(
        vectors,
        words_for(topics),
        [200] * 600,
        [40] * 600,
        records(conversations(600), 0.1, rng),
        n_clusters=8,
        n_permutations=199,
        min_window=50,
    )


def feed(
    monitor: DriftMonitor,
    n: int,
    rng: np.random.Generator,
    *,
    start: datetime,
    step_s: float = 1.0,
    version: str = "v1",
    novel_share: float = 0.0,
    flag_rate: float = 0.1,
    batch: int = 70,
) -> list:
    items = conversations(n, start=start, step_s=step_s, version=version, prefix=f"{version}-{start:%H%M%S}-")
    vectors = sample(n, rng, novel_share)[0]
    recs = records(items, flag_rate, rng)
    events = []
    for s in range(0, n, batch):
        chunk = items[s : s + batch]
        ids = {i.conversation.conversation_id for i in chunk}
        events += monitor.observe_items(chunk, vectors[s : s + batch], [r for r in recs if r.conversation_id in ids])
    return events


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_count_windows_close_at_the_size(profile: ReferenceProfile) -> None:
    monitor = DriftMonitor(profile, window_size=200)
    rng = np.random.default_rng(1)
    events = feed(monitor, 450, rng, start=T0)
    overall = [e for e in events if e.test == "overall"]
    assert [e.n for e in overall] == [200, 200] and monitor.pending == 50
    assert len({e.window_id for e in overall}) == 2
    assert all(e.comparison == "reference" for e in events)
    assert {e.test for e in events} >= {"embedding_mmd", "topic_clusters", "reply_length", "flag_rate:hedging"}
    assert [e.n for e in monitor.flush() if e.test == "overall"] == [50]
    assert monitor.flush() == []


def test_time_windows_follow_event_time(profile: ReferenceProfile) -> None:
    monitor = DriftMonitor(profile, window_seconds=100, min_window=60)
    rng = np.random.default_rng(2)
    events = feed(monitor, 330, rng, start=T0)  # one conversation per second from an aligned start
    overall = [e for e in events if e.test == "overall"]
    assert [e.n for e in overall] == [100, 100, 100]
    assert overall[0].window_start == T0 and overall[0].window_end == T0 + timedelta(seconds=99)
    assert overall[1].window_id == "time-2026-01-01T00:01:40+00:00"
    late = feed(monitor, 5, rng, start=T0)  # late arrivals join the open window
    assert late == [] and monitor.pending == 35
    assert monitor.flush() == [] and monitor.skipped[-1][1] == 35  # below the minimum: skipped, not raised


def test_model_change_is_attributed_with_effect_sizes(profile: ReferenceProfile) -> None:
    monitor = DriftMonitor(profile, window_size=200)
    rng = np.random.default_rng(3)
    first = feed(monitor, 200, rng, start=T0, version="v1")
    assert not [e for e in first if e.comparison == "model_change"]
    second = feed(monitor, 200, rng, start=T0 + timedelta(hours=1), version="v2", novel_share=0.3, flag_rate=0.4)
    change = {e.test: e for e in second if e.comparison == "model_change"}
    assert change["overall"].drifted and change["overall"].model_versions == ["v1", "v2"]
    assert change["flag_rate:hedging"].effect_size == pytest.approx(0.3, abs=0.1)
    assert change["embedding_mmd"].drifted and change["embedding_mmd"].window_id.endswith(":model_change")


def test_monitor_rejects_bad_input(profile: ReferenceProfile) -> None:
    with pytest.raises(WindowTooSmallError):
        DriftMonitor(profile, window_size=10)
    monitor = DriftMonitor(profile, window_size=100)
    with pytest.raises(DimensionMismatchError, match="rebuild"):
        monitor.observe(["a"], ["v1"], np.zeros((1, DIM + 1), np.float32), [], [T0])


def _texts_reference(embedder: HashingEmbedder) -> ReferenceProfile:
    rng = np.random.default_rng(4)
    convs = [Conversation.model_validate(c) for c in topic_mix(400, rng)]
    texts = [drift_text(c) for c in convs]
    return build_reference(
        embedder.embed(texts),
        [c.messages[0].content for c in convs],
        [100] * 400,
        [30] * 400,
        n_clusters=6,
        min_window=50,
    )


def test_drift_detector_scores_novel_conversations_high(tmp_path) -> None:  # noqa: ANN001
    embedder = HashingEmbedder(dim=64)
    folder = _texts_reference(embedder).save(tmp_path / "ref")
    config = DetectorConfig(enabled=("drift",), drift_reference=folder)
    scorer = Scorer.from_config(config, encoder_factory=lambda _: embedder)
    rng = np.random.default_rng(5)
    usual = [topic_conversation(i, "cooking", rng, prefix="u") for i in range(20)]
    novel = [topic_conversation(i, "law", rng, prefix="n") for i in range(20)]
    items = [SourcedConversation(conversation=Conversation.model_validate(c)) for c in usual + novel]
    outcome = scorer.score(items)
    assert not outcome.failures
    by_id = {r.conversation_id: r for r in outcome.records}
    assert all(r.turn == -1 and r.detector == "drift" for r in by_id.values())
    assert np.median([by_id[f"u{i}"].score for i in range(20)]) < 0.9
    novel_scores = [by_id[f"n{i}"].score for i in range(20)]
    assert np.median(novel_scores) >= 0.99 and sum(by_id[f"n{i}"].flagged for i in range(20)) >= 15
    details = by_id["n0"].details_dict()
    assert {"nearest_cluster", "cluster_label", "distance", "reference_id"} <= set(details)
    # The monitor reuses the batch's embeddings of exactly these texts.
    assert outcome.embeddings is not None
    vectors = outcome.embeddings.get(drift_texts(items))
    assert vectors.shape == (40, 64)


def test_drift_detector_needs_a_reference() -> None:
    with pytest.raises(ReferenceNotConfiguredError, match="SAHAJA_DRIFT_REFERENCE"):
        registered()["drift"](DetectorConfig(enabled=("drift",)), {})
