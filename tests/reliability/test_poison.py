"""A corpus of hostile inputs between good traffic: each ends in the dead-letter topic with the right
reason, or is scored and stored as inert data; the worker keeps going and its metrics count them."""

import json
from collections import Counter

import polars as pl
import pytest

from benchmarks.soak import WorkerRun, conversation_bytes, produce
from sidecar.lake import Lake
from sidecar.validate import REASONS
from tests.reliability.poison_corpus import SCORED, poison_corpus
from tests.reliability.test_connection_faults import wait_for

GOOD_BEFORE, GOOD_AFTER = 50, 50


@pytest.mark.timeout(240)
def test_every_hostile_input_is_dead_lettered_or_scored_safely(settings_factory, tmp_path) -> None:
    settings = settings_factory(batch_max_size=16)
    corpus = poison_corpus(settings.max_message_bytes, settings.max_messages)
    assert len(corpus) >= 30
    values = [conversation_bytes(i) for i in range(GOOD_BEFORE)] + [p.value for p in corpus]
    values += [conversation_bytes(i) for i in range(GOOD_BEFORE, GOOD_BEFORE + GOOD_AFTER)]
    first_poison = GOOD_BEFORE
    dead = {first_poison + i: p for i, p in enumerate(corpus) if p.expect != SCORED}
    scored = [p for p in corpus if p.expect == SCORED]
    assert {p.expect for p in dead.values()} <= set(REASONS)

    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    worker.wait_ready()
    produce(settings.kafka_bootstrap_servers, settings.input_topic, values)
    n_good = GOOD_BEFORE + GOOD_AFTER + len(scored)

    def all_counted() -> bool:
        m = worker.metrics()
        assert worker.alive, worker.log_tail()
        dead_total = sum(v for k, v in m.items() if k.startswith("sahaja_messages_dead_lettered_total"))
        return m.get("sahaja_messages_scored_total") == n_good and dead_total == len(dead)

    wait_for(all_counted, 120, "every input scored or dead-lettered")
    metrics = worker.metrics()
    page = worker.get("/metrics").text
    assert worker.terminate() == 0, worker.log_tail()

    # Dead letters: exactly the poison offsets, each with its reason, the original bytes kept whole.
    records = read_dlq(settings, len(dead))
    assert sorted(records) == sorted(dead)
    for offset, (reason, value) in records.items():
        assert reason == dead[offset].expect, f"{dead[offset].name}: {reason}"
        assert value == dead[offset].value, dead[offset].name
    by_reason = Counter(p.expect for p in dead.values())
    for reason, n in by_reason.items():
        assert metrics[f'sahaja_messages_dead_lettered_total{{reason="{reason}"}}'] == n

    # Scored: every hostile-but-valid conversation is in the lake, its text stored byte for byte.
    lake = Lake(settings.lake_path)
    convs = pl.scan_parquet(lake.glob("conversations"), hive_partitioning=False).collect()
    assert convs.height == convs["conversation_id"].n_unique() == n_good
    stored = {row["conversation_id"]: json.loads(row["messages"]) for row in convs.iter_rows(named=True)}
    for p in scored:
        sent = json.loads(p.value)["messages"]
        got = stored[p.conversation_id]
        assert [m["content"] for m in got] == [m["content"] or "" for m in sent], p.name
    scores = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    assert scores.height == scores.select("conversation_id", "turn", "detector").unique().height
    assert set(scores["conversation_id"]) >= {p.conversation_id for p in scored}
    # The metrics page is counts only: none of the hostile text or ids reach it.
    assert "script" not in page and "REVIEWER" not in page and "poison-" not in page


def read_dlq(settings, expected: int) -> dict[int, tuple[str, bytes | None]]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(settings.dlq_topic, bootstrap_servers=settings.kafka_bootstrap_servers,
                             auto_offset_reset="earliest", group_id=None, enable_auto_commit=False,
                             fetch_max_bytes=64 << 20, max_partition_fetch_bytes=64 << 20)
    out: dict[int, tuple[str, bytes | None]] = {}
    try:
        for _ in range(60):
            for batch in consumer.poll(timeout_ms=500).values():
                for r in batch:
                    headers = dict(r.headers)
                    out[int(headers["sahaja.source.offset"])] = (headers["sahaja.reason"].decode(), r.value)
            if len(out) >= expected:
                break
    finally:
        consumer.close()
    return out
