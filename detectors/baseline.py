"""`wrapper_lexicon`: the keyword-list baseline every learned detector is measured against.

It flags assistant turns that contain stock disclaimer phrases. It is honest about what it is:
a lexical match that cannot tell "As an AI" from a woven-in caveat. It is registered so that the
evaluation can run it side by side, and so the pipeline has a detector that needs no model.
"""

from __future__ import annotations

import re

from detectors.base import Batch, register
from detectors.config import DetectorConfig
from detectors.schema import ScoreRecord, make_record

WRAPPER_PHRASES: tuple[str, ...] = (
    r"as an ai\b",
    r"as an ai language model",
    r"as a language model",
    r"i'?m (?:just |only )?an ai\b",
    r"i am (?:just |only )?an ai\b",
    r"i (?:cannot|can't|can not) provide (?:medical|legal|financial|professional) advice",
    r"(?:it is|it's) important to (?:note|remember|consult)",
    r"consult (?:a|with a|your) (?:qualified |licensed )?(?:professional|doctor|lawyer|expert|physician)",
    r"for informational purposes only",
    r"i (?:don't|do not) have personal (?:opinions|feelings|beliefs|experiences)",
    r"i (?:must|should) (?:note|point out|emphasize|stress)",
    r"i(?:'m| am) (?:sorry|afraid),? but i (?:cannot|can't|won't)",
    r"i (?:cannot|can't|won't) (?:help|assist) with (?:that|this)",
    r"not (?:able|allowed) to (?:provide|help|assist)",
    r"(?:please )?(?:note|remember) that",
)
_PATTERN = re.compile("|".join(f"(?:{p})" for p in WRAPPER_PHRASES), re.IGNORECASE)
NAME = "wrapper_lexicon"
VERSION = "1.0.0"


def match_spans(text: str) -> list[tuple[int, int, str]]:
    """Character spans of every wrapper phrase in `text`."""
    return [(m.start(), m.end(), m.group(0)) for m in _PATTERN.finditer(text)]


def lexicon_score(text: str) -> float:
    """0 with no phrase, 0.5 with one, approaching 1 with several: a count squashed into [0, 1]."""
    hits = len(match_spans(text))
    return hits / (hits + 1.0)


class WrapperLexicon:
    """Keyword baseline over assistant turns."""

    name = NAME
    version = VERSION

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold

    def texts(self, batch: Batch) -> list[str]:
        return []

    def score(self, batch: Batch) -> list[ScoreRecord]:
        records: list[ScoreRecord] = []
        for item in batch.items:
            for turn in item.conversation.assistant_turns():
                text = item.conversation.messages[turn].content
                spans = match_spans(text)
                records.append(
                    make_record(
                        item,
                        turn=turn,
                        detector=self.name,
                        detector_version=self.version,
                        score=lexicon_score(text),
                        threshold=self.threshold,
                        details={"spans": [{"start": s, "end": e, "text": t} for s, e, t in spans]},
                        scored_at=batch.scored_at,
                    )
                )
        return records


@register(NAME)
def _factory(config: DetectorConfig, thresholds: dict[str, float]) -> WrapperLexicon:
    return WrapperLexicon(thresholds.get(NAME, 0.5))
