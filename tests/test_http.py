"""The HTTP edge through a real uvicorn server: probes, metrics, synchronous scoring, bearer auth."""

from collections.abc import Iterator

import httpx
import pytest

from detectors.pipeline import Scorer
from sidecar.http import create_app
from sidecar.metrics import Metrics
from sidecar.runtime import HttpServer
from sidecar.settings import Settings
from sidecar.worker import WorkerState
from tests.conftest import conversation
from tests.kafka_helpers import produce_json
from tests.worker_process import WorkerProcess

TOKEN = "s3cret-token-for-tests"  # noqa: S105 - a test credential


def serve(settings: Settings, state: WorkerState) -> HttpServer:
    scorer = Scorer.from_config(settings.detector_config())
    return HttpServer(create_app(settings, scorer, Metrics(), state), "127.0.0.1", 0).start()


@pytest.fixture
def open_server() -> Iterator[tuple[str, WorkerState]]:
    state = WorkerState()
    server = serve(Settings(detectors=("wrapper_lexicon",)), state)
    yield f"http://127.0.0.1:{server.port}", state
    server.stop()


@pytest.fixture
def token_server() -> Iterator[str]:
    server = serve(Settings(detectors=("wrapper_lexicon",), api_token=TOKEN), WorkerState())
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


def test_probes_follow_worker_state(open_server) -> None:
    url, state = open_server
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert httpx.get(f"{url}/readyz").status_code == 503
    state.models_loaded, state.assigned = True, True
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True


def test_score_endpoint_scores_and_reports_bad_items(open_server) -> None:
    url, _ = open_server
    body = {"conversations": [conversation(1, wrapper=True), {"conversation_id": "bad"}, conversation(2)]}
    response = httpx.post(f"{url}/v1/score", json=body)
    assert response.status_code == 200
    out = response.json()
    assert [(r["conversation_id"], r["flagged"]) for r in out["records"]] == [("conv-000001", True),
                                                                            ("conv-000002", False)]
    assert out["errors"] == [{"index": 1, "reason": "schema", "detail": "messages: Field required"}]
    assert httpx.post(f"{url}/v1/score", content=b"{nope").status_code == 422
    assert httpx.post(f"{url}/v1/score", json={"conversations": []}).status_code == 422


def test_score_endpoint_requires_the_bearer_token_when_configured(token_server) -> None:
    body = {"conversations": [conversation(1)]}
    assert httpx.post(f"{token_server}/v1/score", json=body).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.post(f"{token_server}/v1/score", json=body, headers=wrong).status_code == 401
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert httpx.post(f"{token_server}/v1/score", json=body, headers=basic).status_code == 401
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(f"{token_server}/v1/score", json=body, headers=good).status_code == 200
    # Probes and metrics stay open for the kubelet and Prometheus.
    assert httpx.get(f"{token_server}/healthz").status_code == 200
    assert httpx.get(f"{token_server}/metrics").status_code == 200


def test_running_worker_exposes_readiness_and_metrics(settings_factory) -> None:
    settings = settings_factory()
    worker = WorkerProcess(settings).start()
    try:
        worker.wait_ready()
        produce_json(settings.kafka_bootstrap_servers, settings.input_topic,
                     [conversation(i, wrapper=i < 5) for i in range(20)])
        text = ""
        for _ in range(100):
            text = httpx.get(worker.url("/metrics")).text
            if "sahaja_messages_scored_total 20.0" in text:
                break
            import time

            time.sleep(0.1)
        assert "sahaja_messages_scored_total 20.0" in text
        assert 'sahaja_flags_total{detector="wrapper_lexicon"} 5.0' in text
        assert 'sahaja_records_scored_total{detector="wrapper_lexicon"} 20.0' in text
        assert f'sahaja_consumer_lag{{partition="0",topic="{settings.input_topic}"}} 0.0' in text
        assert "sahaja_batch_latency_seconds_bucket" in text
        assert 'sahaja_onnx_provider_info{provider="none"} 1.0' in text
        assert "What is" not in text  # no conversation text in metrics
    finally:
        assert worker.terminate() == 0
