"""The dashboard's pages under `streamlit.testing` AppTest, on a lake written by the real worker.

One module-scoped lake: the shipped demo conversations (plus one hostile conversation) go through
the embedded broker and `run_worker`, which writes scores, conversations and candidates.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from dashboard.queue import priority_queue
from feedback import FeedbackLake, verify_batch
from sidecar.broker import create_topics
from sidecar.demo_data import load_demo_conversations
from sidecar.runtime import run_worker
from sidecar.settings import Settings
from tests.kafka_helpers import produce_json

ROOT = Path(dashboard.__file__).parent
HOSTILE_TEXT = "<script>alert(1)</script> **bold** [link](http://x) <img src=x onerror=alert(2)>"
HOSTILE = {
    "conversation_id": "hostile-1",
    "messages": [
        {"role": "user", "content": "Tell me about <b>tags</b> please"},
        {"role": "assistant", "content": f"As an AI language model, I must note this. {HOSTILE_TEXT} Done."},
    ],
    "model": "acme-chat",
    "model_version": "2026-11-01",
}
N_DEMO = 150


@pytest.fixture(scope="module")
def lake(broker, tmp_path_factory) -> Path:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap, input_topic=f"dash-in-{tag}", labels_topic="",
        scores_topic=f"dash-scores-{tag}", dlq_topic=f"dash-dlq-{tag}", candidates_topic=f"dash-cand-{tag}",
        group_id=f"dash-{tag}", lake_path=tmp_path_factory.mktemp("lake"), session_timeout_ms=6000,
        heartbeat_interval_ms=500, max_poll_interval_ms=10000, batch_max_size=256, batch_max_wait_ms=100,
        http_port=0, http_host="127.0.0.1", detectors=("wrapper_lexicon",),
    )  # fmt: skip
    create_topics(broker.bootstrap, [settings.input_topic, settings.scores_topic, settings.dlq_topic,
                                     settings.candidates_topic])
    items = [*load_demo_conversations()[:N_DEMO], HOSTILE]
    produce_json(broker.bootstrap, settings.input_topic, items)
    run_worker(settings, until=lambda s: s.committed_messages >= len(items))
    return settings.lake_path


@pytest.fixture
def env(lake: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(lake))
    monkeypatch.delenv("SAHAJA_DASHBOARD_PASSWORD", raising=False)
    yield lake


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=60)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def open_candidate(lake: Path, candidate_id: str) -> AppTest:
    """The review page with its cursor on `candidate_id` in the priority queue."""
    queue = priority_queue(FeedbackLake(lake).list_candidates())
    at = page("review")
    at.session_state["queue_cursor"] = queue["candidate_id"].to_list().index(candidate_id)
    return at.run()


def pending_ids(lake: Path, n: int) -> list[str]:
    frame = FeedbackLake(lake).list_candidates(status="pending")
    return frame.sort("candidate_id")["candidate_id"].to_list()[:n]


def events(lake: Path) -> pl.DataFrame:
    return pl.read_parquet(lake / "reviews" / "**" / "*.parquet", hive_partitioning=True)


def test_overview_shows_rates_from_the_lake(env: Path) -> None:
    at = page("overview").run()
    assert not at.exception and not at.error
    scores = pl.read_parquet(env / "scores" / "**" / "*.parquet", hive_partitioning=True)
    table = at.dataframe[0].value
    row = table[table["detector"] == "wrapper_lexicon"].iloc[0]
    assert row["scored"] == scores.height and row["flagged"] == scores["flagged"].sum()
    assert row["corrected prevalence"] == "no audit reviews yet"
    assert "sycophancy" in at.caption[0].value  # learned detectors not in the lake yet: said so
    infos = " ".join(i.value for i in at.info)
    assert "No data yet for sycophancy" in infos and "No data yet for miscalibration" in infos
    assert len(at.get("vega_lite_chart")) >= 3  # daily, per version, wrapper-free


def test_review_accept_writes_an_event_and_moves_on(env: Path) -> None:
    target = pending_ids(env, 1)[0]
    at = open_candidate(env, target)
    assert not at.exception
    button(at, "Accept").click().run()
    assert not at.exception and "accept saved" in at.success[0].value
    mine = events(env).filter(pl.col("candidate_id") == target)
    assert mine["action"].to_list() == ["accept"] and mine["reviewer"].to_list() == ["reviewer"]
    assert FeedbackLake(env).get(target)[1].status == "accepted"
    assert target not in at.caption[1].value  # the queue shows another candidate now


def test_reject_needs_a_reason_and_edit_stores_the_chosen(env: Path) -> None:
    first, second = pending_ids(env, 2)
    at = open_candidate(env, first)
    button(at, "Reject").click().run()
    assert at.error and at.error[0].value == "A reject needs a reason."
    next(t for t in at.text_input if t.label == "reason").input("not a wrapper, a real caveat")
    button(at, "Reject").click().run()
    row = events(env).filter(pl.col("candidate_id") == first).row(0, named=True)
    assert (row["action"], row["reason"]) == ("reject", "not a wrapper, a real caveat")

    at = open_candidate(env, second)
    next(t for t in at.text_area if t.label == "chosen answer").input("A plain, direct answer.")
    button(at, "Save edit and accept").click().run()
    row = events(env).filter(pl.col("candidate_id") == second).row(0, named=True)
    assert (row["action"], row["chosen"]) == ("edit", "A plain, direct answer.")


def test_hostile_text_is_shown_as_text(env: Path) -> None:
    hostile = FeedbackLake(env).list_candidates().filter(pl.col("conversation_id") == "hostile-1")
    at = open_candidate(env, hostile["candidate_id"][0])
    html = " ".join(h.value for h in at.get("html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "<img" not in html
    assert "**bold**" in html and "[link](http://x)" in html and "<a " not in html and "<strong>" not in html
    assert "<mark>As an AI</mark>" in html and "<mark>I must note</mark>" in html  # spans, marked after escaping
    assert "&lt;b&gt;tags&lt;/b&gt;" in html
    markdown = " ".join(m.value for m in at.markdown)
    assert "alert(1)" not in markdown and "**bold**" not in markdown


def test_audit_slice_reviews_give_a_corrected_prevalence(env: Path) -> None:
    at = page("review").run()
    at.radio(key="queue_mode").set_value("Audit slice").run()
    for _ in range(3):
        button(at, "Accept").click().run()
        assert not at.exception
    at = page("overview").run()
    row = at.dataframe[0].value.iloc[0]
    assert row["audited"] >= 3 and row["corrected prevalence"] != "no audit reviews yet"


def test_export_builds_a_verified_batch_and_offers_it(env: Path) -> None:
    at = open_candidate(env, pending_ids(env, 1)[0])
    button(at, "Accept").click().run()
    at = page("export").run()
    assert not at.exception and at.info[0].value == "No batch built yet."
    button(at, "Build batch").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    batch = next((env / "batches").glob("batch-*"))
    manifest = verify_batch(batch)
    assert manifest.batch_id in at.success[0].value and manifest.batch_id in at.subheader[0].value
    assert json.loads(at.json[-1].value)["batch_id"] == manifest.batch_id
    assert at.get("download_button")


def test_drift_page_without_events_says_so(env: Path) -> None:
    at = page("drift").run()
    assert not at.exception and "No drift events yet" in at.info[0].value


def test_password_gate(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHAJA_DASHBOARD_PASSWORD", "s3cret-token")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception and at.title[0].value == "Sahaja dashboard" and not at.dataframe
    at.text_input[0].input("wrong")
    button(at, "Sign in").click().run()
    assert at.error[0].value == "Wrong password or token." and not at.dataframe
    at.text_input[0].input("s3cret-token")
    button(at, "Sign in").click().run()
    assert not at.exception and at.title[0].value == "Residual misalignment" and at.dataframe


def test_app_without_password_opens_every_page(env: Path) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert at.title[0].value == "Residual misalignment"
    for name, title in [("drift", "Drift"), ("review", "Review queue"), ("export", "Export a feedback batch")]:
        at.switch_page(f"pages/{name}.py").run()
        assert not at.exception and at.title[0].value == title


def test_launch_serves_the_app_and_stops_on_sigterm(env: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"import sys; from dashboard.launch import main; sys.exit(main({str(env)!r}, {port}, '127.0.0.1'))"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, body = time.monotonic() + 60, b""
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:  # noqa: S310
                    body = r.read()
            except OSError:
                time.sleep(0.3)
        assert body == b"ok"
    finally:
        process.send_signal(signal.SIGTERM)
        rc = process.wait(timeout=30)
    output = process.stdout.read().decode() if process.stdout else ""
    assert rc == 0 and f"port {port}" in output
    with socket.socket() as s:  # streamlit went down with the launcher: nothing listens on the port
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_empty_and_broken_lakes_are_explained_not_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(tmp_path / "nothing-here"))
    expected = {"overview": "No score records", "drift": "No drift events yet", "review": "Nothing pending",
                "export": "No batch built yet"}  # fmt: skip
    for name, text in expected.items():
        at = page(name).run()
        assert not at.exception and not at.error and text in at.info[0].value, name
    broken = tmp_path / "broken" / "scores" / "date=2026-11-20" / "detector=hedging"
    broken.mkdir(parents=True)
    (broken / "t+0+00000000000000000000+00000000000000000001.parquet").write_bytes(b"not parquet")
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(tmp_path / "broken"))
    at = page("overview").run()
    assert not at.exception and at.error[0].value.startswith("Cannot read the lake")
