"""The worker emits drift events from a stored reference: to the lake, to the drift topic, and novelty records."""

import json
from pathlib import Path

import polars as pl
import pytest

from sidecar.broker import create_topics
from sidecar.cli import main as sahaja
from sidecar.demo_data import load_demo_conversations
from sidecar.lake import Lake
from sidecar.runtime import run_worker
from tests.kafka_helpers import produce_json, read_all

pytest.importorskip("detectors.encoder")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("drift")
    source = folder / "reference.jsonl"
    rows = load_demo_conversations()[:300]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = folder / "ref"
    code = sahaja(["drift", "reference", "--from", str(source), "--out", str(out), "--clusters", "4",
                   "--min-window", "50", "--calibration-splits", "0", "--no-scores"])
    assert code == 0
    return out


def test_worker_emits_drift_events_and_novelty_records(settings_factory, reference: Path) -> None:
    settings = settings_factory(drift_reference=reference, drift_window_size=100, drift_topic="drift-test",
                                batch_max_size=50)
    create_topics(settings.kafka_bootstrap_servers, [settings.drift_topic])
    window = load_demo_conversations()[300:550]
    produce_json(settings.kafka_bootstrap_servers, settings.input_topic, window)
    run_worker(settings, until=lambda s: s.committed_messages >= len(window))

    lake = Lake(settings.lake_path)
    scores = pl.scan_parquet(lake.glob("scores"), hive_partitioning=False).collect()
    novelty = scores.filter(pl.col("detector") == "drift")
    assert novelty.height == len(window) and set(novelty["turn"]) == {-1}
    assert novelty["score"].is_between(0, 1).all()

    events = pl.scan_parquet(lake.glob("drift"), hive_partitioning=False).collect()
    overall = events.filter(pl.col("test") == "overall")
    assert overall.height == 2  # two closed windows of 100 (the last 50 stay open)
    assert set(events["test"]) >= {"overall", "embedding_mmd"}
    assert events["p_value"].is_between(0, 1).all()

    published = read_all(settings.kafka_bootstrap_servers, settings.drift_topic, events.height)
    assert len(published) == events.height
    assert {json.loads(m.value)["window_id"] for m in published} == set(events["window_id"])
