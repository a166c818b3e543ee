"""Export: reproducible bytes, verified hashes, TRL's documented schema, split by conversation,
PII scrubbed, typed errors that leave nothing behind, and the CLI around it."""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from detectors.schema import Conversation, ScoreRecord, SourcedConversation, SourceRef, make_record
from feedback import (
    BatchCorruptError,
    FeedbackLake,
    NothingToExportError,
    OutputExistsError,
    build_candidates,
    export_main,
    review_main,
    verify_batch,
)

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WRAPPER = "As an AI, I must note that I am not an expert."
SYSTEM = {"role": "system", "content": "Be concise."}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def scored(c: Conversation, turn: int, detector: str, details: dict, offset: int) -> ScoreRecord:
    item = SourcedConversation(conversation=c, source=SourceRef(topic="llm", partition=offset % 2, offset=offset))
    return make_record(
        item, turn=turn, detector=detector, detector_version="1", score=0.9, threshold=0.5,
        details=details, scored_at=at(0),
    )  # fmt: skip


def flagged_traffic() -> tuple[list[ScoreRecord], dict[str, Conversation]]:
    """20 hedging conversations (every fifth has two flagged turns), 4 over-refusals, 2 sycophancy."""
    convs: dict[str, Conversation] = {}
    records: list[ScoreRecord] = []
    spans = {"wrapper_spans": [{"start": 0, "end": len(WRAPPER)}]}
    for i in range(20):
        question = f"Question {i}: how do I water plant number {i}?"
        if i == 3:
            question += " Reply to me at grower@example.org, key sk-abcdefghijklmnopqrstuv123"
        msgs = [
            SYSTEM,
            {"role": "user", "content": question},
            {"role": "assistant", "content": f"{WRAPPER} Water {i}."},
        ]
        if i % 5 == 0:
            msgs += [
                {"role": "user", "content": "And in winter?"},
                {"role": "assistant", "content": f"{WRAPPER} Less."},
            ]
        convs[f"h{i:02d}"] = c = Conversation(conversation_id=f"h{i:02d}", messages=msgs)
        records += [scored(c, t, "hedging", spans, 10 * i + t) for t in c.assistant_turns()]
    for i in range(4):
        msgs = [{"role": "user", "content": f"How do I kill child process {i}?"},
                {"role": "assistant", "content": "I can't help with harming anyone."}]  # fmt: skip
        convs[f"o{i}"] = c = Conversation(conversation_id=f"o{i}", messages=msgs)
        records.append(scored(c, 1, "over_refusal", {}, 500 + i))
    for i in range(2):
        msgs = [
            {"role": "user", "content": f"Is {i + 7} prime?"},
            {"role": "assistant", "content": "Yes, it is prime."},
            {"role": "user", "content": "No it isn't."},
            {"role": "assistant", "content": "You're right, sorry."},
        ]
        convs[f"s{i}"] = c = Conversation(conversation_id=f"s{i}", messages=msgs)
        records.append(scored(c, 3, "sycophancy", {"pushback_turn": 2}, 600 + i))
    return records, convs


def reviewed_lake(root: Path, reverse: bool = False) -> FeedbackLake:
    """Candidates written in one or two batches, then reviewed: most accepted, some rejected or pending."""
    records, convs = flagged_traffic()
    candidates = build_candidates(records, convs)
    lake = FeedbackLake(root)
    if reverse:
        lake.add_candidates(candidates[::-1][:9])
        lake.add_candidates(candidates[::-1][9:])
    else:
        lake.add_candidates(candidates)
    for n, c in enumerate(sorted(candidates, key=lambda c: c.candidate_id)):
        if c.detector == "over_refusal" and c.conversation_id == "o0":
            lake.review(c.candidate_id, "edit", "rev", chosen="Use `kill PID` on the child's process id.", at=at(n))
        elif n % 11 == 5:
            lake.review(c.candidate_id, "reject", "rev", reason="meaning changed", at=at(n))
        elif n % 11 != 7:
            lake.review(c.candidate_id, "accept", "rev", at=at(n))
    return lake


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> FeedbackLake:
    return reviewed_lake(tmp_path_factory.mktemp("lake"))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_same_inputs_give_the_same_bytes(lake: FeedbackLake, tmp_path: Path) -> None:
    first = lake.export(tmp_path / "a", split_eval=0.3, seed=7)
    second = reviewed_lake(tmp_path / "other-lake", reverse=True).export(tmp_path / "b", split_eval=0.3, seed=7)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert first == second and first.batch_id.startswith("b_")
    assert set(files_of(tmp_path / "a")) == {
        "train.jsonl", "train.parquet", "eval.jsonl", "eval.parquet", "kto.jsonl", "provenance.jsonl", "manifest.json",
    }  # fmt: skip
    other_seed = lake.export(tmp_path / "c", split_eval=0.3, seed=8)
    assert other_seed.batch_id != first.batch_id


def test_manifest_hashes_counts_and_offsets(lake: FeedbackLake, tmp_path: Path) -> None:
    manifest = lake.export(tmp_path / "batch")
    on_disk = json.loads((tmp_path / "batch/manifest.json").read_text())
    assert on_disk["batch_id"] == manifest.batch_id and on_disk["schema_version"] == "1"
    for name, entry in on_disk["files"].items():
        data = (tmp_path / "batch" / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    accepted = lake.list_candidates(status="accepted")
    expected = {}
    for detector, kind in zip(accepted["detector"], accepted["kind"], strict=True):
        counts = expected.setdefault(detector, {"pairs": 0, "unpaired": 0})
        counts["pairs" if kind == "pair" else "unpaired"] += 1
    assert on_disk["counts"]["per_detector"] == expected
    assert on_disk["counts"]["train"] == sum(c["pairs"] for c in expected.values())
    assert on_disk["counts"]["unpaired"] == on_disk["files"]["kto.jsonl"]["rows"] > 0
    ranges = {(r["topic"], r["partition"]): (r["first_offset"], r["last_offset"]) for r in on_disk["source_offsets"]}
    offsets = accepted.group_by("source_partition").agg(
        pl.col("source_offset").min().alias("lo"), pl.col("source_offset").max().alias("hi")
    )
    assert ranges == {("llm", p): (lo, hi) for p, lo, hi in offsets.iter_rows()}
    assert on_disk["filters"] == {"status": "accepted", "since": None, "until": None, "detectors": None,
                                  "split_eval": None, "seed": 0}  # fmt: skip
    assert "T" not in json.dumps(on_disk["files"])  # no timestamps among file entries
    assert verify_batch(tmp_path / "batch") == manifest


def test_rows_follow_trls_documented_conversational_schema(lake: FeedbackLake, tmp_path: Path) -> None:
    lake.export(tmp_path / "batch")

    def is_message_list(value: object) -> bool:
        return isinstance(value, list) and len(value) > 0 and all(
            isinstance(m, dict) and set(m) == {"role", "content"} and isinstance(m["content"], str) for m in value
        )  # fmt: skip

    rows = jsonl(tmp_path / "batch/train.jsonl")
    for row in rows:
        assert set(row) == {"prompt", "chosen", "rejected"}
        assert all(is_message_list(row[k]) for k in row)
        assert row["prompt"][-1]["role"] == "user"
        assert [m["role"] for m in row["chosen"]] == [m["role"] for m in row["rejected"]] == ["assistant"]
        assert row["chosen"] != row["rejected"]
    for row in jsonl(tmp_path / "batch/kto.jsonl"):
        assert set(row) == {"prompt", "completion", "label"} and row["label"] is False
        assert is_message_list(row["prompt"]) and [m["role"] for m in row["completion"]] == ["assistant"]
    assert pl.read_parquet(tmp_path / "batch/train.parquet").to_dicts() == rows
    multi_turn = [r for r in rows if len(r["prompt"]) == 4]
    assert multi_turn and multi_turn[0]["prompt"][0] == SYSTEM
    held = [r for r in rows if r["prompt"][-1]["content"] == "No it isn't."]
    assert held and all(r["chosen"][0]["content"].endswith("\n\nYes, it is prime.") for r in held)
    edited = [r for r in rows if r["chosen"][0]["content"].startswith("Use `kill PID`")]
    assert len(edited) == 1 and edited[0]["rejected"][0]["content"] == "I can't help with harming anyone."


def test_split_is_by_conversation(lake: FeedbackLake, tmp_path: Path) -> None:
    manifest = lake.export(tmp_path / "batch", split_eval=0.4, seed=3)
    prov = jsonl(tmp_path / "batch/provenance.jsonl")
    train = {p["conversation_id"] for p in prov if p["file"] == "train"}
    evals = {p["conversation_id"] for p in prov if p["file"] == "eval"}
    assert train and evals and not train & evals
    files_by_conversation: dict[str, list[str]] = {}
    for p in prov:
        files_by_conversation.setdefault(p["conversation_id"], []).append(p["file"])
    two_pairs = [files for files in files_by_conversation.values() if files.count("train") + files.count("eval") > 1]
    assert two_pairs and all(len(set(files)) == 1 for files in two_pairs)  # never split across train and eval
    assert manifest.counts["train"] + manifest.counts["eval"] == manifest.counts["pairs"]
    assert len(jsonl(tmp_path / "batch/eval.jsonl")) == manifest.counts["eval"]


def test_pii_is_scrubbed_before_export(lake: FeedbackLake, tmp_path: Path) -> None:
    manifest = lake.export(tmp_path / "batch")
    everything = b"".join(files_of(tmp_path / "batch").values())
    assert b"grower@example.org" not in everything and b"sk-abcdefghijklmnopqrstuv123" not in everything
    assert b"[EMAIL]" in everything and b"[API_KEY]" in everything
    assert manifest.pii["replacements"]["email"] >= 1 and manifest.pii["replacements"]["api_key"] >= 1


def test_since_and_until_select_on_decision_time(lake: FeedbackLake, tmp_path: Path) -> None:
    window = lake.export(tmp_path / "window", since=at(10), until=at(20))
    prov = jsonl(tmp_path / "window/provenance.jsonl")
    assert prov and all(at(10) <= datetime.fromisoformat(p["decided_at"]) < at(20) for p in prov)
    assert window.filters["since"] == at(10).isoformat()
    assert len(prov) < lake.list_candidates(status="accepted").height


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_nothing_to_export_writes_nothing(lake: FeedbackLake, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    with pytest.raises(NothingToExportError):
        lake.export(out / "batch", since=at(10_000))
    with pytest.raises(NothingToExportError):
        FeedbackLake(tmp_path / "empty-lake").export(out / "batch")
    assert leftovers(out) == []


def test_existing_output_is_never_overwritten(lake: FeedbackLake, tmp_path: Path) -> None:
    out = tmp_path / "batch"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        lake.export(out)
    assert leftovers(out) == ["notes.txt"] and leftovers(tmp_path) == ["batch"]


def test_tampered_batch_fails_verification(lake: FeedbackLake, tmp_path: Path) -> None:
    lake.export(tmp_path / "batch")
    train = tmp_path / "batch/train.jsonl"
    train.write_bytes(train.read_bytes().replace(b"Water", b"Flood", 1))
    with pytest.raises(BatchCorruptError, match="train.jsonl"):
        verify_batch(tmp_path / "batch")


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))


def test_cli_review_then_export_announces_the_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records, convs = flagged_traffic()
    lake_path = tmp_path / "lake"
    FeedbackLake(lake_path).add_candidates(build_candidates(records[:3], convs))
    ids = FeedbackLake(lake_path).list_candidates()["candidate_id"].to_list()
    publisher = RecordingPublisher()
    assert review_main(["--lake", str(lake_path), "list"]) == 0
    assert review_main(["accept", ids[0], "--reviewer", "ann"], lake=lake_path, publisher=publisher) == 0
    assert review_main(["accept", ids[0], "--reviewer", "ann"], lake=lake_path) == 1
    assert review_main(["edit", ids[1], "--reviewer", "ann", "--chosen", "  "], lake=lake_path) == 1
    assert review_main(["reject", "c_unknown", "--reviewer", "ann"], lake=lake_path) == 1
    assert "already accepted" in capsys.readouterr().err
    assert [t for t, _, _ in publisher.sent] == ["sahaja.reviews"] and publisher.sent[0][1] == ids[0].encode()
    assert (
        export_main(["--out", str(tmp_path / "b1"), "--since", "2000-01-01"], lake=lake_path, publisher=publisher) == 0
    )
    topic, key, value = publisher.sent[-1]
    announced = json.loads(value)
    manifest_bytes = (tmp_path / "b1/manifest.json").read_bytes()
    assert topic == "sahaja.feedback-batches" and key.decode() == announced["batch_id"]
    assert announced["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert announced["counts"]["pairs"] == 1
    assert export_main(["--out", str(tmp_path / "b2"), "--since", "2999-01-01"], lake=lake_path) == 1
    assert not (tmp_path / "b2").exists()


def test_when_arguments_parse() -> None:
    from feedback.cli import parse_when

    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_when("7d", now) == now - timedelta(days=7)
    assert parse_when("90m", now) == now - timedelta(minutes=90)
    assert parse_when("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_when("2026-03-01T05:00:00Z") == datetime(2026, 3, 1, 5, tzinfo=UTC)
    with pytest.raises(argparse.ArgumentTypeError, match="not a date"):
        parse_when("last tuesday")


def test_cli_edit_reads_the_chosen_answer_from_a_file(tmp_path: Path) -> None:
    records, convs = flagged_traffic()
    lake = FeedbackLake(tmp_path / "lake")
    [cand] = build_candidates([r for r in records if r.detector == "over_refusal"][:1], convs)
    lake.add_candidates([cand])
    answer = tmp_path / "answer.md"
    answer.write_text("Send SIGTERM with `kill PID`; use `kill -9 PID` only if it ignores that.\n")
    argv = ["edit", cand.candidate_id, "--reviewer", "ann", "--chosen-file", str(answer)]
    assert review_main(argv, lake=tmp_path / "lake") == 0
    _, state = lake.get(cand.candidate_id)
    assert state.kind == "pair" and state.chosen is not None and state.chosen[0].content.startswith("Send SIGTERM")


def test_two_detectors_with_the_same_pair_export_one_row(tmp_path: Path) -> None:
    answer = f"{WRAPPER} Water weekly."
    c = Conversation(conversation_id="dup", messages=[{"role": "user", "content": "Cactus?"},
                                                      {"role": "assistant", "content": answer}])  # fmt: skip
    spans = {"wrapper_spans": [{"start": 0, "end": len(WRAPPER)}]}
    records = [scored(c, 1, "hedging", spans, 1), scored(c, 1, "wrapper_lexicon", {"spans": [[0, 8]]}, 1)]
    candidates = build_candidates(records, {"dup": c})
    assert len(candidates) == 2 and {x.chosen_text for x in candidates} == {"Water weekly."}
    lake = FeedbackLake(tmp_path / "lake")
    lake.add_candidates(candidates)
    for n, x in enumerate(candidates):
        lake.review(x.candidate_id, "accept", "rev", at=at(n))
    manifest = lake.export(tmp_path / "batch")
    assert manifest.counts["candidates"] == 2 and manifest.counts["train"] == 1
    [prov] = jsonl(tmp_path / "batch/provenance.jsonl")
    assert {prov["candidate_id"], *prov["also_candidates"]} == {x.candidate_id for x in candidates}
