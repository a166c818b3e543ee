"""Chosen responses that can be written without a language model.

Hedging: the flagged answer with its wrapper spans cut out and the text repaired at each seam
(spacing, dangling punctuation, a capital letter where a sentence now starts, empty paragraphs
and bullets), so the chosen answer says the same thing without the frame. Sycophancy: the
assistant's answer from before the pushback, restated with a short acknowledgement, so the
chosen answer holds the position instead of caving. Both are proposals: they are re-scored and a
reviewer accepts, edits or rejects them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from detectors.text import split_sentences

_TERMINAL = ".!?…:"
# Words that only made sense after the removed wrapper ("..., but", "... note that", "However, ...").
_LEADING_JUNK = re.compile(r"^(?:[.!?,;:\-–—]+\s*|(?:and|but)\s+|(?:however|that said|nevertheless),?\s+)+", re.I)
# A phrase cut from the start of a sentence can leave its complementiser: "[It's important to note] that".
_DANGLING_THAT = re.compile(r"^that\s+", re.IGNORECASE)
_EMPTY_BULLET = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]*[.,;:!?]*[ \t]*$")
_LIST_ITEM = re.compile(r"^(?:[-*+•]|\d{1,3}[.)])[ \t]+\S")
_MANY_NEWLINES = re.compile(r"\n{3,}")

SYCOPHANCY_TEMPLATES: tuple[str, ...] = (
    "I understand the pushback, but my answer stands.\n\n{answer}",
    "I see why you might doubt it, but nothing new has come up that changes my answer.\n\n{answer}",
    "Thanks for pushing on this. I've considered it again, and I'm keeping my answer.\n\n{answer}",
    "I hear you, but without new evidence I can't change my answer.\n\n{answer}",
)


def parse_spans(details: dict[str, Any]) -> list[tuple[int, int]]:
    """`details['wrapper_spans']` or `details['spans']`: dicts with start/end or [start, end] pairs."""
    raw = details.get("wrapper_spans", details.get("spans")) or []
    spans: list[tuple[int, int]] = []
    for span in raw:
        if isinstance(span, dict) and "start" in span and "end" in span:
            spans.append((int(span["start"]), int(span["end"])))
        elif isinstance(span, list | tuple) and len(span) >= 2:
            spans.append((int(span[0]), int(span[1])))
    return spans


def expand_to_sentences(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Widen each span to the sentence(s) it touches: a wrapper phrase marks its whole sentence."""
    sentences = [s for s in split_sentences(text) if not s.code]
    out: list[tuple[int, int]] = []
    for start, end in spans:
        hit = [s for s in sentences if s.start < max(end, start + 1) and s.end > start]
        out.append((min(s.start for s in hit), max(s.end for s in hit)) if hit else (start, end))
    return out


def remove_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` without `spans`, repaired at every seam. Returns '' when nothing substantive is left."""
    merged = _merge(text, spans)
    if not merged:
        return text
    pieces: list[str] = []
    removed: list[str] = []
    pos = 0
    for start, end in merged:
        pieces.append(text[pos:start])
        removed.append(text[start:end])
        pos = end
    pieces.append(text[pos:])
    out = pieces[0]
    for cut, right in zip(removed, pieces[1:], strict=True):
        if not cut.rstrip().endswith(tuple(_TERMINAL)):
            right = _DANGLING_THAT.sub("", right.lstrip(" \t"))
        out = _join(out, right)
    return _tidy(out)


def restate_earlier_answer(earlier_answer: str, seed: str) -> str:
    """The earlier answer held with an acknowledgement; the wording is picked by hash of `seed`."""
    index = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(SYCOPHANCY_TEMPLATES)
    return SYCOPHANCY_TEMPLATES[index].format(answer=earlier_answer.strip())


def earlier_assistant_turn(roles: Sequence[str], details: dict[str, Any], turn: int) -> int | None:
    """Index of the answer the user pushed back on: the last assistant turn before the pushback."""
    explicit = details.get("earlier_turn")
    if isinstance(explicit, int) and 0 <= explicit < turn and roles[explicit] == "assistant":
        return explicit
    pushback = details.get("pushback_turn")
    if not isinstance(pushback, int) or not 0 <= pushback < turn:
        return None
    earlier = [i for i in range(pushback) if roles[i] == "assistant"]
    return earlier[-1] if earlier else None


def _merge(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    clamped = sorted((max(0, s), min(len(text), e)) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for start, end in clamped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _join(left: str, right: str) -> str:
    """Glue two kept pieces where a span was cut out."""
    left_core = left.rstrip()
    gap = left[len(left_core) :] + right[: len(right) - len(right.lstrip())]
    right_core = right.lstrip()
    if not left_core:
        return right_core
    if not right_core:
        return left_core + gap
    newlines = gap.count("\n")
    if right_core[0] in ".!?" and newlines == 0:
        # The cut took the end of a sentence: keep its full stop, drop a comma left dangling.
        return left_core.rstrip(",;:") + right_core
    if newlines:
        # The cut ended at a line break: the next line is untouched text (a bullet keeps its marker).
        return left_core + "\n" * min(newlines, 2) + _capitalise(right_core)
    if left_core[-1] in _TERMINAL:
        right_core = _LEADING_JUNK.sub("", right_core)
        if not right_core:  # only punctuation sat between two cuts
            return left_core + " "
        right_core = _capitalise(right_core)
    else:
        right_core = right_core.lstrip(",;").lstrip()
    return left_core + " " + right_core


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n") if not _EMPTY_BULLET.match(line)]
    text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    if not _LIST_ITEM.match(text):
        text = _LEADING_JUNK.sub("", text)
    if not re.search(r"\w", text):
        return ""
    return _capitalise(text)


def _capitalise(text: str) -> str:
    return text[0].upper() + text[1:] if text and text[0].islower() else text
