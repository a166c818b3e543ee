"""Real conversations for the drift benchmark, read from ../shared/data (never copied into the repo).

Pools, each with one row per (prompt, response) and the prompt's group so windows can take one
response per prompt:
- `benign`: AlpacaEval instructions (train + dev) except the held-out topic, 3 of the 7 model
  responses per prompt (fixed seed; embedding all 7 on two shared CPU cores costs too long);
- `topic`: the held-out topic, AlpacaEval prompts about food and cooking: same models, same
  response style, and response lengths like the rest (the hard case: only the topic moves);
- `xstest`: XSTest prompts (safe and unsafe look-alikes) with one model's reply each, often a
  short refusal (the easy case: topic, style and length all move).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.config import DetectorConfig
from detectors.drift.text import drift_text, reply_length
from detectors.schema import Conversation

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HELD_OUT_TOPIC = re.compile(
    r"\b(recipe|cook|cooking|bake|dish|food|ingredients?|meal|soup|cake|sauce|cuisine)\b", re.IGNORECASE
)
RESPONSES_PER_PROMPT = 3
EMBED_CHUNK = 128


@dataclass
class Pool:
    name: str
    conversations: list[Conversation]
    groups: np.ndarray  # prompt group index per row
    vectors: np.ndarray | None = None

    @property
    def n_groups(self) -> int:
        return int(self.groups.max()) + 1 if len(self.groups) else 0

    def texts(self) -> list[str]:
        return [drift_text(c) for c in self.conversations]

    def reply_lengths(self) -> np.ndarray:
        return np.asarray([reply_length(c) for c in self.conversations], dtype=np.float32)


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _pool(name: str, rows: list[dict], per_prompt: int, rng: np.random.Generator) -> Pool:
    by_group: dict[str, list[dict]] = {}
    for row in rows:
        by_group.setdefault(row["split_group"], []).append(row)
    conversations, groups = [], []
    for index, group in enumerate(sorted(by_group)):
        members = by_group[group]
        keep = rng.choice(len(members), min(per_prompt, len(members)), replace=False)
        for k in sorted(keep):
            conversations.append(Conversation.model_validate(members[k]))
            groups.append(index)
    return Pool(name, conversations, np.asarray(groups))


def load_pools(data: Path = DEFAULT_DATA, seed: int = 0) -> dict[str, Pool] | None:
    """The three pools, or None when ../shared/data is absent (the benchmark then skips this part)."""
    alpaca_dir, xstest_dir = data / "alpaca_eval_reference", data / "xstest"
    if not (alpaca_dir / "train.jsonl").exists() or not (xstest_dir / "train.jsonl").exists():
        return None
    rng = np.random.default_rng(seed)
    alpaca = _read(alpaca_dir / "train.jsonl") + _read(alpaca_dir / "dev.jsonl")
    on_topic = [r for r in alpaca if HELD_OUT_TOPIC.search(r["messages"][0]["content"])]
    off_topic = [r for r in alpaca if not HELD_OUT_TOPIC.search(r["messages"][0]["content"])]
    xstest = _read(xstest_dir / "train.jsonl") + _read(xstest_dir / "dev.jsonl")
    return {
        "benign": _pool("benign", off_topic, RESPONSES_PER_PROMPT, rng),
        "topic": _pool("topic", on_topic, RESPONSES_PER_PROMPT, rng),
        "xstest": _pool("xstest", xstest, 1, rng),
    }


def embed_pools(pools: dict[str, Pool], config: DetectorConfig) -> None:
    """Embed every pool through the encoder, in cached chunks so an interrupted run keeps its progress."""
    from detectors.encoder import Encoder
    from detectors.training.embed_cache import embed_cached

    encoder = Encoder.from_config(config)
    for pool in pools.values():
        texts = pool.texts()
        chunks = [embed_cached(texts[s : s + EMBED_CHUNK], config, encoder) for s in range(0, len(texts), EMBED_CHUNK)]
        pool.vectors = np.concatenate(chunks)


if __name__ == "__main__":  # warm the embedding cache: python -m benchmarks.drift_data
    found = load_pools()
    if found is not None:
        print({k: (len(p.conversations), p.n_groups) for k, p in found.items()})
        embed_pools(found, DetectorConfig(provider="cpu"))
        print("embedded")
