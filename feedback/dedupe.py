"""Collapsing near-duplicate candidates: the same normalised prompt and rejected, one detector.

A popular prompt answered with the same wrapper a thousand times is one training example, not a
thousand; the count survives as `duplicate_count` (how many distinct conversation turns raised
it), which reviewers use to triage. The earliest occurrence represents the group, so a replay or
a later batch never changes which text and provenance a candidate shows.
"""

from __future__ import annotations

from collections.abc import Iterable

from feedback.candidates import Candidate


def representative_order(c: Candidate) -> tuple:
    """Earliest first; ties broken by source position, then content, so the choice never depends on
    the order rows were read in (two syncs of one turn may differ only in their re-scoring)."""
    return (c.created_at, c.source_topic, c.source_partition, c.source_offset, c.conversation_id, c.turn)


def _full_order(c: Candidate) -> tuple:
    return (*representative_order(c), c.model_dump_json(exclude={"occurrences", "duplicate_count"}))


def dedupe(candidates: Iterable[Candidate]) -> list[Candidate]:
    """One candidate per id, with occurrences merged; ordered by (created_at, conversation, turn, id)."""
    groups: dict[str, list[Candidate]] = {}
    for c in candidates:
        groups.setdefault(c.candidate_id, []).append(c)
    merged = [_merge(group) for group in groups.values()]
    return sorted(merged, key=lambda c: (*representative_order(c), c.candidate_id))


def _merge(group: list[Candidate]) -> Candidate:
    first = min(group, key=_full_order)
    if len(group) == 1:
        return first.model_copy(update={"duplicate_count": max(1, len(first.occurrences))})
    occurrences = sorted({key for c in group for key in c.occurrences})
    return first.model_copy(update={"occurrences": occurrences, "duplicate_count": max(1, len(occurrences))})
