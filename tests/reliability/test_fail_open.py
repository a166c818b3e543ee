"""Fail-open: a detector that raises costs only its own records (and counts an error metric), and a
GPU that dies mid-run makes the scorer move to the CPU encoder; the worker never stops for either."""

import threading

import httpx
import numpy as np
import polars as pl
import pytest

from benchmarks.soak import conversation_bytes, produce
from detectors.base import Batch
from detectors.baseline import WrapperLexicon
from detectors.config import DetectorConfig
from detectors.pipeline import Scorer
from detectors.schema import ScoreRecord, make_record
from sidecar.broker import create_topics, free_port
from sidecar.lake import Lake
from sidecar.runtime import run_worker
from tests.reliability.test_connection_faults import wait_for

N = 300


class Exploding:
    """Raises on every batch, as a head with a corrupt model file would."""

    name = "exploding"
    version = "0"

    def texts(self, batch: Batch) -> list[str]:
        return []

    def score(self, batch: Batch) -> list[ScoreRecord]:
        raise RuntimeError("model file is corrupt")


class EmbeddingNorm:
    """A detector that needs the encoder: scores each assistant turn by the first embedding component."""

    name = "embedding_probe"
    version = "0"
    needs_embeddings = True

    def texts(self, batch: Batch) -> list[str]:
        return [i.conversation.messages[t].content for i in batch.items for t in i.conversation.assistant_turns()]

    def score(self, batch: Batch) -> list[ScoreRecord]:
        assert batch.embeddings is not None
        out = []
        for item in batch.items:
            for turn in item.conversation.assistant_turns():
                vector = batch.embeddings.get([item.conversation.messages[turn].content])[0]
                out.append(make_record(item, turn=turn, detector=self.name, detector_version=self.version,
                                       score=float(abs(vector[0])), threshold=0.5, details={},
                                       scored_at=batch.scored_at))
        return out


class DyingGpu:
    """Stands in for the CUDA encoder only: works for `good_calls` batches, then the device is gone."""

    provider = "CUDAExecutionProvider"

    def __init__(self, cpu_twin, good_calls: int) -> None:
        self.cpu_twin, self.left = cpu_twin, good_calls

    def embed(self, texts):
        if self.left <= 0:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        self.left -= 1
        return self.cpu_twin.embed(texts)


def gpu_then_cpu_factory(good_calls: int):
    """Encoder factory: a dying fake GPU unless the config asks for the CPU, then the real CPU encoder."""
    from detectors.encoder import Encoder

    made: list[str] = []

    def factory(config: DetectorConfig):
        real = Encoder.from_config(config.model_copy(update={"provider": "cpu"}))
        encoder = real if config.provider == "cpu" else DyingGpu(real, good_calls)
        made.append(encoder.provider)
        return encoder

    return factory, made


def run_in_thread(settings, scorer):
    stop = threading.Event()
    states = []
    thread = threading.Thread(target=lambda: states.append(run_worker(settings, stop=stop, scorer=scorer)))
    thread.start()
    return stop, thread, states


def metrics_text(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return ""


@pytest.mark.timeout(180)
def test_a_raising_detector_costs_only_its_records_and_counts_errors(settings_factory) -> None:
    settings = settings_factory(http_port=free_port(), batch_max_size=50)
    create_topics(settings.kafka_bootstrap_servers, [settings.candidates_topic])
    scorer = Scorer([WrapperLexicon(), Exploding()])
    produce(settings.kafka_bootstrap_servers, settings.input_topic, [conversation_bytes(i) for i in range(N)])
    stop, thread, states = run_in_thread(settings, scorer)
    try:
        wait_for(lambda: f"sahaja_messages_scored_total {float(N)}" in metrics_text(settings.http_port), 90,
                 "all scored")
        page = metrics_text(settings.http_port)
        assert thread.is_alive(), "the worker stopped"
    finally:
        stop.set()
        thread.join(30)
    prefix = 'sahaja_detector_errors_total{detector="exploding"}'
    errors = next(line for line in page.splitlines() if line.startswith(prefix))
    assert float(errors.split()[-1]) >= N / 50
    scores = pl.scan_parquet(Lake(settings.lake_path).glob("scores"), hive_partitioning=False).collect()
    assert set(scores["detector"]) == {"wrapper_lexicon"}
    assert scores.height == scores["conversation_id"].n_unique() == N
    assert states and states[0].committed_messages == N
    # An error record says which offsets lack the failed detector's scores, and why.
    errors_table = pl.read_parquet(str(settings.lake_path / "detector_errors" / "*.parquet"))
    assert set(errors_table["detector"]) == {"exploding"}
    assert errors_table["error"].str.contains("model file is corrupt").all()
    covered = {o for row in errors_table.iter_rows(named=True) for o in range(row["first_offset"],
                                                                                row["last_offset"] + 1)}
    assert covered == set(range(N))


@pytest.mark.timeout(180)
def test_gpu_failing_mid_run_falls_back_to_the_cpu_encoder(settings_factory) -> None:
    settings = settings_factory(http_port=free_port(), batch_max_size=50)
    create_topics(settings.kafka_bootstrap_servers, [settings.candidates_topic])
    factory, made = gpu_then_cpu_factory(good_calls=2)
    scorer = Scorer([WrapperLexicon(), EmbeddingNorm()], DetectorConfig(provider="cuda"), encoder_factory=factory)
    produce(settings.kafka_bootstrap_servers, settings.input_topic, [conversation_bytes(i) for i in range(N)])
    stop, thread, states = run_in_thread(settings, scorer)
    try:
        wait_for(lambda: f"sahaja_messages_scored_total {float(N)}" in metrics_text(settings.http_port), 120,
                 "all scored")
        page = metrics_text(settings.http_port)
        assert thread.is_alive(), "the worker stopped"
    finally:
        stop.set()
        thread.join(30)
    assert made == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert scorer.provider == "CPUExecutionProvider"
    assert 'sahaja_onnx_provider_info{provider="CPUExecutionProvider"} 1.0' in page
    assert "sahaja_detector_errors_total{" not in page, "a detector lost records to the GPU failure"
    scores = pl.scan_parquet(Lake(settings.lake_path).glob("scores"), hive_partitioning=False).collect()
    probe = scores.filter(pl.col("detector") == "embedding_probe")
    assert probe.height == probe["conversation_id"].n_unique() == N
    # Scores from before and after the switch come from the same model: the CPU run is the real encoder.
    from detectors.encoder import Encoder

    cpu = Encoder.from_config(DetectorConfig(provider="cpu"))
    sample = probe.sort("source_offset").head(5)
    texts = [f"As an AI, I can say it is {i * 7}." if i % 5 == 0 else f"It is {i * 7}." for i in range(5)]
    np.testing.assert_allclose(sample["score"].to_numpy(), np.abs(cpu.embed(texts)[:, 0]), atol=1e-4)
