"""Arithmetic of a BERT encoder forward pass: the useful FLOPs a benchmark divides by time.

Per sequence of L real tokens: 2 x P x L for the weight matmuls (P = non-embedding matmul
parameters; embedding lookups are not arithmetic) plus the attention term 4 x L^2 x H per layer
(QK^T and softmax x V, 2 FLOP per multiply-add each). Padding is not useful work and not counted,
so wasted padding shows as lower efficiency.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EncoderArithmetic:
    layers: int = 6
    hidden: int = 384
    intermediate: int = 1536

    @property
    def matmul_params(self) -> int:
        per_layer = 4 * self.hidden * self.hidden + 2 * self.hidden * self.intermediate  # QKV+out, FFN in+out
        return self.layers * per_layer

    def sequence_flops(self, length: int) -> float:
        return 2.0 * self.matmul_params * length + 4.0 * self.layers * length * length * self.hidden

    def total_flops(self, lengths: Iterable[int]) -> float:
        return sum(self.sequence_flops(n) for n in lengths)


MINILM_L6 = EncoderArithmetic()
