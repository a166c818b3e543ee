"""Synthetic embeddings for the drift tests: a mixture of Gaussian topics, and a topic the reference lacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from detectors.schema import Conversation, ScoreRecord, SourcedConversation, make_record

DIM = 16
N_TOPICS = 4


def topic_centres(seed: int = 123) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((N_TOPICS + 1, DIM)) * 1.5


def sample(n: int, rng: np.random.Generator, novel_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """n vectors and their topic; topic N_TOPICS (absent from the reference) makes up `novel_share`."""
    centres = topic_centres()
    novel = rng.random(n) < novel_share
    topics = np.where(novel, N_TOPICS, rng.integers(0, N_TOPICS, n))
    vectors = centres[topics] + rng.standard_normal((n, DIM))
    return vectors.astype(np.float32), topics


def words_for(topics: np.ndarray) -> list[str]:
    vocab = [
        "python code function",
        "recipe cooking dinner",
        "travel hotel flight",
        "poem verse rhyme",
        "tax invoice audit",
    ]
    return [vocab[int(t)] for t in topics]


def conversations(
    n: int, start: datetime | None = None, step_s: float = 1.0, version: str = "v1", prefix: str = "c"
) -> list[SourcedConversation]:
    start = start or datetime(2026, 1, 1, tzinfo=UTC)
    return [
        SourcedConversation(
            conversation=Conversation(
                conversation_id=f"{prefix}{i}",
                model="m",
                model_version=version,
                timestamp=start + timedelta(seconds=i * step_s),
                messages=[
                    {"role": "user", "content": f"question {i}"},
                    {"role": "assistant", "content": "answer " * (i % 7)},
                ],
            )
        )
        for i in range(n)
    ]


def records(
    items: list[SourcedConversation], flag_rate: float, rng: np.random.Generator, detector: str = "hedging"
) -> list[ScoreRecord]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for item in items:
        flagged = bool(rng.random() < flag_rate)
        score = float(np.clip(rng.normal(0.8 if flagged else 0.2, 0.1), 0, 1))
        out.append(
            make_record(
                item,
                turn=1,
                detector=detector,
                detector_version="t",
                score=score,
                threshold=0.5,
                details={},
                scored_at=now,
            )
        )
    return out


class HashingEmbedder:
    """A deterministic bag-of-words encoder (random vector per word): texts in, unit vectors out.

    Stands in for the ONNX encoder where a test checks drift plumbing, not embedding quality.
    """

    provider = "CPUExecutionProvider"

    def __init__(self, dim: int = DIM) -> None:
        self.dim = dim

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(word.encode()[:16].ljust(16, b"\0"), "little") % (2**32)
        return np.random.default_rng(seed).standard_normal(self.dim)

    def embed(self, texts) -> np.ndarray:  # noqa: ANN001 - matches the encoder's signature
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = text.lower().split() or ["<empty>"]
            v = np.sum([self._word(w) for w in words], axis=0)
            out[i] = v / (np.linalg.norm(v) or 1.0)
        return out


TOPIC_WORDS = {
    "cooking": "recipe oven flour butter sugar dinner pasta garlic onion bake roast soup".split(),
    "travel": "flight hotel passport beach museum train ticket luggage visa island tour map".split(),
    "code": "python function loop compile error variable class module array string debug test".split(),
    "law": "contract court tenant lawsuit judge clause liability statute appeal verdict patent lease".split(),
}


def topic_conversation(i: int, topic: str, rng: np.random.Generator, prefix: str = "c", version: str = "v1") -> dict:
    words = TOPIC_WORDS[topic]
    prompt = " ".join(rng.choice(words, 6))
    reply = " ".join(rng.choice(words, 12))
    return {
        "conversation_id": f"{prefix}{i}",
        "model_version": version,
        "messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": reply}],
    }


def topic_mix(n: int, rng: np.random.Generator, law_share: float = 0.0, prefix: str = "c") -> list[dict]:
    """Conversations over cooking/travel/code, with `law_share` of them on a topic the reference lacks."""
    base = ["cooking", "travel", "code"]
    return [
        topic_conversation(i, "law" if rng.random() < law_share else base[int(rng.integers(0, 3))], rng, prefix)
        for i in range(n)
    ]
