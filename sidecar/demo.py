"""`sahaja demo`: the whole pipeline on the shipped sample traffic, with nothing to configure.

Without SAHAJA_KAFKA_BOOTSTRAP_SERVERS it starts the embedded broker on a free port; with it, the
demo produces into that cluster instead. Either way the real worker does the scoring.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from sidecar.broker import EmbeddedBroker, create_topics
from sidecar.kafka_clients import build_producer
from sidecar.lake import Lake
from sidecar.runtime import run_worker
from sidecar.settings import Settings
from sidecar.worker import WorkerState


@contextlib.contextmanager
def broker_for(settings: Settings) -> Iterator[Settings]:
    if settings.kafka_bootstrap_servers:
        yield settings
        return
    with EmbeddedBroker() as broker:
        print(f"embedded broker (memory only) on {broker.bootstrap}")
        yield settings.model_copy(update={"kafka_bootstrap_servers": broker.bootstrap})


def produce_samples(settings: Settings, limit: int | None) -> int:
    from sidecar.demo_data import label_events, load_demo_conversations, poison_messages

    conversations = load_demo_conversations()[:limit]
    producer = build_producer(settings)
    try:
        for conv in conversations:
            producer.send(settings.input_topic, key=conv["conversation_id"].encode(), value=json.dumps(conv).encode())
        poison = poison_messages()
        for raw in poison:
            producer.send(settings.input_topic, key=b"poison", value=raw)
        ids = {c["conversation_id"] for c in conversations}
        labels = [e for e in label_events(conversations) if e["conversation_id"] in ids]
        for event in labels:
            producer.send(
                settings.labels_topic, key=event["conversation_id"].encode(), value=json.dumps(event).encode()
            )
        producer.flush()
    finally:
        producer.close()
    print(f"produced {len(conversations)} conversations, {len(poison)} invalid messages, {len(labels)} late labels")
    return len(conversations) + len(poison) + len(labels)


def summarise(lake: Lake) -> pl.DataFrame:
    scan = lake.scan("scores")
    if scan is None:
        return pl.DataFrame({"detector": [], "records": [], "flag_rate": []})
    return (
        scan.group_by("detector")
        .agg(pl.len().alias("records"), pl.col("flagged").mean().alias("flag_rate"))
        .sort("detector")
        .collect()
    )


def run_demo(settings: Settings, limit: int | None = None) -> int:
    settings = settings.model_copy(update={"group_id": f"sahaja-demo-{uuid.uuid4().hex[:8]}", "http_port": 0})
    started = time.monotonic()
    with broker_for(settings) as live:
        topics = [
            live.input_topic,
            live.labels_topic,
            live.scores_topic,
            live.dlq_topic,
            live.drift_topic,
            live.candidates_topic,
            live.reviews_topic,
            live.batches_topic,
        ]
        create_topics(live.kafka_bootstrap_servers or "", topics)
        expected = produce_samples(live, limit)

        def done(state: WorkerState) -> bool:
            return state.committed_messages >= expected

        state = run_worker(live, until=done)
    lake = Lake(live.lake_path)
    print(f"scored {state.committed_messages} messages in {time.monotonic() - started:.1f}s")
    with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True):
        print(summarise(lake))
    from feedback import FeedbackLake

    candidates = FeedbackLake(lake.root).list_candidates()
    pairs = candidates.filter(pl.col("kind") == "pair").height
    print(f"candidate DPO pairs: {candidates.height} ({pairs} with a proposed chosen); invalid messages are on "
          f"{live.dlq_topic} with their reasons")
    print(f"lake: {lake.root.resolve() if isinstance(lake.root, Path) else lake.root}")  # a folder or a URL
    print(f"dashboard: sahaja --lake {lake.root} dashboard")
    return 0
