"""Hashed word n-grams: the form of a text (its opening words, stock phrasing) as learned features.

A sentence embedding is topic-heavy: "I can't help with that" and "I can help with that" sit close.
Word n-grams carry the form, and the heads learn a weight per bucket from labelled data; no list of
phrases is written by hand. CRC-32 keeps buckets stable across processes and Python versions.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

import numpy as np

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def ngram_keys(text: str) -> list[str]:
    """Lower-cased words, word pairs and the text's first one, two and three words."""
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    keys = [f"u:{w}" for w in words] + [f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return keys + [f"s:{' '.join(words[:k])}" for k in (1, 2, 3) if len(words) >= k]


@lru_cache(maxsize=1 << 17)
def key_hash(key: str) -> int:
    """CRC-32 of an n-gram key (cached: common words recur in every batch; one str argument keeps
    the cache lookup cheap)."""
    return zlib.crc32(key.encode("utf-8"))


def hashed_ngrams(texts: list[str], buckets: int, value: float) -> np.ndarray:
    """[len(texts), buckets] float32: `value` in the bucket of every n-gram of each text, else 0.

    `value` sets the indicators' scale against standardised dense columns (they are not standardised)."""
    out = np.zeros((len(texts), buckets), dtype=np.float32)
    rows: list[int] = []
    cols: list[int] = []
    for row, text in enumerate(texts):
        hit = {key_hash(key) % buckets for key in ngram_keys(text)}
        rows.extend([row] * len(hit))
        cols.extend(hit)
    out[rows, cols] = value
    return out
