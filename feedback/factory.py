"""Flagged score records in, candidates out: the pure first step of the feedback loop.

For every flagged record of a candidate detector, the prompt is the conversation up to (not
including) the flagged assistant turn, system message included, and `rejected` is that turn. A
chosen answer is proposed only where no language model is needed (hedging: cut the wrapper;
sycophancy: hold the earlier answer); everything else is unpaired until a reviewer writes one.
Every proposal is re-scored when a rescorer is given, and one that still flags is dropped from
`chosen` (the candidate becomes unpaired, `chosen_status='still_flags'`, the text kept in details).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from detectors.schema import Conversation, ScoreRecord
from feedback.candidates import (
    Candidate,
    ChatTurn,
    ChosenStatus,
    candidate_id_for,
    content_hash,
    occurrence_key,
)
from feedback.dedupe import dedupe
from feedback.rescore import Rescorer, RescoreRequest
from feedback.rewrites import (
    earlier_assistant_turn,
    expand_to_sentences,
    parse_spans,
    remove_spans,
    restate_earlier_answer,
)

log = logging.getLogger(__name__)

# Detectors whose flags become candidates, and how a chosen answer is proposed for each.
CANDIDATE_DETECTORS: dict[str, str] = {
    "hedging": "remove_wrapper_spans",
    "wrapper_lexicon": "remove_wrapper_sentences",
    "sycophancy": "restate_earlier_answer",
    "refusal": "reviewer",
    "over_refusal": "reviewer",
    "miscalibration": "reviewer",
}

# Sycophancy kinds whose fix is holding the earlier answer (None: the detector gave no kind).
RESTATABLE_KINDS = frozenset({None, "reversed", "softened"})


@dataclass(frozen=True)
class Proposal:
    """A proposed chosen text (or None) and why."""

    text: str | None
    method: str
    reason: str | None = None


@dataclass(frozen=True)
class _Draft:
    record: ScoreRecord
    conversation: Conversation
    prompt: list[ChatTurn]
    rejected: ChatTurn
    proposal: Proposal


ConversationLookup = Mapping[str, Conversation] | Callable[[ScoreRecord], Conversation | None]


def build_candidates(
    records: Iterable[ScoreRecord],
    conversations: ConversationLookup,
    rescorer: Rescorer | None = None,
    detectors: dict[str, str] | None = None,
) -> list[Candidate]:
    """One candidate per flagged, usable record, near-duplicates collapsed, in a deterministic order.

    Records are skipped (and logged) when they are not flagged, belong to another detector, are
    conversation-level (turn -1), or their conversation is missing, too short, or does not put a
    user turn right before the flagged assistant turn (TRL prompts end with the user).
    `conversations` maps ids to conversations, or is a function that finds a record's snapshot.
    """
    methods = CANDIDATE_DETECTORS if detectors is None else detectors
    lookup = conversations if callable(conversations) else _by_id(conversations)
    drafts = [d for r in records if (d := _draft(r, lookup, methods)) is not None]
    scores = _rescore(drafts, rescorer)
    return dedupe([_finalise(d, s, rescorer is not None) for d, s in zip(drafts, scores, strict=True)])


def propose_chosen(method: str, conversation: Conversation, turn: int, details: dict) -> Proposal:
    """The LM-free rewrite for `method`, or a Proposal with text None and the reason."""
    message = conversation.messages[turn].content
    if method in ("remove_wrapper_spans", "remove_wrapper_sentences"):
        spans = parse_spans(details)
        if not spans:
            return Proposal(None, method, "no_spans")
        if method == "remove_wrapper_sentences":
            spans = expand_to_sentences(message, spans)
        text = remove_spans(message, spans)
        if not text:
            return Proposal(None, method, "nothing_left")
        if text == message.strip():
            return Proposal(None, method, "unchanged")
        return Proposal(text, method)
    if method == "restate_earlier_answer":
        kind = details.get("kind")
        if kind not in RESTATABLE_KINDS:  # flattery has no earlier position to hold
            return Proposal(None, method, f"kind_{kind}")
        roles = [m.role for m in conversation.messages]
        earlier = earlier_assistant_turn(roles, details, turn)
        if earlier is None:
            return Proposal(None, method, "no_earlier_answer")
        answer = conversation.messages[earlier].content.strip()
        if not answer:
            return Proposal(None, method, "empty_earlier_answer")
        seed = occurrence_key(conversation.conversation_id, turn)
        return Proposal(restate_earlier_answer(answer, seed), method)
    return Proposal(None, method, "needs_reviewer")


def _by_id(conversations: Mapping[str, Conversation]) -> Callable[[ScoreRecord], Conversation | None]:
    return lambda record: conversations.get(record.conversation_id)


def _draft(
    record: ScoreRecord, lookup: Callable[[ScoreRecord], Conversation | None], methods: dict[str, str]
) -> _Draft | None:
    if not record.flagged or record.detector not in methods:
        return None
    conv = lookup(record)
    reason = _unusable(record, conv)
    if reason is not None or conv is None:
        log.info("no candidate for %s#%d (%s): %s", record.conversation_id, record.turn, record.detector, reason)
        return None
    prompt = [ChatTurn(role=m.role, content=m.content) for m in conv.messages[: record.turn]]
    rejected = ChatTurn(role="assistant", content=conv.messages[record.turn].content)
    proposal = propose_chosen(methods[record.detector], conv, record.turn, record.details_dict())
    return _Draft(record, conv, prompt, rejected, proposal)


def _unusable(record: ScoreRecord, conv: Conversation | None) -> str | None:
    if conv is None:
        return "conversation missing"
    if not 0 < record.turn < len(conv.messages):
        return "turn out of range"
    if conv.messages[record.turn].role != "assistant":
        return "turn is not an assistant message"
    if conv.messages[record.turn - 1].role != "user":
        return "prompt does not end with a user turn"
    return None


def _rescore(drafts: list[_Draft], rescorer: Rescorer | None) -> list[dict[str, float] | None]:
    scores: list[dict[str, float] | None] = [None] * len(drafts)
    if rescorer is None:
        return scores
    wanted = [i for i, d in enumerate(drafts) if d.proposal.text is not None]
    requests = [
        RescoreRequest(
            prompt=drafts[i].prompt,
            chosen=drafts[i].proposal.text or "",
            detector=drafts[i].record.detector,
            model=drafts[i].record.model,
            model_version=drafts[i].record.model_version,
        )
        for i in wanted
    ]
    try:
        results = rescorer(requests)
    except Exception:  # noqa: BLE001 - fail open: unchecked proposals still reach a reviewer, marked so
        log.exception("re-scoring %d proposals failed; they stay unchecked", len(requests))
        return scores
    for i, result in zip(wanted, results, strict=True):
        scores[i] = result
    return scores


def _finalise(draft: _Draft, rescored: dict[str, float] | None, checked: bool) -> Candidate:
    rec, proposal = draft.record, draft.proposal
    chosen_text = proposal.text
    status: ChosenStatus = "proposed" if proposal.text is not None else "none"
    proposal_info: dict = {"method": proposal.method, "reason": proposal.reason, "rescore": rescored}
    own = (rescored or {}).get(rec.detector)
    if chosen_text is not None and own is not None and own >= rec.threshold:
        proposal_info.update(reason="still_flags", dropped_text=chosen_text)
        chosen_text, status = None, "still_flags"
    elif chosen_text is not None:
        proposal_info["rescored"] = own is not None
        if checked and own is None:
            proposal_info["reason"] = "detector did not rescore"
    rejected = [draft.rejected]
    digest = content_hash(draft.prompt, rejected)
    return Candidate(
        candidate_id=candidate_id_for(rec.detector, digest),
        content_hash=digest,
        prompt=draft.prompt,
        rejected=rejected,
        chosen=[ChatTurn(role="assistant", content=chosen_text)] if chosen_text is not None else None,
        kind="pair" if chosen_text is not None else "unpaired",
        chosen_status=status,
        detector=rec.detector,
        detector_version=rec.detector_version,
        score=rec.score,
        threshold=rec.threshold,
        conversation_id=rec.conversation_id,
        turn=rec.turn,
        source_topic=rec.source_topic,
        source_partition=rec.source_partition,
        source_offset=rec.source_offset,
        model=rec.model,
        model_version=rec.model_version,
        created_at=rec.scored_at,
        occurrences=[occurrence_key(rec.conversation_id, rec.turn)],
        details={"evidence": rec.details_dict(), "proposal": proposal_info},
    )
