"""Conversation text on screen, always as text.

Model output and user messages are untrusted: `<script>`, `**bold**` or `[link](http://x)` must appear
exactly as typed, never run, format or link. So nothing here goes through markdown: every piece
of text is `html.escape`d first, and only then wrapped in the few tags we add ourselves (`<mark>`
for wrapper spans, a labelled box for the pushback turn, `<del>`/`<ins>` in the diff). The result
goes to `st.html`, which renders HTML without a markdown pass (and without running scripts).
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Iterable, Sequence

import streamlit as st

STYLE = (
    "<style>.sj-msg{border:1px solid #ddd;border-radius:6px;padding:6px 10px;margin:4px 0;"
    "white-space:pre-wrap;font-family:sans-serif;font-size:0.9rem}.sj-role{font-weight:600;color:#555}"
    ".sj-push{border:2px solid #d97706;background:#fffbeb}.sj-flag{border:2px solid #dc2626}"
    "mark{background:#fde68a}.sj-diff td{vertical-align:top;width:50%;white-space:pre-wrap;padding:6px;"
    "border:1px solid #ddd}del{background:#fecaca}ins{background:#bbf7d0;text-decoration:none}</style>"
)


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to [0, length], sorted, overlapping ones merged, empty ones dropped."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Iterable[tuple[int, int]] = ()) -> str:
    """`text` escaped, with the character spans wrapped in <mark> (escaping happens per piece)."""
    out, pos = [], 0
    for start, end in merge_spans(spans, len(text)):
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def conversation_html(
    messages: Sequence[dict[str, str]],
    spans: dict[int, list[tuple[int, int]]] | None = None,
    pushback_turn: int | None = None,
    flagged_turn: int | None = None,
) -> str:
    """A conversation as escaped HTML: one box per message, spans marked, the pushback/flagged turns framed."""
    spans = spans or {}
    parts = [STYLE]
    for i, message in enumerate(messages):
        classes = "sj-msg" + (" sj-push" if i == pushback_turn else "") + (" sj-flag" if i == flagged_turn else "")
        note = " · pushback" if i == pushback_turn else (" · flagged" if i == flagged_turn else "")
        role = html.escape(str(message.get("role", "?")))
        body = highlight(str(message.get("content", "")), spans.get(i, []))
        parts.append(f'<div class="{classes}"><span class="sj-role">{i} {role}{note}</span>\n{body}</div>')
    return "".join(parts)


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"(\s+)", text) if t]


def diff_html(rejected: str, chosen: str) -> str:
    """Rejected (left) against chosen (right), word-level; removed words <del>, added <ins>; all escaped."""
    a, b = _tokens(rejected), _tokens(chosen)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = html.escape("".join(a[i1:i2])), html.escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(old)
            right.append(new)
            continue
        if old:
            left.append(f"<del>{old}</del>")
        if new:
            right.append(f"<ins>{new}</ins>")
    return (
        f'{STYLE}<table class="sj-diff"><tr><th>rejected</th><th>chosen</th></tr>'
        f"<tr><td>{''.join(left)}</td><td>{''.join(right)}</td></tr></table>"
    )


def show_html(body: str) -> None:
    """Render markup built by this module (and only that: its text parts are escaped)."""
    st.html(body)


def show_text(text: str) -> None:
    """A plain text block for untrusted text that needs no highlighting."""
    st.text(text)
