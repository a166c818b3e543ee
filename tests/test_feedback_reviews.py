"""Review events: the fold's rules, bad input, and the append-only lake tables they live in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from detectors.schema import Conversation, SourcedConversation, SourceRef, make_record
from feedback import (
    Candidate,
    EmptyChosenError,
    FeedbackLake,
    ReviewConflictError,
    ReviewError,
    UnknownCandidateError,
    build_candidates,
    fold,
    new_review,
)
from feedback.store import CandidateStore, ReviewStore

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


def make_candidates() -> list[Candidate]:
    """One hedging pair and one over-refusal unpaired candidate."""
    answer = "As an AI, I have no feelings. Tea is brewed at 80 degrees for green tea."
    pair = Conversation(
        conversation_id="rv1", messages=[{"role": "user", "content": "How hot for green tea?"},
                                         {"role": "assistant", "content": answer}],
    )  # fmt: skip
    refusal = Conversation(
        conversation_id="rv2", messages=[{"role": "user", "content": "How do I kill a zombie process?"},
                                         {"role": "assistant", "content": "I can't help with violence."}],
    )  # fmt: skip
    records = []
    for offset, (c, detector, details) in enumerate(
        [(pair, "hedging", {"wrapper_spans": [{"start": 0, "end": 29}]}), (refusal, "over_refusal", {})]
    ):
        item = SourcedConversation(conversation=c, source=SourceRef(topic="in", partition=0, offset=offset))
        records.append(
            make_record(
                item,
                turn=1,
                detector=detector,
                detector_version="1",
                score=0.8,
                threshold=0.5,
                details=details,
                scored_at=T0,
            )  # fmt: skip
        )
    return build_candidates(records, {"rv1": pair, "rv2": refusal})


@pytest.fixture
def pair_and_unpaired() -> tuple[Candidate, Candidate]:
    pair, unpaired = sorted(make_candidates(), key=lambda c: c.conversation_id)
    assert pair.kind == "pair" and unpaired.kind == "unpaired"
    return pair, unpaired


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_fold_accept_keeps_the_proposed_chosen(pair_and_unpaired: tuple[Candidate, Candidate]) -> None:
    pair, _ = pair_and_unpaired
    assert fold(pair, []).status == "pending"
    state = fold(pair, [new_review(pair.candidate_id, "accept", "alice", reason="clean", at=at(1))])
    assert (state.status, state.kind, state.chosen, state.chosen_source) == (
        "accepted",
        "pair",
        pair.chosen,
        "proposed",
    )
    assert (state.reviewer, state.reason, state.decided_at, state.n_events) == ("alice", "clean", at(1), 1)


def test_second_accept_is_a_conflict(pair_and_unpaired: tuple[Candidate, Candidate]) -> None:
    pair, _ = pair_and_unpaired
    first = new_review(pair.candidate_id, "accept", "alice", at=at(1))
    second = new_review(pair.candidate_id, "accept", "bob", at=at(2))
    with pytest.raises(ReviewConflictError, match="already accepted"):
        fold(pair, [first, second])
    lenient = fold(pair, [second, first], strict=False)  # order comes from the time, not the list
    assert lenient.status == "accepted" and lenient.reviewer == "alice" and lenient.ignored == [second.event_id]


def test_edit_makes_an_unpaired_candidate_a_pair(pair_and_unpaired: tuple[Candidate, Candidate]) -> None:
    _, unpaired = pair_and_unpaired
    edit = new_review(unpaired.candidate_id, "edit", "carol", chosen="  Use `kill -9 PID`.  ", at=at(3))
    state = fold(unpaired, [edit])
    assert (state.status, state.kind, state.chosen_source) == ("accepted", "pair", "reviewer")
    assert state.chosen is not None and state.chosen[0].content == "Use `kill -9 PID`."
    accepted_unpaired = fold(unpaired, [new_review(unpaired.candidate_id, "accept", "carol", at=at(1))])
    assert (accepted_unpaired.status, accepted_unpaired.kind) == ("accepted", "unpaired")


def test_reject_after_accept_withdraws_and_edit_overrules_a_reject(
    pair_and_unpaired: tuple[Candidate, Candidate],
) -> None:
    pair, _ = pair_and_unpaired
    accept = new_review(pair.candidate_id, "accept", "alice", at=at(1))
    reject = new_review(pair.candidate_id, "reject", "bob", reason="changes meaning", at=at(2))
    assert fold(pair, [accept, reject]).status == "rejected"
    with pytest.raises(ReviewConflictError):
        fold(pair, [reject, new_review(pair.candidate_id, "reject", "dan", at=at(3))])
    edit = new_review(pair.candidate_id, "edit", "carol", chosen="Brew green tea at 80 C.", at=at(4))
    assert fold(pair, [accept, reject, edit]).status == "accepted"


@pytest.mark.parametrize("chosen", ["", "   \n", None])
def test_edit_with_an_empty_chosen_is_refused(pair_and_unpaired: tuple[Candidate, Candidate], chosen) -> None:
    pair, _ = pair_and_unpaired
    with pytest.raises(EmptyChosenError):
        new_review(pair.candidate_id, "edit", "alice", chosen=chosen)
    forged = new_review(pair.candidate_id, "accept", "alice", at=at(1)).model_copy(update={"action": "edit"})
    with pytest.raises(EmptyChosenError):
        fold(pair, [forged])


def test_bad_reviews_are_refused(pair_and_unpaired: tuple[Candidate, Candidate]) -> None:
    pair, unpaired = pair_and_unpaired
    with pytest.raises(UnknownCandidateError):
        fold(pair, [new_review(unpaired.candidate_id, "accept", "alice")])
    with pytest.raises(ReviewError):
        new_review(pair.candidate_id, "accept", "alice", chosen="text only goes with edit")
    with pytest.raises(ReviewError):
        new_review(pair.candidate_id, "reject", "  ")


def parquet_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_candidate_table_round_trip_and_replay(tmp_path: Path) -> None:
    candidates = make_candidates()
    store = CandidateStore(tmp_path)
    first = store.write(candidates)
    assert store.write(candidates) == first  # a replay lands on the same file
    assert [p.parent.name for p in first] == ["date=2026-02-01"]
    assert parquet_files(tmp_path / "candidates") == first  # no temporary file left behind
    assert sorted(store.all(), key=lambda c: c.candidate_id) == sorted(candidates, key=lambda c: c.candidate_id)
    scanned = pl.scan_parquet(tmp_path / "candidates/**/*.parquet", hive_partitioning=True).collect()
    assert scanned.height == 2 and set(scanned["date"].cast(pl.String)) == {"2026-02-01"}


def test_rows_of_one_candidate_from_two_batches_merge(tmp_path: Path) -> None:
    cand = make_candidates()[0]
    other = cand.model_copy(update={"occurrences": ["elsewhere#1"], "created_at": at(30), "source_offset": 99})
    store = CandidateStore(tmp_path)
    store.write([cand])
    store.write([other])
    [merged] = [c for c in store.all() if c.candidate_id == cand.candidate_id]
    assert merged.duplicate_count == 2 and merged.source_offset == cand.source_offset


def test_review_store_validates_before_writing(tmp_path: Path) -> None:
    candidates = make_candidates()
    CandidateStore(tmp_path).write(candidates)
    reviews = ReviewStore(tmp_path)
    cid = candidates[0].candidate_id
    accept = new_review(cid, "accept", "alice", at=at(5))
    assert reviews.append(accept).status == "accepted"
    assert reviews.append(accept).status == "accepted"  # the same event again is a no-op
    with pytest.raises(ReviewConflictError):
        reviews.append(new_review(cid, "accept", "bob", at=at(6)))
    with pytest.raises(UnknownCandidateError):
        reviews.append(new_review("c_doesnotexist", "accept", "bob", at=at(6)))
    assert reviews.events() == [accept]
    [written] = parquet_files(tmp_path / "reviews")
    assert written.parent.name == "date=2026-02-01" and accept.event_id in written.name


def test_list_candidates_shows_folded_states(tmp_path: Path) -> None:
    lake = FeedbackLake(tmp_path)
    assert lake.list_candidates().is_empty()
    candidates = make_candidates()
    lake.add_candidates(candidates)
    pair, unpaired = sorted(candidates, key=lambda c: c.conversation_id)
    lake.review(pair.candidate_id, "reject", "alice", reason="meh", at=at(1))
    _, state = lake.review(unpaired.candidate_id, "edit", "bob", chosen="Use kill -9.", at=at(2))
    assert state.status == "accepted"
    frame = lake.list_candidates()
    assert dict(zip(frame["candidate_id"], frame["status"], strict=True)) == {
        pair.candidate_id: "rejected",
        unpaired.candidate_id: "accepted",
    }
    accepted = lake.list_candidates(status="accepted")
    assert accepted.height == 1 and accepted["chosen"][0] == "Use kill -9." and accepted["kind"][0] == "pair"
    assert accepted["last_user"][0] == "How do I kill a zombie process?"
    assert lake.list_candidates(detector="hedging")["status"].to_list() == ["rejected"]


def test_public_names_resolve() -> None:
    import feedback

    assert sorted(feedback.__all__) == sorted(set(feedback.__all__))
    for name in feedback.__all__:
        assert getattr(feedback, name) is not None, name


def test_get_returns_the_folded_state(tmp_path: Path) -> None:
    lake = FeedbackLake(tmp_path)
    candidates = make_candidates()
    lake.add_candidates(candidates)
    lake.review(candidates[0].candidate_id, "reject", "eve", at=at(1))
    candidate, state = lake.get(candidates[0].candidate_id)
    assert candidate == candidates[0] and state.status == "rejected"
    with pytest.raises(UnknownCandidateError):
        lake.get("c_missing")
