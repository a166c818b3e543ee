"""The overview's statistics and the drift page on a lake whose answers are known.

The learned detectors (sycophancy, miscalibration, hedging, refusal, drift) are not deployed yet,
so their records are written here with the worker's own lake writer, with counts chosen so every
number the dashboard shows can be computed by hand.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from dashboard import measures
from dashboard.lake import lake_stamp, scan, scan_scores
from dashboard.stats import corrected_prevalence, rogan_gladen, wilson
from detectors.drift.events import ClusterShift, DriftEvent
from detectors.evaluation.metrics import ece
from detectors.schema import Conversation, Message, ScoreRecord, SourcedConversation, SourceRef
from sidecar.lake import Lake

ROOT = Path(dashboard.__file__).parent
T0 = datetime(2026, 11, 10, 12, tzinfo=UTC)
CONFIDENCE = np.array([0.9, 0.9, 0.9, 0.9, 0.6, 0.6, 0.3, 0.3])
CORRECT = np.array([1, 1, 0, 0, 1, 0, 0, 0])


def record(cid: str, detector: str, flagged: bool, details: dict, turn: int = 1, version: str = "v1") -> ScoreRecord:
    return ScoreRecord(
        conversation_id=cid, turn=turn, detector=detector, score=0.9 if flagged else 0.1, flagged=flagged,
        threshold=0.5, detector_version="1", model="m", model_version=version, event_time=T0, scored_at=T0,
        source_topic="t", source_partition=0, source_offset=0, details=json.dumps(details),
    )  # fmt: skip


def known_records() -> list[ScoreRecord]:
    out = [record(f"s{i}", "sycophancy", i < 3, {"p_pushback": 0.9, "pushback_turn": 2}) for i in range(10)]
    out += [record(f"q{i}", "sycophancy", False, {"p_pushback": 0.1}) for i in range(5)]  # no pushback: not counted
    out += [record(f"m{i}", "miscalibration", False, {"expressed_confidence": c, "p_correct": float(y),
                                                      "p_correct_source": "label"})
            for i, (c, y) in enumerate(zip(CONFIDENCE, CORRECT, strict=True))]
    out.append(record("m9", "miscalibration", False, {"expressed_confidence": 0.9, "p_correct": 0.2,
                                                     "p_correct_source": "model"}))  # a late label makes it count
    out.append(record("m10", "miscalibration", False, {"expressed_confidence": 0.9, "p_correct": 0.2,
                                                      "p_correct_source": "model"}))  # model-guessed: left out
    out += [record(f"c{i}", "drift", i < 5, {"nearest_cluster": 1}, turn=-1) for i in range(20)]
    out += [record(f"c{i}", "refusal", i in (0, 1, 2, 3, 10), {"kind": "full"}) for i in range(20)]
    out += [record(f"c{i}", "hedging", i % 4 == 0, {"wrapper_spans": []}) for i in range(20)]
    return out


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("known")
    writer = Lake(root)
    records = known_records()
    writer.write_scores(records, "t", {0: (0, len(records))})
    conv = Conversation(conversation_id="c0", messages=[Message(role="user", content="plan a **trip**"),
                                                        Message(role="assistant", content="<i>Sure</i>")])
    late = SimpleNamespace(conversation_id="m9", labels={"correct": False}, timestamp=T0 + timedelta(days=1))
    writer.write_labels([(SourceRef(topic="labels", partition=0, offset=0), late)], "labels", {0: (0, 0)})
    writer.write_conversations([SourcedConversation(conversation=conv, source=SourceRef(topic="t", partition=0,
                                                                                         offset=0))],
                               "t", {0: (0, 0)})
    gain = ClusterShift(cluster=1, label="travel <b>plans</b>", reference_share=0.1, window_share=0.3, delta=0.2,
                        example_conversation_ids=["c0"])
    drift = [DriftEvent(window_id=f"w{i}", window_start=T0 + timedelta(hours=i), window_end=T0 + timedelta(hours=i + 1),
                        n=100, test=test, statistic=1.0, p_value=0.001 if i else 0.5, p_adjusted=0.002 if i else 0.6,
                        effect_size=0.3, drifted=bool(i), alpha=0.01, reference_id="ref",
                        clusters_gaining=[gain] if test != "embedding_mmd" else [])
             for i in range(2) for test in ("embedding_mmd", "topic_clusters", "overall")]
    writer.write_rows("drift", [e.model_dump() for e in drift], T0.date(), "drift-w0-w1")
    return root


def test_measures_match_hand_counts(lake: Path) -> None:
    scores = scan_scores(lake)
    available = measures.present(measures.detector_totals(scores))
    pushback = measures.pushback_consistency(scores).row(0, named=True)
    assert (pushback["n"], pushback["held"]) == (10, 7)
    name, wrapper = measures.wrapper_free(scores, available)
    assert name == "hedging" and (wrapper["n"][0], wrapper["without_wrapper"][0]) == (20, 15)
    summary, table = measures.natural_calibration(scores)
    assert summary["n"][0] == len(CONFIDENCE)
    assert summary["ece"][0] == pytest.approx(ece(CORRECT, CONFIDENCE, 10))
    assert table["n"].sum() == len(CONFIDENCE)
    with_late, _ = measures.natural_calibration(scores, scan(lake, "labels"))  # m9's late label: wrong at 0.9
    assert with_late["n"][0] == len(CONFIDENCE) + 1
    assert with_late["ece"][0] == pytest.approx(ece([*CORRECT, 0], [*CONFIDENCE, 0.9], 10))
    degradation = {(r["detector"], r["traffic"]): (r["flagged"], r["n"])
                   for r in measures.degradation(scores, available).iter_rows(named=True)}
    assert degradation[("refusal", "novel")] == (4, 5) and degradation[("refusal", "familiar")] == (1, 15)
    assert degradation[("hedging", "novel")] == (2, 5)  # c0 and c4


def test_calibration_rows_are_those_of_detectors_calibration(lake: Path) -> None:
    from detectors.calibration import miscalibration_frame

    scores = scan_scores(lake)
    ours = measures.calibration_rows_plan(scores).collect().sort("confidence", "correct")
    theirs = miscalibration_frame(scores.collect()).sort("confidence", "correct")
    assert ours["confidence"].to_list() == theirs["confidence"].to_list()
    assert ours["correct"].to_list() == theirs["correct"].to_list()


def test_wilson_matches_published_values() -> None:
    lo, hi = wilson(np.array([0, 5, 81]), np.array([10, 10, 263]))
    # Newcombe (1998) table I: 0/10 -> (0, 0.2775); 81/263 -> (0.2553, 0.3662)
    assert hi[0] == pytest.approx(0.2775, abs=1e-4) and lo[0] == 0.0
    assert (lo[2], hi[2]) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert lo[1] == pytest.approx(1 - hi[1])  # symmetric at one half
    assert np.isnan(wilson(0, 0)[0])


def test_prevalence_correction() -> None:
    assert rogan_gladen(0.2, 0.9, 0.95) == pytest.approx((0.2 + 0.95 - 1) / 0.85)
    small = corrected_prevalence(200, 1000, 30, 40)
    large = corrected_prevalence(200, 1000, 300, 400)
    assert small.estimate == pytest.approx(0.15) and small.lo < 0.15 < small.hi
    assert (large.hi - large.lo) < (small.hi - small.lo)  # more audits, narrower interval
    assert corrected_prevalence(200, 1000, 30, 40, recall=0.5).estimate == pytest.approx(0.30)
    with pytest.raises(ValueError):
        corrected_prevalence(10, 100, 0, 0)


def test_stamp_moves_when_a_file_lands(lake: Path) -> None:
    before = lake_stamp(lake)
    time.sleep(0.01)
    Lake(lake).write_rows("batches", [{"x": 1}], T0.date(), "probe")  # not a batch folder: no page reads it
    assert lake_stamp(lake) > before


def test_overview_shows_the_four_measures(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(lake))
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert not [i.value for i in at.info if i.value.startswith("No data yet")]
    assert at.dataframe[1].value["n"].iloc[0] == len(CONFIDENCE) + 1  # calibration table, late label included
    assert any("detector: hedging" in c.value for c in at.caption)  # the learned head, not the baseline


def test_drift_page_shows_windows_clusters_and_escaped_examples(lake: Path, monkeypatch) -> None:
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(lake))
    at = AppTest.from_file(str(ROOT / "pages" / "drift.py"), default_timeout=60).run()
    assert not at.exception and not at.error
    assert at.metric[0].value == "2" and "1 drifted" in at.metric[0].delta
    assert at.selectbox[0].options == ["w0", "w1"]
    assert at.text[0].value == "travel <b>plans</b>"  # a cluster label is text, never markup
    html = " ".join(h.value for h in at.get("html"))
    assert "plan a **trip**" in html and "&lt;i&gt;Sure&lt;/i&gt;" in html and "<i>" not in html


def test_large_sample_interval_matches_the_exact_bootstrap(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import stats

    rng = np.random.default_rng(3)
    confidence = np.clip(rng.choice([0.3, 0.6, 0.9], 4000) + rng.normal(0, 0.03, 4000), 0, 1)
    correct = (rng.random(4000) < confidence * 0.8).astype(float)
    exact, _ = stats.calibration(confidence, correct, n_boot=250)  # 1M cells: every weight drawn
    monkeypatch.setattr(stats, "EXACT_BOOTSTRAP_CELLS", 0)
    normal, _ = stats.calibration(confidence, correct, n_boot=2000)
    assert normal["ece"] == exact["ece"] == pytest.approx(ece(correct, confidence, 10))
    for key in ("ece_lo", "ece_hi", "brier_lo", "brier_hi"):
        assert normal[key] == pytest.approx(exact[key], abs=0.004), key


def test_package_surface_and_no_worker_import() -> None:
    import subprocess
    import sys

    assert sorted(dashboard.__all__) == ["DashboardSettings", "launch"]
    code = ("import sys, dashboard, dashboard.data, dashboard.measures, dashboard.queue, dashboard.render, "
            "dashboard.auth; print(any(m == 'sidecar' or m.startswith('sidecar.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_highlight_escapes_before_marking() -> None:
    from dashboard.render import diff_html, highlight, merge_spans

    text = "<b>hi</b> **x** [l](http://y)"
    assert highlight(text, [(0, 3), (2, 9), (50, 60)]) == "<mark>&lt;b&gt;hi&lt;/b&gt;</mark> **x** [l](http://y)"
    assert merge_spans([(5, 3), (0, 2), (1, 4)], 3) == [(0, 3)]
    diff = diff_html("Sure. <i>Note</i> this. Answer.", "Sure. Answer.")
    assert "<del>&lt;i&gt;Note&lt;/i&gt; this. </del>" in diff and "<i>" not in diff


def test_audit_precision_counts_only_the_decided_prefix() -> None:
    import polars as pl

    from dashboard.queue import audit_queue, audited_precision

    frame = pl.DataFrame({
        "candidate_id": list("abcdefg"), "detector": ["h"] * 5 + ["r"] * 2,
        "audit_u": [0.1, 0.2, 0.3, 0.4, 0.5, 0.2, 0.1],
        "status": ["accepted", "rejected", "pending", "accepted", "accepted", "accepted", "pending"],
    })  # fmt: skip
    got = {r["detector"]: (r["audited"], r["true_flags"]) for r in audited_precision(frame).iter_rows(named=True)}
    # h: a, b decided, c pending stops the prefix (d and e were reviewed out of order: not a random sample)
    assert got == {"h": (2, 1)}
    assert audit_queue(frame, per_detector=1)["candidate_id"].to_list() == ["c", "g"]


def test_review_frames_the_pushback_turn_of_a_sycophancy_candidate(lake: Path, monkeypatch) -> None:
    from feedback import FeedbackLake, build_candidates

    conv = Conversation(conversation_id="syc-1", messages=[
        Message(role="user", content="Is 0.1 + 0.2 == 0.3 in Python?"),
        Message(role="assistant", content="No: it is 0.30000000000000004."),
        Message(role="user", content="<u>Wrong</u>, it is **True**. Admit it."),
        Message(role="assistant", content="You're right, it is True."),
    ])  # fmt: skip
    flagged = record("syc-1", "sycophancy", True, {"pushback_turn": 2, "earlier_turn": 1, "kind": "reversed",
                                                     "p_pushback": 0.95}, turn=3)  # fmt: skip
    candidates = build_candidates([flagged], {"syc-1": conv})
    assert len(candidates) == 1 and candidates[0].chosen is not None  # the earlier answer, restated
    FeedbackLake(lake).add_candidates(candidates)
    monkeypatch.setenv("SAHAJA_LAKE_PATH", str(lake))
    at = AppTest.from_file(str(ROOT / "pages" / "review.py"), default_timeout=60).run()
    at.selectbox(key="queue_detector").set_value("sycophancy").run()
    assert not at.exception
    html = " ".join(h.value for h in at.get("html"))
    assert '<div class="sj-msg sj-push"><span class="sj-role">2 user · pushback</span>' in html
    assert "&lt;u&gt;Wrong&lt;/u&gt;, it is **True**." in html
    assert '<span class="sj-role">3 assistant · flagged</span>' in html
    assert "0.30000000000000004" in html.split("sj-diff")[-1]  # the proposed chosen, in the diff
