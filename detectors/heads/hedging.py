"""`hedging`: does an assistant turn contain a wrapper sentence, and which sentences are wrappers.

A wrapper performs caution instead of serving the user ("As an AI language model...", generic
"consult a professional" boilerplate). It is a property of a sentence, not of a word, so the head
scores every sentence on its embedding plus where it sits in the answer (wrappers open and close
answers), and a small calibrator turns the sentence probabilities into the turn's probability.
Wrappers are also a matter of form ("It's important to note that", "Please note"), which a
topic-heavy sentence embedding blurs, so the sentence's hashed word n-grams enter the head as well.

Cost bound: at most `MAX_SENTENCES_PER_TURN` prose sentences of a turn are embedded (the first and
last ones; the middle of a very long answer is skipped), and at most
`MAX_SENTENCES_PER_CONVERSATION` over all its assistant turns, the latest turns first; every
earlier turn keeps at least its first and last sentence. A 200-turn conversation therefore costs
at most a few hundred sentence embeddings, not thousands.

Thresholds file keys: `hedging` (turn flag) and `hedging_span` (sentence reported as a wrapper span).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.base import Batch, register
from detectors.config import DetectorConfig
from detectors.heads.ngrams import NgramIds, ngram_ids
from detectors.heads.onnx_head import MODELS_DIR, IndicatorFeatures, OnnxHead
from detectors.schema import ScoreRecord, make_record
from detectors.text import Sentence, select_sentences, split_sentences

NAME = "hedging"
VERSION = "1.1.0"
SENTENCE_MODEL = "hedging_sentence"
TURN_MODEL = "hedging_turn"
MAX_SENTENCES_PER_TURN = 48
MAX_SENTENCES_PER_CONVERSATION = 384
MIN_SENTENCES_PER_TURN = 2
DEFAULT_THRESHOLD = 0.5
# A sentence is reported as a wrapper span at this probability (chosen on train out-of-fold; card).
SPAN_THRESHOLD = 0.5
N_POSITION_FEATURES = 5
# Hashed n-gram indicators: buckets, and the value a present n-gram takes. The n-grams enter the
# logistic regression unstandardised, so this value sets how loosely the L2 penalty holds them
# against the standardised embedding block (chosen by grouped CV on train: 3, 5 and 10 measured).
N_NGRAM_BUCKETS = 4096
NGRAM_VALUE = 5.0
N_TURN_FEATURES = 2


@dataclass(frozen=True)
class TurnSentences:
    """The sentences of one assistant turn and which of them are scored."""

    text: str
    sentences: list[Sentence]
    selected: list[int]

    @property
    def selected_texts(self) -> list[str]:
        return [self.sentences[i].text for i in self.selected]


def plan_turns(contents: list[str]) -> list[TurnSentences]:
    """Split each turn of one conversation and pick the sentences to score under the budgets."""
    split = [split_sentences(c) for c in contents]
    budget = MAX_SENTENCES_PER_CONVERSATION
    # Every turn is guaranteed its first and last sentence; the rest of the budget goes to the latest turns.
    floors = [min(MIN_SENTENCES_PER_TURN, sum(not s.code for s in ss)) for ss in split]
    spare = max(0, budget - sum(floors))
    limits = [0] * len(split)
    for i in reversed(range(len(split))):
        n_prose = sum(not s.code for s in split[i])
        extra = min(max(0, min(n_prose, MAX_SENTENCES_PER_TURN) - floors[i]), spare)
        spare -= extra
        limits[i] = floors[i] + extra
    return [TurnSentences(c, ss, select_sentences(ss, lim)) for c, ss, lim in zip(contents, split, limits, strict=True)]


def position_features(turn: TurnSentences) -> np.ndarray:
    """Per selected sentence: first, last, relative position, log length, share of the answer's characters."""
    n_all = len(turn.sentences)
    total = max(1, sum(s.end - s.start for s in turn.sentences if not s.code))
    rows = []
    prose = [i for i, s in enumerate(turn.sentences) if not s.code]
    first, last = (prose[0], prose[-1]) if prose else (-1, -1)
    for i in turn.selected:
        s = turn.sentences[i]
        length = s.end - s.start
        rows.append(
            [
                float(i == first),
                float(i == last),
                i / max(1, n_all - 1),
                math.log1p(length) / 8.0,
                length / total,
            ]
        )
    return np.asarray(rows, dtype=np.float32).reshape(-1, N_POSITION_FEATURES)


def ngram_features(texts: list[str]) -> NgramIds:
    """The sentence head's hashed n-grams (`N_NGRAM_BUCKETS` buckets, `NGRAM_VALUE` where set)."""
    return ngram_ids(texts, N_NGRAM_BUCKETS, NGRAM_VALUE)


def n_dense_features(dim: int) -> int:
    """Columns the sentence head standardises: three embeddings and the position features."""
    return 3 * dim + N_POSITION_FEATURES


def sentence_features(turn: TurnSentences, vectors: np.ndarray) -> IndicatorFeatures:
    """The sentence head's input: each scored sentence's embedding, its neighbours', its position,
    then its hashed n-grams.

    The neighbours (previous and next scored sentence, zeros at the edges) let the head tell a
    closing referral that follows a list of specifics from one that is itself the answer.
    """
    v = np.asarray(vectors, dtype=np.float32).reshape(len(turn.selected), -1)
    pad = np.zeros((1, v.shape[1]), dtype=np.float32)
    prev = np.vstack([pad, v[:-1]])
    nxt = np.vstack([v[1:], pad])
    return IndicatorFeatures(np.hstack([v, prev, nxt, position_features(turn)]), ngram_features(turn.selected_texts))


def turn_features(sentence_probs: np.ndarray | list[float]) -> np.ndarray:
    """Turn calibrator input: logits of the largest sentence probability and of their noisy-or.

    Probabilities are clipped to [0.01, 0.99] so one near-certain sentence cannot dominate by an
    unbounded logit, and a one-sentence answer is not penalised for lacking a second sentence.
    """
    p = np.clip(np.asarray(sentence_probs, dtype=np.float64), 0.01, 0.99)
    if len(p) == 0:
        p = np.array([0.01])
    noisy_or = float(np.clip(1.0 - np.exp(np.sum(np.log1p(-p))), 0.01, 0.99))
    top = float(p.max())
    return np.asarray([[math.log(top / (1 - top)), math.log(noisy_or / (1 - noisy_or))]], dtype=np.float32)


class HedgingDetector:
    """Sentence-level wrapper head plus turn-level calibration over every assistant turn."""

    name = NAME
    version = VERSION
    needs_embeddings = True

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        span_threshold: float = SPAN_THRESHOLD,
        models_dir: Path = MODELS_DIR,
    ) -> None:
        self.threshold = threshold
        self.span_threshold = span_threshold
        self.models_dir = models_dir
        self._heads: tuple[OnnxHead, OnnxHead] | None = None

    def warm_up(self) -> None:
        if self._heads is None:
            self._heads = (
                OnnxHead(self.models_dir / f"{SENTENCE_MODEL}.onnx"),
                OnnxHead(self.models_dir / f"{TURN_MODEL}.onnx"),
            )

    def _plans(self, batch: Batch) -> list[tuple[int, list[int], list[TurnSentences]]]:
        plans = []
        for k, item in enumerate(batch.items):
            conv = item.conversation
            turns = conv.assistant_turns()
            plans.append((k, turns, plan_turns([conv.messages[t].content for t in turns])))
        return plans

    def texts(self, batch: Batch) -> list[str]:
        return [t for _, _, plan in self._plans(batch) for turn in plan for t in turn.selected_texts]

    def score(self, batch: Batch) -> list[ScoreRecord]:
        self.warm_up()
        assert self._heads is not None
        sentence_head, turn_head = self._heads
        turns = [
            (k, turn_id, turn)
            for k, turn_ids, plan in self._plans(batch)
            for turn_id, turn in zip(turn_ids, plan, strict=True)
        ]
        # One run of each head per batch, not per turn: the per-call overhead outweighed the maths.
        probs = [np.zeros(0, dtype=np.float32) for _ in turns]
        scored = [i for i, (_, _, turn) in enumerate(turns) if turn.selected]
        scores = np.zeros(len(turns), dtype=np.float32)
        if scored:
            if batch.embeddings is None:
                raise ValueError("hedging needs the batch embeddings")
            emb = batch.embeddings
            features = [sentence_features(turns[i][2], emb.get(turns[i][2].selected_texts)) for i in scored]
            flat = sentence_head.predict_proba(IndicatorFeatures.stack(features))
            cuts = np.cumsum([len(f) for f in features])[:-1]
            for i, turn_probs in zip(scored, np.split(flat, cuts), strict=True):
                probs[i] = turn_probs
            scores[scored] = turn_head.predict_proba(np.vstack([turn_features(probs[i]) for i in scored]))
        return [
            make_record(
                batch.items[k],
                turn=turn_id,
                detector=self.name,
                detector_version=self.version,
                score=float(scores[i]),
                threshold=self.threshold,
                details=self._details(turn, probs[i], float(scores[i])),
                scored_at=batch.scored_at,
            )
            for i, (k, turn_id, turn) in enumerate(turns)
        ]

    def _details(self, turn: TurnSentences, probs: np.ndarray, score: float) -> dict[str, object]:
        chosen = [j for j, p in enumerate(probs) if p >= self.span_threshold]
        if score >= self.threshold and not chosen and len(probs):
            chosen = [int(np.argmax(probs))]  # a flagged turn always names its strongest evidence
        spans = []
        for j in chosen:
            s = turn.sentences[turn.selected[j]]
            spans.append({"start": s.start, "end": s.end, "text": s.text, "p": round(float(probs[j]), 4)})
        chars = max(1, len(turn.text.strip()))
        return {
            "wrapper_spans": spans,
            "wrapper_share": round(sum(s["end"] - s["start"] for s in spans) / chars, 4),  # type: ignore[operator]
            "n_sentences": len(turn.sentences),
            "n_scored": len(turn.selected),
        }


@register(NAME)
def _factory(config: DetectorConfig, thresholds: dict[str, float]) -> HedgingDetector:
    return HedgingDetector(
        threshold=thresholds.get(NAME, DEFAULT_THRESHOLD),
        span_threshold=thresholds.get(f"{NAME}_span", SPAN_THRESHOLD),
    )
