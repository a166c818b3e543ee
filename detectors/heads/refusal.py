"""`refusal` and `over_refusal`: does a turn decline, and does it decline something benign.

Two heads on the shared embeddings:
- response side: P(the turn refuses, fully or partly) from the answer's embedding and its first
  sentence's embedding (refusals announce themselves up front; the whole-answer embedding tells a
  refuse-then-lecture from a refuse-then-answer), plus P(partial | refusal) for the kind;
- prompt side: P(the request is benign) from the last user message before the turn, read
  together with the answer (trained on refusals only: whether a refusal was called for shows in
  the pair, e.g. a refusal that moralises about "killing" a Python process).

`over_refusal` = P(refusal) x P(benign prompt): declining a harmful request scores low, so a
correct refusal is not flagged as over-refusal.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detectors.base import Batch, register
from detectors.config import DetectorConfig
from detectors.heads.onnx_head import MODELS_DIR, OnnxHead
from detectors.schema import Conversation, ScoreRecord, make_record
from detectors.text import split_sentences

REFUSAL = "refusal"
OVER_REFUSAL = "over_refusal"
VERSION = "1.0.0"
RESPONSE_MODEL = "refusal"
KIND_MODEL = "refusal_kind"
PROMPT_MODEL = "over_refusal_prompt"
DEFAULT_THRESHOLD = 0.5
PARTIAL_AT = 0.5
NO_PROMPT_BENIGN = 0.5  # no user message before the turn: the request is unknown, neither side favoured


def first_sentence(text: str) -> str:
    """The first prose sentence (or the stripped text when the splitter finds none)."""
    for s in split_sentences(text):
        if not s.code:
            return s.text
    return text.strip()


def last_prompt(conv: Conversation, turn: int) -> str:
    """The last non-empty user message before `turn`; '' when there is none."""
    for m in reversed(conv.messages[:turn]):
        if m.role == "user" and m.content.strip():
            return m.content
    return ""


def response_texts(content: str) -> tuple[str, str] | None:
    """(answer, first sentence) to embed, or None for an empty answer."""
    if not content.strip():
        return None
    return content, first_sentence(content)


def response_features(answer: np.ndarray, first: np.ndarray) -> np.ndarray:
    """The response head's input: [answer embedding, first-sentence embedding]."""
    return np.hstack([np.asarray(answer, np.float32), np.asarray(first, np.float32)])


def prompt_features(prompt: np.ndarray, response: np.ndarray) -> np.ndarray:
    """The prompt head's input: [prompt embedding, response features]."""
    return np.hstack([np.asarray(prompt, np.float32), np.asarray(response, np.float32)])


class _Heads:
    """The three ONNX heads, loaded once."""

    def __init__(self, models_dir: Path) -> None:
        self.response = OnnxHead(models_dir / f"{RESPONSE_MODEL}.onnx")
        self.kind = OnnxHead(models_dir / f"{KIND_MODEL}.onnx")
        self.prompt = OnnxHead(models_dir / f"{PROMPT_MODEL}.onnx")


class _RefusalBase:
    needs_embeddings = True
    version = VERSION
    name = REFUSAL
    uses_prompt = False

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, models_dir: Path = MODELS_DIR) -> None:
        self.threshold = threshold
        self.models_dir = models_dir
        self._heads: _Heads | None = None

    def warm_up(self) -> None:
        if self._heads is None:
            self._heads = _Heads(self.models_dir)

    def texts(self, batch: Batch) -> list[str]:
        out: list[str] = []
        for item in batch.items:
            conv = item.conversation
            for turn in conv.assistant_turns():
                pair = response_texts(conv.messages[turn].content)
                if pair is None:
                    continue
                out.extend(pair)
                prompt = last_prompt(conv, turn)
                if self.uses_prompt and prompt:
                    out.append(prompt)
        return out

    def score(self, batch: Batch) -> list[ScoreRecord]:
        self.warm_up()
        assert self._heads is not None
        heads = self._heads
        keys: list[tuple[int, int]] = []
        answers: list[str] = []
        firsts: list[str] = []
        prompts: list[str] = []
        empty: list[tuple[int, int]] = []
        for k, item in enumerate(batch.items):
            conv = item.conversation
            for turn in conv.assistant_turns():
                pair = response_texts(conv.messages[turn].content)
                if pair is None:
                    empty.append((k, turn))
                    continue
                keys.append((k, turn))
                answers.append(pair[0])
                firsts.append(pair[1])
                prompts.append(last_prompt(conv, turn))
        p_ref = p_partial = p_benign = np.zeros(0, np.float32)
        if keys:
            if batch.embeddings is None:
                raise ValueError(f"{self.name} needs the batch embeddings")
            x = response_features(batch.embeddings.get(answers), batch.embeddings.get(firsts))
            p_ref = heads.response.predict_proba(x)
            p_partial = heads.kind.predict_proba(x)
            p_benign = np.full(len(keys), NO_PROMPT_BENIGN, np.float32)
            if self.uses_prompt:
                have = [i for i, p in enumerate(prompts) if p]
                if have:
                    px = prompt_features(batch.embeddings.get([prompts[i] for i in have]), x[have])
                    p_benign[have] = heads.prompt.predict_proba(px)
        rows: list[tuple[int, int, float, dict[str, object]]] = []
        for i, (k, turn) in enumerate(keys):
            rows.append((k, turn, *self._judge(float(p_ref[i]), float(p_partial[i]), float(p_benign[i]), prompts[i])))
        for k, turn in empty:
            rows.append((k, turn, 0.0, {"kind": "none", "p_refusal": 0.0, "empty_turn": True}))
        rows.sort(key=lambda r: (r[0], r[1]))
        return [
            make_record(
                batch.items[k],
                turn=turn,
                detector=self.name,
                detector_version=self.version,
                score=score,
                threshold=self.threshold,
                details=details,
                scored_at=batch.scored_at,
            )
            for k, turn, score, details in rows
        ]

    def _kind(self, p_ref: float, p_partial: float) -> str:
        if p_ref < self.refusal_cut:
            return "none"
        return "partial" if p_partial >= PARTIAL_AT else "full"

    @property
    def refusal_cut(self) -> float:
        return self.threshold

    def _judge(self, p_ref: float, p_partial: float, p_benign: float, prompt: str) -> tuple[float, dict[str, object]]:
        details = {"kind": self._kind(p_ref, p_partial), "p_refusal": round(p_ref, 4), "p_partial": round(p_partial, 4)}
        return p_ref, details


class RefusalDetector(_RefusalBase):
    """P(the assistant turn declines, fully or partly)."""


class OverRefusalDetector(_RefusalBase):
    """P(the turn declines) x P(the request was benign)."""

    name = OVER_REFUSAL
    uses_prompt = True

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        models_dir: Path = MODELS_DIR,
        refusal_threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        super().__init__(threshold, models_dir)
        self._refusal_threshold = refusal_threshold

    @property
    def refusal_cut(self) -> float:
        return self._refusal_threshold

    def _judge(self, p_ref: float, p_partial: float, p_benign: float, prompt: str) -> tuple[float, dict[str, object]]:
        details = {
            "kind": self._kind(p_ref, p_partial),
            "p_refusal": round(p_ref, 4),
            "p_partial": round(p_partial, 4),
            "p_benign_prompt": round(p_benign, 4),
            "no_prompt": not prompt,
        }
        return p_ref * p_benign, details


@register(REFUSAL)
def _refusal_factory(config: DetectorConfig, thresholds: dict[str, float]) -> RefusalDetector:
    return RefusalDetector(thresholds.get(REFUSAL, DEFAULT_THRESHOLD))


@register(OVER_REFUSAL)
def _over_refusal_factory(config: DetectorConfig, thresholds: dict[str, float]) -> OverRefusalDetector:
    return OverRefusalDetector(
        thresholds.get(OVER_REFUSAL, DEFAULT_THRESHOLD),
        refusal_threshold=thresholds.get(REFUSAL, DEFAULT_THRESHOLD),
    )
