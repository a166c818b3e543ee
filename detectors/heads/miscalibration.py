"""`miscalibration`: does how sure an answer sounds match how likely it is to be right?

Per assistant turn: `expressed_confidence` (detectors.confidence: stated probability, lexical prior,
learned head on the turn's embedding) and `p_correct` (a correctness label on the conversation when
there is one, else the correctness head over question and answer embeddings). The score is
|expressed_confidence - p_correct|: high when confident and wrong or heavily hedged and right, and
low for honest uncertainty (a hedge on an answer the head also doubts is calibrated, not a failure).

Labels: `labels.correct` or `labels.truthful` as a bool applies to the last assistant turn; as an
object `{turn_index: bool}` to the named turns. Labels that arrive later re-score a record through
`rescore_with_label` without re-running the encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from detectors.base import Batch, register
from detectors.confidence import blend, lexical_confidence, stated_probability
from detectors.config import DetectorConfig
from detectors.heads.ngrams import ngram_ids
from detectors.heads.onnx_head import MODELS_DIR, IndicatorFeatures, OnnxHead
from detectors.schema import Conversation, ScoreRecord, make_record
from detectors.text import split_sentences

NAME = "miscalibration"
VERSION = "1.1.0"
CORRECTNESS_MODEL = "correctness"
CONFIDENCE_MODEL = "confidence"
DEFAULT_THRESHOLD = 0.5
CLAIM_CHARS = 300  # the answer's opening whose n-grams the correctness head reads
NGRAM_BUCKETS = 4096
NGRAM_VALUE = 10.0  # indicator scale against standardised embeddings (grouped CV on train: 2 / 5 / 10 / 20)
MAX_CHARS = 2000  # the encoder truncates anyway; this keeps the batch's text keys small


def correctness_features(question: np.ndarray, answer: np.ndarray, answer_texts: list[str]) -> IndicatorFeatures:
    """[q, a, q*a, |q-a|] embeddings (the question, the answer and how they relate), then the hashed word
    n-grams of the answer's opening (how it asserts: "there is no", "nothing happens"; learned weights).

    Both chosen by grouped CV on train; only the opening is read, so a long answer's tail cannot add
    hash-collision noise to a claim made up front."""
    dense = np.hstack([question, answer, question * answer, np.abs(question - answer)]).astype(np.float32)
    return IndicatorFeatures(dense, ngram_ids([t[:CLAIM_CHARS] for t in answer_texts], NGRAM_BUCKETS, NGRAM_VALUE))


def miscalibration_score(expressed_confidence: float, p_correct: float) -> float:
    return float(min(1.0, abs(expressed_confidence - p_correct)))


def kind_of(expressed_confidence: float, p_correct: float, threshold: float) -> str:
    if miscalibration_score(expressed_confidence, p_correct) < threshold:
        return "calibrated"
    return "overconfident" if expressed_confidence > p_correct else "underconfident"


def label_for_turn(conv: Conversation, turn: int) -> bool | None:
    """The correctness label of a turn, if the conversation carries one (see module docstring)."""
    for key in ("correct", "truthful"):
        value = conv.labels.get(key)
        if isinstance(value, bool):
            turns = conv.assistant_turns()
            return value if turns and turn == turns[-1] else None
        if isinstance(value, dict):
            found = value.get(str(turn), value.get(turn))  # type: ignore[call-overload]
            if isinstance(found, bool):
                return found
    return None


def rescore_with_label(record: ScoreRecord, correct: bool, scored_at: Any = None) -> ScoreRecord:
    """A label event arrived: recompute score and kind from the record's expressed confidence."""
    details = record.details_dict()
    if details.get("expressed_confidence") is None:
        return record  # no claim was made: a label changes nothing
    confidence = float(details["expressed_confidence"])
    p_correct = 1.0 if correct else 0.0
    score = miscalibration_score(confidence, p_correct)
    details.update(
        p_correct=p_correct,
        p_correct_source="label",
        p_correct_model=details.get("p_correct_model"),
        kind=kind_of(confidence, p_correct, record.threshold),
    )
    return record.model_copy(
        update={
            "score": score,
            "flagged": score >= record.threshold,
            "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
            "scored_at": scored_at or record.scored_at,
        }
    )


def _question(conv: Conversation, turn: int) -> str | None:
    for i in range(turn - 1, -1, -1):
        if conv.messages[i].role == "user" and conv.messages[i].content.strip():
            return conv.messages[i].content[-MAX_CHARS:]
    return None


def _has_claim(text: str) -> bool:
    return any(not s.code for s in split_sentences(text[:MAX_CHARS]))


class Miscalibration:
    """One record per assistant turn; turns with no prose (empty, code only) score 0 as `no_claim`."""

    name = NAME
    version = VERSION
    needs_embeddings = True

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, models_dir: Path = MODELS_DIR) -> None:
        self.threshold = threshold
        self.models_dir = models_dir
        self._correctness: OnnxHead | None = None
        self._confidence: OnnxHead | None = None

    def warm_up(self) -> None:
        self._correctness = self._correctness or OnnxHead(self.models_dir / f"{CORRECTNESS_MODEL}.onnx")
        self._confidence = self._confidence or OnnxHead(self.models_dir / f"{CONFIDENCE_MODEL}.onnx")

    def texts(self, batch: Batch) -> list[str]:
        out: list[str] = []
        for item in batch.items:
            conv = item.conversation
            for turn in conv.assistant_turns():
                answer = conv.messages[turn].content[:MAX_CHARS]
                if not _has_claim(answer):
                    continue
                out.append(answer)
                question = _question(conv, turn)
                if question is not None:
                    out.append(question)
        return out

    def score(self, batch: Batch) -> list[ScoreRecord]:
        self.warm_up()
        assert self._correctness is not None and self._confidence is not None
        plans = []  # (item, turn, answer, question or None, label or None)
        for item in batch.items:
            conv = item.conversation
            for turn in conv.assistant_turns():
                answer = conv.messages[turn].content[:MAX_CHARS]
                plans.append((item, turn, answer, _question(conv, turn), label_for_turn(conv, turn)))
        scorable = [p for p in plans if _has_claim(p[2])]
        if scorable and batch.embeddings is None:
            raise ValueError("miscalibration needs the batch embeddings")
        emb = batch.embeddings
        learned: dict[int, float] = {}
        p_model: dict[int, float] = {}
        if scorable and emb is not None:
            answers = emb.get([p[2] for p in scorable])
            for key, prob in zip([id(p) for p in scorable], self._confidence.predict_proba(answers), strict=True):
                learned[key] = float(prob)
            # The head runs on labelled turns too: `p_correct_model` beside the label lets evaluation and
            # the dashboard compare the head with the truth.
            asked = [(i, p) for i, p in enumerate(scorable) if p[3] is not None]
            if asked:
                q = emb.get([str(p[3]) for _, p in asked])
                a = answers[[i for i, _ in asked]]
                texts = [str(p[2]) for _, p in asked]
                probs = self._correctness.predict_proba(correctness_features(q, a, texts))
                p_model.update({id(p): float(v) for (_, p), v in zip(asked, probs, strict=True)})
        return [self._record(batch, plan, learned.get(id(plan)), p_model.get(id(plan))) for plan in plans]

    def _record(self, batch: Batch, plan: tuple, learned: float | None, p_model: float | None) -> ScoreRecord:
        item, turn, answer, question, label = plan
        details: dict[str, Any] = {"answer": answer[:300]}
        if not _has_claim(answer):
            score, details["kind"] = 0.0, "no_claim"
            details.update(expressed_confidence=None, p_correct=None, p_correct_source="none")
        else:
            lexical = lexical_confidence(answer)
            confidence = blend(lexical, learned, stated_probability(answer))
            if label is not None:
                p_correct, source = (1.0 if label else 0.0), "label"
            elif p_model is not None:
                p_correct, source = p_model, "model"
            else:
                p_correct, source = None, "none"  # nothing was asked: no question to judge against
            details.update(
                expressed_confidence=round(confidence, 4),
                lexical_confidence=round(lexical, 4),
                learned_confidence=None if learned is None else round(learned, 4),
                p_correct=None if p_correct is None else round(p_correct, 4),
                p_correct_source=source,
                p_correct_model=None if p_model is None else round(p_model, 4),
            )
            if p_correct is None:
                score, details["kind"] = 0.0, "no_question"
            else:
                score = miscalibration_score(confidence, p_correct)
                details["kind"] = kind_of(confidence, p_correct, self.threshold)
        return make_record(
            item,
            turn=turn,
            detector=self.name,
            detector_version=self.version,
            score=score,
            threshold=self.threshold,
            details=details,
            scored_at=batch.scored_at,
        )


@register(NAME)
def _factory(config: DetectorConfig, thresholds: dict[str, float]) -> Miscalibration:
    return Miscalibration(thresholds.get(NAME, DEFAULT_THRESHOLD))
