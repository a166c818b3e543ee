"""Configuration of the pure scoring core. The entry point's Settings builds one and passes it down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EncoderVariant = Literal["auto", "fp32", "fp16", "int8"]
ProviderChoice = Literal["auto", "cuda", "cpu"]


# The learned heads; `wrapper_lexicon` (the keyword baseline) and `drift` (needs a reference) are opt-in.
DEFAULT_DETECTORS: tuple[str, ...] = ("hedging", "refusal", "over_refusal", "sycophancy", "miscalibration")


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "sahaja"


class DetectorConfig(BaseModel):
    """What the encoder and the heads need to know: where models live and how to run them."""

    model_config = ConfigDict(frozen=True)

    model_cache_dir: Path = Field(default_factory=default_cache_dir)
    encoder_variant: EncoderVariant = "auto"
    provider: ProviderChoice = "auto"
    max_length: int = Field(default=256, ge=8, le=512)
    token_budget: int = Field(default=16384, ge=256, description="max padded tokens per encoder run")
    embedding_memo_size: int = Field(
        default=16384, ge=0, description="recent text embeddings kept for reuse (about 1.6 KiB each; 0: off)"
    )
    intra_op_threads: int = Field(default=0, ge=0, description="0: one per physical core")
    thresholds_file: Path | None = None
    drift_reference: Path | None = Field(default=None, description="reference profile folder for `drift`")
    enabled: tuple[str, ...] = DEFAULT_DETECTORS
