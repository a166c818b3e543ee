"""A bounded memo of recent sentence embeddings, so a text is not embedded twice in a short while.

Conversations arrive as snapshots: every new turn re-sends the earlier ones, and system prompts and
common user openings repeat across conversations. Within one batch, the candidate builder re-scores
rewrites made of the batch's own sentences and prompts. All of these are texts the encoder has just
seen. The memo keys each text by a 128-bit BLAKE2b digest (a 1 MB message costs 16 bytes of key) and
keeps at most `max_entries` vectors, least recently used out first, so its memory is bounded:
about 1.6 KiB per entry for 384-dimensional float32 vectors.

An embedding depends on the encoder variant and provider (fp16 on GPU differs from fp32 in the
last digits), so the scorer clears the memo when it switches encoder.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

EncodeFn = Callable[[list[str]], np.ndarray]


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class EmbeddingMemo:
    """Least-recently-used map from text digest to embedding; `max_entries=0` disables it."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries must be >= 0")
        self.max_entries = max_entries
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        self._vectors.clear()

    def embed(self, texts: Sequence[str], encode: EncodeFn) -> np.ndarray:
        """Vectors for `texts` (one row each, in order), calling `encode` only on texts not held."""
        if self.max_entries == 0:
            return encode(list(texts))
        keys = [text_key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        for key in keys:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                found[key] = vector
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = encode(list(missing.values()))
            for key, vector in zip(missing, fresh, strict=True):
                found[key] = vector
                self._remember(key, vector)
        return np.stack([found[k] for k in keys]) if keys else encode([])

    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        # A copy: a row view would keep the encoder's whole output array alive.
        self._vectors[key] = np.array(vector, copy=True)
        self._vectors.move_to_end(key)
        while len(self._vectors) > self.max_entries:
            self._vectors.popitem(last=False)

