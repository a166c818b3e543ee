"""The worker against a real broker: lake rows one for one, dead letters with reasons, scores topic."""

import json
import threading

import polars as pl

from sidecar.lake import Lake
from sidecar.runtime import run_worker
from tests.conftest import conversation
from tests.kafka_helpers import produce, produce_json, read_all

POISON = [b"{broken", b"\xc3\x28 invalid utf8", b'{"conversation_id": "p", "messages": []}', b"[]", b"null"]


def test_stream_to_lake_one_for_one_with_dead_letters(settings_factory) -> None:
    settings = settings_factory()
    good = [conversation(i, wrapper=i % 3 == 0) for i in range(300)]
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, good[:150])
    produce(settings.kafka_bootstrap_servers, settings.input_topic, POISON)
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, good[150:])
    produce_json(settings.kafka_bootstrap_servers, settings.labels_topic,
                 [{"conversation_id": "conv-000001", "labels": {"correct": False}}])
    total = len(good) + len(POISON) + 1

    state = run_worker(settings, until=lambda s: s.committed_messages >= total)
    assert state.committed_messages == total

    lake = Lake(settings.lake_path)
    scores = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    assert sorted(scores["conversation_id"].to_list()) == sorted(c["conversation_id"] for c in good)
    assert scores.filter(pl.col("flagged"))["conversation_id"].n_unique() == 100
    assert set(scores.columns) >= {"conversation_id", "turn", "detector", "score", "flagged", "threshold",
                                   "detector_version", "model", "model_version", "event_time", "scored_at",
                                   "source_topic", "source_partition", "source_offset", "details"}
    convs = pl.scan_parquet(lake.glob("conversations"), hive_partitioning=False).collect()
    assert convs.height == 300 and convs["conversation_id"].n_unique() == 300
    labels = pl.scan_parquet(lake.glob("labels"), hive_partitioning=False).collect()
    assert json.loads(labels["labels"][0]) == {"correct": False}

    dead = read_all(settings.kafka_bootstrap_servers, settings.dlq_topic, len(POISON))
    assert [d.value for d in dead] == POISON
    headers = [dict(d.headers) for d in dead]
    assert [h["sahaja.reason"].decode() for h in headers] == ["bad_json", "bad_utf8", "schema", "not_an_object",
                                                             "not_an_object"]
    assert all(h["sahaja.source.topic"].decode() == settings.input_topic for h in headers)
    assert [int(h["sahaja.source.offset"]) for h in headers] == [150, 151, 152, 153, 154]

    scored = read_all(settings.kafka_bootstrap_servers, settings.scores_topic, 300)
    assert len(scored) == 300
    assert json.loads(scored[0].value)["detector"] == "wrapper_lexicon"


def test_sigterm_style_stop_finishes_the_batch_and_commits(settings_factory) -> None:
    settings = settings_factory(batch_max_wait_ms=2000, batch_max_size=1000)
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, [conversation(i) for i in range(40)])
    stop = threading.Event()
    seen = []

    def until(state):
        seen.append(state.assigned)
        if state.assigned:
            stop.set()  # what the SIGTERM handler does
        return False

    run_worker(settings, stop=stop, until=until)
    # A second worker in the same group finds everything committed: nothing left to read.
    again = run_worker(settings, until=lambda s: s.assigned and s.idle_polls >= 3)
    assert again.committed_messages == 0
    scores = pl.scan_parquet(Lake(settings.lake_path).glob("scores"), hive_partitioning=False).collect()
    assert scores.height == 40



def test_sink_of_one_batch_overlaps_scoring_of_the_next_and_commits_stay_complete(settings_factory) -> None:
    """The lake files of batch N are written while batch N+1 is being scored (the two-stage worker)."""
    import time

    from detectors.pipeline import Scorer
    from tests.head_scorers import warm_scorer

    class TimedScorer(Scorer):
        """The real hedging head, recording when each batch was scored."""

        intervals: list[tuple[float, float]] = []

        def score(self, items, scored_at=None):
            started = time.time()
            try:
                return super().score(items, scored_at)
            finally:
                self.intervals.append((started, time.time()))

    base = warm_scorer("hedging")
    scorer = TimedScorer(base.detectors, base.config)
    settings = settings_factory(batch_max_size=32, detectors=("hedging",))
    items = [conversation(i, wrapper=i % 2 == 0) for i in range(320)]
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, items)
    state = run_worker(settings, until=lambda s: s.committed_messages >= len(items), scorer=scorer)
    assert state.committed_messages == len(items)

    lake = Lake(settings.lake_path)
    written = [p.stat().st_mtime for p in (lake.root / "scores").rglob("*.parquet")]
    scores = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    assert scores.height == scores.unique(["conversation_id", "turn"]).height == len(items)
    during_scoring = [t for t in written if any(a < t < b for a, b in TimedScorer.intervals)]
    assert during_scoring, "no lake file was written while a later batch was being scored"


def test_an_assignment_makes_the_lake_look_again_for_files_another_member_wrote(settings_factory) -> None:
    """The lake's span index only follows this process's own writes; when the group hands it a
    partition, the worker must make it list again, or a file another member wrote for the same
    offsets (its batch, never committed) would stay beside ours as duplicates."""
    from detectors.pipeline import Scorer
    from sidecar.kafka_clients import build_consumer, build_producer
    from sidecar.lake import file_name
    from sidecar.metrics import Metrics
    from sidecar.sinks import LakeSink, TopicSink
    from sidecar.worker import Worker

    settings = settings_factory(batch_max_size=100)
    day = "2026-11-01"
    items = [conversation(i, timestamp=f"{day}T12:00:00Z") for i in range(40)]
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, items)
    lake = Lake(settings.lake_path)
    folder = ("scores", f"date={day}", "detector=wrapper_lexicon")
    foreign = pl.DataFrame({"conversation_id": ["from-the-previous-owner"] * 3, "source_offset": [0, 1, 2]})
    lake.fs.write_parquet(foreign, *folder, file_name(settings.input_topic, 0, 0, 99))
    lake.spans.load(folder, settings.input_topic, 0, {})  # what this process believed before the hand-over

    consumer = build_consumer(settings, [settings.input_topic])
    producer = build_producer(settings)
    worker = Worker(settings, Scorer.from_config(settings.detector_config()), consumer, LakeSink(lake, settings),
                    TopicSink(producer, settings), Metrics())
    try:
        worker.run(threading.Event(), until=lambda s: s.committed_messages >= len(items))
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=10)
    names = [p.name for p in (lake.root.joinpath(*folder)).glob("*.parquet")]
    assert file_name(settings.input_topic, 0, 0, 99) not in names
    ids = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()["conversation_id"]
    assert sorted(ids.to_list()) == sorted(c["conversation_id"] for c in items)
