"""Length bucketing: sort sequences by length, cut batches by a padded-token budget, pad per batch.

Sorting first means each batch holds sequences of similar length, so padding (wasted compute)
stays small; the budget (`padded_len x n <= token_budget`) bounds memory per run the way
text-embeddings-inference does. Callers scatter results back by the returned row indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PaddedBatch:
    rows: np.ndarray  # indices of the sequences in this batch, into the caller's list
    input_ids: np.ndarray  # int64 [n, padded_len], right-padded with 0
    attention_mask: np.ndarray  # int64 [n, padded_len]

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum())


# A sequence joins the current batch only if it wastes at most this much padding; without this a
# budget of 16k tokens would pad 60 short texts to the length of one long text in the same call.
MAX_PAD_FRACTION = 0.2
MAX_PAD_TOKENS_ALWAYS_OK = 8


def plan_batches(lengths: Sequence[int], token_budget: int) -> list[np.ndarray]:
    """Row indices per batch, longest first; a sequence longer than the budget runs alone."""
    sizes = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-sizes, kind="stable")
    result: list[np.ndarray] = []
    start = 0
    while start < len(order):
        padded_len = max(int(sizes[order[start]]), 1)  # the longest in the batch comes first
        slack = max(MAX_PAD_TOKENS_ALWAYS_OK, int(padded_len * MAX_PAD_FRACTION))
        end = min(len(order), start + max(1, token_budget // padded_len))
        # sorted descending: the first row that pads too much ends the batch
        too_short = np.nonzero(sizes[order[start + 1:end]] < padded_len - slack)[0]
        if len(too_short):
            end = start + 1 + int(too_short[0])
        result.append(order[start:end])
        start = end
    return result


def pad_batch(sequences: Sequence[np.ndarray], rows: np.ndarray, pad_id: int = 0) -> PaddedBatch:
    width = max(len(sequences[i]) for i in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, i in enumerate(rows):
        seq = sequences[i]
        ids[j, : len(seq)] = seq
        mask[j, : len(seq)] = 1
    return PaddedBatch(rows=rows, input_ids=ids, attention_mask=mask)


def batches(sequences: Sequence[np.ndarray], token_budget: int) -> list[PaddedBatch]:
    return [pad_batch(sequences, rows) for rows in plan_batches([len(s) for s in sequences], token_budget)]
