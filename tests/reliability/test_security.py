"""Safe by default: `/v1/*` needs the bearer token when one is set; metrics and logs carry counts,
never conversation text; the API token and the SASL password never reach logs or `sahaja doctor`."""

import json
import subprocess
import sys
import time

import pytest
from fastapi.testclient import TestClient

from benchmarks.soak import WorkerRun, produce, settings_env
from detectors.pipeline import Scorer
from sidecar.http import create_app
from sidecar.metrics import Metrics
from sidecar.settings import Settings
from sidecar.worker import WorkerState
from tests.conftest import conversation
from tests.reliability.test_connection_faults import wait_for

TOKEN = "tok-7c1f0e9a-never-log-me"  # noqa: S105 - a test value, not a credential
PASSWORD = "pw-51b2d8-never-log-me"  # noqa: S105 - a test value, not a credential
MARKER = "Zebra-Quartz-4471"  # stands for conversation text: it must not leave the lake
BODY = {"conversations": [conversation(1)]}


@pytest.fixture(scope="module")
def client() -> TestClient:
    settings = Settings(detectors=("wrapper_lexicon",), api_token=TOKEN)
    app = create_app(settings, Scorer.from_config(settings.detector_config()), Metrics(), WorkerState())
    return TestClient(app)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                    f"Bearer {TOKEN[:-1]}", "Bearer wrong", f"Token {TOKEN}", f"bearer  {TOKEN}",
                                    "Bearer \u00e9t\u00e9"])
def test_score_refuses_a_missing_or_wrong_token(client, header) -> None:
    headers = {} if header is None else {"Authorization": header.encode("utf-8")}
    response = client.post("/v1/score", json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert TOKEN not in response.text


def test_score_accepts_the_token_and_probes_stay_open(client) -> None:
    assert client.post("/v1/score", json=BODY, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert client.post("/v1/score", json=BODY, headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    # Probes and metrics are for the kubelet and Prometheus inside the cluster: no token.
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_secrets_are_masked_in_settings_dumps() -> None:
    settings = Settings(api_token=TOKEN, sasl_password=PASSWORD)
    for text in (repr(settings), str(settings), settings.model_dump_json(), json.dumps(settings.model_dump(),
                                                                                       default=str)):
        assert TOKEN not in text and PASSWORD not in text


@pytest.mark.timeout(180)
def test_metrics_and_info_logs_carry_no_text_and_no_secrets(settings_factory, tmp_path) -> None:
    settings = settings_factory(api_token=TOKEN, sasl_password=PASSWORD, sasl_username="sahaja", log_level="INFO",
                                batch_max_size=20)
    worker = WorkerRun(settings, tmp_path / "worker.log").start()
    worker.wait_ready()
    convs = [conversation(i, wrapper=i % 2 == 0) for i in range(40)]
    for c in convs:
        c["messages"][0]["content"] += f" {MARKER}"
        c["metadata"] = {"note": MARKER}
    bad = [f'{{"conversation_id": "{MARKER}", "messages": "{MARKER}"}}'.encode(), f"{{{MARKER}".encode(),
           json.dumps({"conversation_id": "x", "messages": [{"role": MARKER, "content": MARKER}]}).encode()]
    produce(settings.kafka_bootstrap_servers, settings.input_topic, [json.dumps(c).encode() for c in convs] + bad)
    wait_for(lambda: worker.metrics().get("sahaja_messages_scored_total") == len(convs), 60, "all scored")
    page = worker.get("/metrics").text
    assert worker.terminate() == 0, worker.log_tail()
    log = worker.log_path.read_text()
    assert "worker stopped" in log, "the log is not the worker's INFO log"
    for leak in (MARKER, "times seven", TOKEN, PASSWORD):
        assert leak not in page, leak
        assert leak not in log, leak
    assert "conv-0000" not in page, "metric labels must not carry conversation ids"


@pytest.mark.timeout(120)
def test_doctor_and_a_failing_sasl_login_never_print_secrets(settings_factory, tmp_path) -> None:
    settings = settings_factory(api_token=TOKEN, sasl_password=PASSWORD, sasl_username="sahaja",
                                sasl_mechanism="PLAIN", security_protocol="SASL_PLAINTEXT", log_level="DEBUG")
    env = settings_env(settings)
    for args in (["doctor"], ["doctor", "--json"]):
        done = subprocess.run([sys.executable, "-m", "sidecar.cli", *args], env=env, capture_output=True, text=True,
                              timeout=60, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "reachable" in done.stdout
        for secret in (TOKEN, PASSWORD):
            assert secret not in done.stdout + done.stderr
    # The broker speaks no SASL: the login fails, and the worker logs about it at DEBUG, without the password.
    worker = WorkerRun(settings, tmp_path / "sasl.log").start()
    time.sleep(8)
    if worker.alive:
        worker.kill9()
    log = worker.log_path.read_text()
    assert log.strip(), "the worker logged nothing"
    assert TOKEN not in log and PASSWORD not in log
