"""Candidate factory, rewrites, re-scoring, dedupe and PII scrubbing on hand-written conversations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detectors.config import DetectorConfig
from detectors.pipeline import Scorer
from detectors.schema import Conversation, ScoreRecord, SourcedConversation, SourceRef, make_record
from feedback import build_candidates, default_scrubber, scorer_rescorer
from feedback.rewrites import SYCOPHANCY_TEMPLATES, remove_spans

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SYSTEM = {"role": "system", "content": "You are a helpful assistant."}


def conv(cid: str, *turns: tuple[str, str], system: bool = True) -> Conversation:
    messages = ([SYSTEM] if system else []) + [{"role": r, "content": c} for r, c in turns]
    return Conversation(conversation_id=cid, messages=messages, model="m", model_version="v1")


def record(
    c: Conversation, turn: int, detector: str, details: dict, *, score: float = 0.9, offset: int = 7, at=T0
) -> ScoreRecord:
    item = SourcedConversation(conversation=c, source=SourceRef(topic="llm.conversations", partition=1, offset=offset))
    return make_record(
        item, turn=turn, detector=detector, detector_version="2.0.0", score=score, threshold=0.5,
        details=details, scored_at=at,
    )  # fmt: skip


def spans_of(text: str, *parts: str) -> list[dict]:
    return [{"start": text.index(p), "end": text.index(p) + len(p), "text": p} for p in parts]


@pytest.mark.parametrize(
    ("answer", "wrappers", "expected"),
    [
        (
            "As an AI, I don't have opinions. Paris is the capital of France.",
            ["As an AI, I don't have opinions."],
            "Paris is the capital of France.",
        ),
        (
            "Take ibuprofen with food. It's important to consult a doctor first.\n\nDrink water too.",
            ["It's important to consult a doctor first."],
            "Take ibuprofen with food.\n\nDrink water too.",
        ),
        (
            "It's important to note that ibuprofen can upset your stomach.",
            ["It's important to note"],
            "Ibuprofen can upset your stomach.",
        ),
        (
            "Plan:\n\n- As an AI I can't give medical advice.\n- Rest for two days.",
            ["As an AI I can't give medical advice."],
            "Plan:\n\n- Rest for two days.",
        ),
        (
            "The dose is 200 mg, although I must stress I am not a doctor. Repeat every 6 hours.",
            [", although I must stress I am not a doctor"],
            "The dose is 200 mg. Repeat every 6 hours.",
        ),
        (
            "I'm not a doctor. However, rest helps most sprains.",
            ["I'm not a doctor."],
            "Rest helps most sprains.",
        ),
    ],
)
def test_hedging_chosen_removes_wrapper_and_repairs_seams(answer: str, wrappers: list[str], expected: str) -> None:
    c = conv("h1", ("user", "My ankle hurts, what should I do?"), ("assistant", answer))
    [cand] = build_candidates([record(c, 2, "hedging", {"wrapper_spans": spans_of(answer, *wrappers)})], {"h1": c})
    assert cand.chosen_text == expected
    assert cand.kind == "pair" and cand.chosen_status == "proposed"
    assert [m.role for m in cand.prompt] == ["system", "user"]
    assert cand.prompt[0].content == SYSTEM["content"]
    assert [(m.role, m.content) for m in cand.rejected] == [("assistant", answer)]


def test_candidate_carries_provenance() -> None:
    answer = "As an AI, I must note that. Paris."
    c = conv("p1", ("user", "Capital of France?"), ("assistant", answer))
    rec = record(c, 2, "hedging", {"wrapper_spans": spans_of(answer, "As an AI, I must note that.")}, offset=41)
    [cand] = build_candidates([rec], {"p1": c})
    assert (cand.conversation_id, cand.turn, cand.detector, cand.detector_version) == ("p1", 2, "hedging", "2.0.0")
    assert (cand.source_topic, cand.source_partition, cand.source_offset) == ("llm.conversations", 1, 41)
    assert (cand.score, cand.threshold, cand.model, cand.model_version) == (0.9, 0.5, "m", "v1")
    assert cand.created_at == T0 and cand.duplicate_count == 1
    assert cand.details["evidence"]["wrapper_spans"][0]["text"] == "As an AI, I must note that."
    assert len(cand.content_hash) == 64 and cand.candidate_id.startswith("c_")


def test_multi_turn_prompt_keeps_everything_before_the_flagged_turn() -> None:
    answer = "As an AI I can't say. It is 4."
    c = conv("m1", ("user", "Hi"), ("assistant", "Hello!"), ("user", "2+2?"), ("assistant", answer), ("user", "ok"))
    [cand] = build_candidates([record(c, 4, "hedging", {"spans": [[0, 21]]})], {"m1": c})
    assert [m.content for m in cand.prompt] == [SYSTEM["content"], "Hi", "Hello!", "2+2?"]
    assert cand.chosen_text == "It is 4."


def test_sycophancy_chosen_restates_the_earlier_answer() -> None:
    earlier = "The capital of Australia is Canberra."
    c = conv(
        "s1",
        ("user", "What is the capital of Australia?"),
        ("assistant", earlier),
        ("user", "No, I'm quite sure it's Sydney."),
        ("assistant", "You're right, I apologise: it is Sydney."),
    )
    details = {"pushback_turn": 3, "earlier_turn": 2, "earlier_answer": "(stale copy)", "kind": "reversed"}
    [cand] = build_candidates([record(c, 4, "sycophancy", details)], {"s1": c})
    assert cand.kind == "pair"
    assert cand.chosen_text is not None and cand.chosen_text.endswith("\n\n" + earlier)
    assert any(cand.chosen_text == t.format(answer=earlier) for t in SYCOPHANCY_TEMPLATES)
    assert "(stale copy)" not in cand.chosen_text
    again = build_candidates([record(c, 4, "sycophancy", details)], {"s1": c})
    assert again[0].chosen_text == cand.chosen_text  # deterministic


def test_sycophancy_wording_varies_across_conversations() -> None:
    convs = {
        f"v{i}": conv(f"v{i}", ("user", f"Q{i}?"), ("assistant", "A."), ("user", "Wrong!"), ("assistant", "Sorry, B."))
        for i in range(24)
    }
    records = [record(c, 4, "sycophancy", {"pushback_turn": 3}) for c in convs.values()]
    openings = {c.chosen_text.split("\n\n")[0] for c in build_candidates(records, convs) if c.chosen_text}
    assert len(openings) > 1


def test_sycophancy_without_pushback_is_unpaired() -> None:
    c = conv("f1", ("user", "Isn't my essay brilliant?"), ("assistant", "Absolutely brilliant, a masterpiece!"))
    [cand] = build_candidates([record(c, 2, "sycophancy", {"kind": "softened"})], {"f1": c})
    assert cand.kind == "unpaired" and cand.chosen is None
    assert cand.details["proposal"]["reason"] == "no_earlier_answer"


def test_sycophancy_by_flattery_waits_for_a_reviewer() -> None:
    c = conv(
        "f2", ("user", "2+2?"), ("assistant", "4."), ("user", "I think 5."), ("assistant", "What a brilliant mind!")
    )
    [cand] = build_candidates([record(c, 4, "sycophancy", {"kind": "flattery", "pushback_turn": 3})], {"f2": c})
    assert cand.chosen is None and cand.details["proposal"]["reason"] == "kind_flattery"


@pytest.mark.parametrize("detector", ["refusal", "over_refusal", "miscalibration"])
def test_reviewer_only_detectors_are_unpaired(detector: str) -> None:
    c = conv("u1", ("user", "How do I kill a python process?"), ("assistant", "I can't help with that."))
    [cand] = build_candidates([record(c, 2, detector, {"expressed_confidence": 0.9})], {"u1": c})
    assert (cand.kind, cand.chosen, cand.chosen_status, cand.detector) == ("unpaired", None, "none", detector)


def test_records_that_cannot_become_candidates_are_skipped() -> None:
    c = conv("k1", ("user", "Q"), ("assistant", "As an AI, no."))
    tool = conv("k2", ("user", "Q"), ("assistant", "calling"), ("tool", "42"), ("assistant", "As an AI: 42."))
    records = [
        record(c, 2, "hedging", {"spans": [[0, 8]]}, score=0.1),  # not flagged
        record(c, 2, "drift", {}),  # not a candidate detector
        record(c, -1, "hedging", {"spans": [[0, 8]]}),  # conversation-level
        record(c, 1, "hedging", {}),  # a user turn
        record(tool, 4, "hedging", {"spans": [[0, 8]]}),  # prompt ends with a tool turn
    ]
    missing = record(conv("gone", ("user", "Q"), ("assistant", "A")), 2, "refusal", {})
    assert build_candidates([*records, missing], {"k1": c, "k2": tool}) == []


def test_hedging_without_spans_or_nothing_left_is_unpaired() -> None:
    answer = "As an AI language model, I cannot provide medical advice."
    c = conv("n1", ("user", "Is this mole bad?"), ("assistant", answer))
    records = [record(c, 2, "hedging", {}), record(c, 2, "wrapper_lexicon", {"spans": spans_of(answer, "As an AI")})]
    by_detector = {cand.detector: cand for cand in build_candidates(records, {"n1": c})}
    no_spans, all_wrapper = by_detector["hedging"], by_detector["wrapper_lexicon"]
    assert no_spans.chosen is None and no_spans.details["proposal"]["reason"] == "no_spans"
    assert all_wrapper.chosen is None and all_wrapper.details["proposal"]["reason"] == "nothing_left"


def lexicon_scorer() -> Scorer:
    return Scorer.from_config(DetectorConfig(enabled=("wrapper_lexicon",)))


def test_rescoring_with_the_real_lexicon_scorer() -> None:
    """A clean rewrite passes; one whose spans missed a wrapper is marked and its chosen dropped."""
    scorer = lexicon_scorer()
    answer = "As an AI, I have no opinion. Rome has great food. It's important to consult a local guide."
    clean_conv = conv("r1", ("user", "Is Rome worth visiting?"), ("assistant", answer))
    partial_conv = conv("r2", ("user", "Is Rome worth a visit?"), ("assistant", answer))
    [scored] = [r for r in scorer.score([SourcedConversation(conversation=clean_conv)]).records if r.turn == 2]
    assert scored.flagged and scored.detector == "wrapper_lexicon"
    partial = record(partial_conv, 2, "wrapper_lexicon", {"spans": spans_of(answer, "As an AI")})
    built = build_candidates([scored, partial], {"r1": clean_conv, "r2": partial_conv}, scorer_rescorer(scorer))
    clean, still = sorted(built, key=lambda cand: cand.conversation_id)
    assert clean.chosen_text == "Rome has great food."
    assert clean.chosen_status == "proposed" and clean.details["proposal"]["rescore"] == {"wrapper_lexicon": 0.0}
    assert still.kind == "unpaired" and still.chosen is None and still.chosen_status == "still_flags"
    assert "consult a local guide" in still.details["proposal"]["dropped_text"]
    assert still.details["proposal"]["rescore"]["wrapper_lexicon"] >= still.threshold


def test_rescorer_leaves_detectors_it_does_not_run_unchecked() -> None:
    answer = "As an AI, I have no opinion. Rome has great food."
    c = conv("r3", ("user", "Rome?"), ("assistant", answer))
    rec = record(c, 2, "hedging", {"wrapper_spans": spans_of(answer, "As an AI, I have no opinion.")})
    [cand] = build_candidates([rec], {"r3": c}, scorer_rescorer(lexicon_scorer()))
    assert cand.chosen_status == "proposed"
    assert cand.details["proposal"]["rescored"] is False
    assert cand.details["proposal"]["reason"] == "detector did not rescore"


def test_near_duplicates_collapse_with_a_count() -> None:
    answer = "As an AI, I can't. Try again later."
    a = conv("d1", ("user", "Book me a  table"), ("assistant", answer))
    b = conv("d2", ("user", "book me a table"), ("assistant", answer + "\n"))
    later_snapshot = conv("d1", ("user", "Book me a  table"), ("assistant", answer), ("user", "thanks"))
    spans = {"wrapper_spans": spans_of(answer, "As an AI, I can't.")}
    records = [
        record(b, 2, "hedging", spans, offset=9, at=T0 + timedelta(minutes=5)),
        record(a, 2, "hedging", spans, offset=3),
        record(later_snapshot, 2, "hedging", spans, offset=12, at=T0 + timedelta(minutes=9)),
        record(a, 2, "refusal", {}, offset=3),  # another detector on the same turn: another candidate
    ]
    by_detector = {c.detector: c for c in build_candidates(records, {"d1": a, "d2": b})}
    hedge = by_detector["hedging"]
    assert hedge.duplicate_count == 2 and hedge.occurrences == ["d1#2", "d2#2"]
    assert (hedge.conversation_id, hedge.source_offset, hedge.created_at) == ("d1", 3, T0)  # earliest represents
    assert by_detector["refusal"].candidate_id != hedge.candidate_id


def test_remove_spans_ignores_empty_and_out_of_range_spans() -> None:
    assert remove_spans("Keep this.", [(5, 5), (50, 60)]) == "Keep this."


FOUND = [
    ("write to jane.doe+work@example.co.uk today", "[EMAIL]"),
    ("call +1 (415) 555-0132 after six", "[PHONE]"),
    ("ring 020 7946 0958", "[PHONE]"),
    ("key sk-proj-abcdefghijklmnop1234", "[API_KEY]"),
    ("aws AKIAIOSFODNN7EXAMPLE", "[API_KEY]"),
    ("token ghp_" + "a1" * 18, "[API_KEY]"),
    ("pay to GB82 WEST 1234 5698 7654 32", "[IBAN]"),
    ("card 4111 1111 1111 1111 exp 09/29", "[CARD]"),
    ("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "[TOKEN]"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abcdef", "[SECRET]"),
]
KEPT = [
    "pi is 3.14159 and e is 2.71828",
    "in 2023, 1,000,000 people came; version 1.2.3",
    "the range 10-20 and 2020-2021, on 2024-05-17 at 12:30:45",
    "host 192.168.1.1 and ISBN 978-3-16-148410-0",
    "card-like but not Luhn: 4111 1111 1111 1112",
    "https://en.wikipedia.org/wiki/Photosynthesis_light_dependent_reactions_overview",
]


@pytest.mark.parametrize(("text", "placeholder"), FOUND)
def test_pii_scrubber_replaces_sensitive_text(text: str, placeholder: str) -> None:
    scrubbed, counts = default_scrubber().scrub_counted(text)
    assert placeholder in scrubbed and sum(counts.values()) == 1
    assert scrubbed.split()[0] == text.split()[0]  # the words around it stay


@pytest.mark.parametrize("text", KEPT)
def test_pii_scrubber_keeps_ordinary_numbers_and_words(text: str) -> None:
    assert default_scrubber().scrub(text) == (text, 0)


def write_worker_lake(lake, items_and_records) -> None:  # noqa: ANN001
    """The worker's documented layout: scores/date=/detector=/ and conversations/date=/ files."""
    import json

    import polars as pl

    for item, records in items_and_records:
        c, s = item.conversation, item.source
        name = f"{s.topic}+{s.partition}+{s.offset:020d}+{s.offset:020d}.parquet"
        conv_dir = lake / "conversations" / "date=2026-01-05"
        conv_dir.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(
            [{"conversation_id": c.conversation_id, "model": c.model, "model_version": c.model_version,
              "event_time": T0, "source_topic": s.topic, "source_partition": s.partition, "source_offset": s.offset,
              "n_messages": len(c.messages), "labels": "{}", "metadata": "{}",
              "messages": json.dumps([m.model_dump(exclude_none=True) for m in c.messages])}],
            schema_overrides={"source_partition": pl.Int32, "n_messages": pl.Int32},
        ).write_parquet(conv_dir / name)  # fmt: skip
        for r in records:
            score_dir = lake / "scores" / "date=2026-01-05" / f"detector={r.detector}"
            score_dir.mkdir(parents=True, exist_ok=True)
            frame = pl.DataFrame([r.model_dump()]).with_columns(
                pl.col("turn").cast(pl.Int32), pl.col("source_partition").cast(pl.Int32)
            )
            frame.write_parquet(score_dir / name)


def test_candidates_from_the_worker_lake_use_the_scored_snapshot(tmp_path) -> None:  # noqa: ANN001
    from feedback.lake_source import candidates_from_lake

    answer = "As an AI, I have no taste. Try the carbonara."
    first = conv("w1", ("user", "Dinner idea?"), ("assistant", answer))
    later = conv("w1", ("user", "Dinner idea?"), ("assistant", answer), ("user", "Vegetarian?"), ("assistant", "Sure."))
    spans = {"wrapper_spans": spans_of(answer, "As an AI, I have no taste.")}
    item1 = SourcedConversation(conversation=first, source=SourceRef(topic="llm", partition=0, offset=5))
    item2 = SourcedConversation(conversation=later, source=SourceRef(topic="llm", partition=0, offset=9))

    def scored(item: SourcedConversation, turn: int, detector: str, details: dict, score: float) -> ScoreRecord:
        return make_record(item, turn=turn, detector=detector, detector_version="1", score=score, threshold=0.5,
                           details=details, scored_at=T0)  # fmt: skip

    write_worker_lake(
        tmp_path,
        [
            (item1, [scored(item1, 2, "hedging", spans, 0.9), scored(item1, 2, "refusal", {}, 0.2)]),
            (item2, [scored(item2, 2, "hedging", spans, 0.9), scored(item2, 4, "hedging", {}, 0.1)]),
        ],
    )
    [cand] = candidates_from_lake(tmp_path)  # the same turn in two snapshots is one candidate
    assert (cand.conversation_id, cand.turn, cand.source_offset, cand.duplicate_count) == ("w1", 2, 5, 1)
    assert cand.chosen_text == "Try the carbonara."
    assert candidates_from_lake(tmp_path / "no-lake") == []


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []

    def send(self, topic: str, key: bytes, value: bytes) -> None:
        self.sent.append((topic, key, value))


def test_review_sync_builds_candidates_from_the_lake_and_publishes_them(tmp_path) -> None:  # noqa: ANN001
    from feedback import candidate_from_value, review_main

    scorer = lexicon_scorer()
    items = [
        SourcedConversation(
            conversation=conv(f"y{i}", ("user", f"Q{i}?"), ("assistant", f"As an AI, I can't be sure. It is {i}.")),
            source=SourceRef(topic="llm", partition=0, offset=i),
        )
        for i in range(3)
    ]
    write_worker_lake(tmp_path, [(item, scorer.score([item]).records) for item in items])
    publisher = RecordingPublisher()
    assert review_main(["sync"], lake=tmp_path, publisher=publisher, rescorer=scorer_rescorer(scorer)) == 0
    sent = [candidate_from_value(value) for topic, _, value in publisher.sent if topic == "sahaja.dpo-candidates"]
    assert sorted(c.chosen_text or "" for c in sent) == ["It is 0.", "It is 1.", "It is 2."]
    assert all(c.details["proposal"]["rescored"] for c in sent)
    assert review_main(["sync"], lake=tmp_path, rescorer=scorer_rescorer(scorer)) == 0  # idempotent
    assert len(list((tmp_path / "candidates").rglob("*.parquet"))) == 1


def test_a_failing_rescorer_leaves_proposals_unchecked() -> None:
    answer = "As an AI, I have no opinion. Rome has great food."
    c = conv("r4", ("user", "Rome?"), ("assistant", answer))
    rec = record(c, 2, "hedging", {"wrapper_spans": spans_of(answer, "As an AI, I have no opinion.")})

    def broken(requests):  # noqa: ANN001, ANN202
        raise RuntimeError("encoder died")

    [cand] = build_candidates([rec], {"r4": c}, broken)
    assert cand.chosen_text == "Rome has great food." and cand.details["proposal"]["rescored"] is False
