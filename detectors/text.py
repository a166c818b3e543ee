"""Sentence splitting with character offsets into the original message.

Span-level detectors (hedging) report evidence as `[start, end)` offsets into the message, so the
splitter never rewrites text: every `Sentence.text` equals `message[start:end]`. It is written for
chat answers rather than prose: fenced code blocks stay whole (and are marked, so heads can skip
them), list items and headings are their own units, hard-wrapped lines are joined back, common
abbreviations and decimals do not end a sentence, and CJK sentence marks split without a space.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences", "select_sentences"]


@dataclass(frozen=True)
class Sentence:
    """One unit of a message: `text == message[start:end]`; `code` marks a fenced code block."""

    start: int
    end: int
    text: str
    code: bool = False


_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_LIST_MARKER = re.compile(r"(?:[-*+•◦▪]|\d{1,3}[.)]|[a-zA-Z][.)]|#{1,6}|>)[ \t]+")
_TABLE_ROW = re.compile(r"\|")
# End of a sentence: terminal punctuation, optional closing quotes/brackets, then whitespace.
_LATIN_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_CJK_END = re.compile(r"[。！？]+[」』”’)]*")
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al approx mr mrs ms dr prof sr jr st no fig eq ca inc ltd co corp dept est"
    " jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k p.m a.m ph.d".split()
)


# Several heads split the same turn (each in `texts()` and again in `score()`): splitting is pure, so
# recent results are kept. Only texts up to this size, so the cache's keys stay small (2,048 x 20 kB).
_CACHED_CHARS = 20_000


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` in order, with offsets; whitespace-only input gives an empty list."""
    if len(text) <= _CACHED_CHARS:
        return list(_split_cached(text))
    return _split(text)


@functools.lru_cache(maxsize=2048)
def _split_cached(text: str) -> tuple[Sentence, ...]:
    return tuple(_split(text))


def _split(text: str) -> list[Sentence]:
    out: list[Sentence] = []
    pos = 0
    for fence in _FENCE.finditer(text):
        out.extend(_split_prose(text, pos, fence.start()))
        start, end = _strip(text, fence.start(), fence.end())
        if end > start:
            out.append(Sentence(start, end, text[start:end], code=True))
        pos = fence.end()
    out.extend(_split_prose(text, pos, len(text)))
    return out


def select_sentences(sentences: list[Sentence], limit: int, head: int | None = None) -> list[int]:
    """Indices of at most `limit` prose sentences, keeping the first `head` and the last `limit - head`.

    Wrappers cluster at the start (disclaimers, refusals) and the end (boilerplate referrals) of
    an answer, so when a long answer must be cut, the middle goes first.
    """
    prose = [i for i, s in enumerate(sentences) if not s.code]
    if len(prose) <= limit:
        return prose
    if limit <= 0:
        return []
    first = (limit + 1) // 2 if head is None else min(head, limit)
    return prose[:first] + prose[len(prose) - (limit - first) :] if limit - first else prose[:first]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _blocks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Line groups: list items, headings and table rows stand alone; hard-wrapped prose is rejoined."""
    blocks: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    pos = lo
    while pos < hi:
        nl = text.find("\n", pos, hi)
        line_end = hi if nl < 0 else nl
        start, end = _strip(text, pos, line_end)
        if end <= start:
            if current:
                blocks.append(current)
            current = None
        else:
            line = text[start:end]
            marker = _LIST_MARKER.match(text, start, end)
            structural = bool(marker) or bool(_TABLE_ROW.match(line))
            if marker:
                start = marker.end()
            continues = (
                current is not None
                and not structural
                and line[:1].islower()
                and text[current[1] - 1] not in ".!?:;。！？"
            )
            if continues and current is not None:
                current = (current[0], end)
            else:
                if current:
                    blocks.append(current)
                current = (start, end) if end > start else None
        pos = line_end + 1
    if current:
        blocks.append(current)
    return blocks


def _split_prose(text: str, lo: int, hi: int) -> list[Sentence]:
    out: list[Sentence] = []
    for b_start, b_end in _blocks(text, lo, hi):
        cut = b_start
        for end in _ends(text, b_start, b_end):
            start, stop = _strip(text, cut, end)
            if stop > start:
                out.append(Sentence(start, stop, text[start:stop]))
            cut = end
        start, stop = _strip(text, cut, b_end)
        if stop > start:
            out.append(Sentence(start, stop, text[start:stop]))
    return out


def _ends(text: str, lo: int, hi: int) -> list[int]:
    """Offsets just past each sentence end inside one block."""
    ends: list[int] = []
    segment = text[lo:hi]
    for m in _LATIN_END.finditer(segment):
        if _is_abbreviation(segment, m.start(), m.group(0)):
            continue
        nxt = segment[m.end() :].lstrip()
        # "see p. 4" or "and so on... which": a lower-case continuation is not a new sentence.
        if nxt[:1].islower() and m.group(0).startswith("."):
            continue
        ends.append(lo + m.end())
    ends.extend(lo + m.end() for m in _CJK_END.finditer(segment))
    return sorted({e for e in ends if e < hi})


def _is_abbreviation(segment: str, dot: int, mark: str) -> bool:
    if not mark.startswith(".") or mark.startswith(".."):
        return False
    word_start = dot
    while word_start > 0 and (segment[word_start - 1].isalpha() or segment[word_start - 1] == "."):
        word_start -= 1
    word = segment[word_start:dot].lower()
    if word in _ABBREVIATIONS:
        return True
    # Initials ("J. R. R. Tolkien") and dotted acronyms ("U.S.").
    if len(word) == 1 and segment[word_start].isupper():
        return True
    return re.fullmatch(r"(?:[a-z]\.)+[a-z]", word) is not None
