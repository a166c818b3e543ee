"""Hashed word n-grams: the form of a text (its opening words, stock phrasing) as learned features.

A sentence embedding is topic-heavy: "I can't help with that" and "I can help with that" sit close.
Word n-grams carry the form, and the heads learn a weight per bucket from labelled data; no list of
phrases is written by hand. CRC-32 keeps buckets stable across processes and Python versions.

A text sets ~40 of 4,096 buckets, so scoring passes the set buckets (`NgramIds`) and the heads sum
their weights; the dense indicator block (`NgramIds.dense`) is what training fits on.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class NgramIds:
    """The distinct buckets each of `n_rows` texts sets, flat: bucket `ids[k]` is set in row `rows[k]`.

    `value` is what a set bucket holds in the dense form (it scales the indicators against the
    standardised dense columns); `buckets` is the width of that form."""

    rows: np.ndarray  # int64 [T]
    ids: np.ndarray  # int64 [T]
    n_rows: int
    buckets: int
    value: float

    def dense(self) -> np.ndarray:
        """[n_rows, buckets] float32: `value` where a row sets a bucket, else 0."""
        out = np.zeros((self.n_rows, self.buckets), dtype=np.float32)
        out[self.rows, self.ids] = self.value
        return out


def ngram_ids(texts: list[str], buckets: int, value: float) -> NgramIds:
    """Each text's distinct n-gram buckets (see `ngram_keys`)."""
    rows: list[int] = []
    ids: list[int] = []
    for row, text in enumerate(texts):
        hit = {key_hash(key) % buckets for key in ngram_keys(text)}
        rows.extend([row] * len(hit))
        ids.extend(hit)
    return NgramIds(np.asarray(rows, np.int64), np.asarray(ids, np.int64), len(texts), buckets, value)


def stack_ngram_ids(parts: list[NgramIds]) -> NgramIds:
    """Rows of several `NgramIds` of one layout, one after another."""
    if not parts:
        raise ValueError("nothing to stack")
    if len({(p.buckets, p.value) for p in parts}) > 1:
        raise ValueError("n-gram blocks of different widths or values cannot be stacked")
    offsets = np.cumsum([0] + [p.n_rows for p in parts[:-1]])
    return NgramIds(
        np.concatenate([p.rows + off for p, off in zip(parts, offsets, strict=True)]),
        np.concatenate([p.ids for p in parts]),
        sum(p.n_rows for p in parts),
        parts[0].buckets,
        parts[0].value,
    )
