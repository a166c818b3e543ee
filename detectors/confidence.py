"""Expressed confidence of an answer, 0..1: how sure the text *sounds*, not whether it is right.

Three sources, in order of authority:
1. a stated probability ("I'm 90% sure", "about 70% confident", "probability of 0.8") wins outright;
2. a transparent lexical prior: certainty markers push up, hedges push down, from a plain-assertion
   baseline of 0.75 (an unqualified statement is a fairly confident one);
3. a learned head on the turn's embedding (`confidence.onnx`, trained on templated answers, see its
   card) blended in with equal weight, so hedges the list does not know still count (not where a
   certainty marker matched: see `blend`).
"""

from __future__ import annotations

import re

import numpy as np

from detectors.text import split_sentences

PLAIN_ASSERTION = 0.75
MAX_SENTENCES = 64  # bound the cost of a very long turn

# (pattern, confidence it signals). Strongest hedges first: the lowest matching level wins per sentence
# for hedges, the highest for boosters; a sentence with both is treated as hedged (a booster inside a
# hedge, "I'm really not sure", is still a hedge).
_HEDGES: tuple[tuple[str, float], ...] = (
    (r"\bi (?:really |honestly |truly )?(?:do not|don't|dont) know\b", 0.15),
    (r"\bno idea\b", 0.15),
    (r"\bi(?:'m| am) (?:really |honestly |just )?(?:not|un) ?(?:sure|certain)\b", 0.25),
    (r"\bnot (?:entirely |completely |totally |100% )?(?:sure|certain)\b", 0.3),
    (r"\b(?:hard|difficult|impossible) to (?:say|tell|know)\b", 0.3),
    (r"\bi(?:'m| am) (?:just )?guessing\b|\bi guess\b|\bmy (?:best )?guess\b", 0.3),
    (r"\b(?:uncertain|unclear|unsure)\b", 0.35),
    (r"\bit (?:really )?depends\b", 0.4),
    (r"\b(?:might|may|could) (?:be|have|not)\b", 0.45),
    (r"\b(?:perhaps|possibly|maybe)\b", 0.45),
    (r"\bi (?:think|suspect|believe|reckon)\b|\bi(?:'m| am) inclined to\b", 0.55),
    (r"\bit (?:seems|appears)\b|\bseems? (?:to|like)\b", 0.6),
    (r"\b(?:probably|likely|most likely|presumably)\b", 0.65),
    (r"\bif i (?:recall|remember) (?:correctly|right)\b|\bas far as i know\b|\bi(?:'m| am) fairly sure\b", 0.65),
)
_BOOSTERS: tuple[tuple[str, float], ...] = (
    (r"\b(?:definitely|certainly|undoubtedly|unquestionably|absolutely|without (?:a|any) doubt)\b", 0.95),
    (r"\bi(?:'m| am) (?:completely |absolutely |totally |quite |very )?(?:sure|certain|confident|positive)\b", 0.92),
    (r"\b(?:no doubt|beyond doubt|there is no question|there's no question|guaranteed)\b", 0.95),
    (r"\b(?:clearly|obviously|of course|always|never|in fact|it is a fact|it's a fact)\b", 0.85),
)
_HEDGE_RES = [(re.compile(p, re.IGNORECASE), v) for p, v in _HEDGES]
_BOOST_RES = [(re.compile(p, re.IGNORECASE), v) for p, v in _BOOSTERS]
# One pass that says whether any pattern of a list can match: most sentences hold none, and one
# alternation is several times cheaper than a search per pattern.
_ANY_HEDGE = re.compile("|".join(f"(?:{p})" for p, _ in _HEDGES), re.IGNORECASE)
_ANY_BOOST = re.compile("|".join(f"(?:{p})" for p, _ in _BOOSTERS), re.IGNORECASE)

# A stated probability must sit next to a confidence word, so "90% of people" is not a confidence.
_NUMERIC = re.compile(
    r"(?:(\d{1,3}(?:\.\d+)?)\s*(?:%|percent)\s*(?:sure|certain|confident|confidence|likely|chance|probability)"
    r"|(?:confidence|probability|certainty|likelihood)\s*(?:of|is|:|at|about|around)?\s*(?:about |around |roughly )?"
    r"(\d{1,3}(?:\.\d+)?\s*%|0?\.\d+|1\.0)"
    r"|(\d{1,2}|100)\s*(?:/|out of)\s*(10|100)\s*(?:sure|certain|confident|confidence)?)",
    re.IGNORECASE,
)
# Every branch of `_NUMERIC` needs a digit and one of these (case-folded): two plain searches rule
# most answers out ~8x faster than the pattern's own scan.
_DIGIT = re.compile(r"\d")
_NUMERIC_CUES = ("sure", "certain", "confiden", "likel", "chance", "probab", "/", "out of")


def may_state_probability(text: str) -> bool:
    """False only where `_NUMERIC` cannot match."""
    if not _DIGIT.search(text):
        return False
    folded = text.casefold()
    return any(cue in folded for cue in _NUMERIC_CUES)


def stated_probability(text: str) -> float | None:
    """The first explicitly stated probability of being right, in 0..1, or None."""
    if not may_state_probability(text):
        return None
    for match in _NUMERIC.finditer(text):
        pct, prob, num, den = match.group(1), match.group(2), match.group(3), match.group(4)
        if pct is not None:
            value = float(pct) / 100.0
        elif prob is not None:
            raw = prob.replace(" ", "")
            value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
        elif num is not None and den is not None:
            value = float(num) / float(den)
        else:
            continue
        if 0.0 <= value <= 1.0:
            return value
    return None


def sentence_prior(sentence: str) -> float:
    """Lexical confidence of one sentence: the strongest hedge, else the strongest booster, else plain."""
    if _ANY_HEDGE.search(sentence):
        return min(v for rx, v in _HEDGE_RES if rx.search(sentence))
    if _ANY_BOOST.search(sentence):
        return max(v for rx, v in _BOOST_RES if rx.search(sentence))
    return PLAIN_ASSERTION


def lexical_confidence(text: str) -> float:
    """Stated probability if any, else the mean sentence prior, pulled to the least confident sentence.

    An answer that asserts three facts and hedges the fourth is less sure than its average sentence;
    the mean of the average and the minimum keeps one hedge visible without letting it dominate.
    """
    stated = stated_probability(text)
    if stated is not None:
        return stated
    priors = [sentence_prior(s.text) for s in split_sentences(text)[:MAX_SENTENCES] if not s.code]
    if not priors:
        return 0.5
    return float((np.mean(priors) + min(priors)) / 2.0)


def has_hedge(text: str) -> bool:
    """Any hedge at all (the keyword baseline's view of confidence)."""
    return any(rx.search(text) for rx, _ in _HEDGE_RES)


def blend(lexical: float, learned: float | None, stated: float | None) -> float:
    """Stated probability wins; a certainty marker with no hedge keeps the lexical value; otherwise the
    lexical prior and the learned head weigh equally.

    Why the asymmetry: sentence embeddings barely separate "I'm certain" from "I'm not certain", so the
    head is good at noticing hedged *tone* the list lacks but reads every talk of certainty as doubt.
    """
    if stated is not None:
        return float(stated)
    if learned is None or lexical > PLAIN_ASSERTION:
        return float(lexical)
    return float(np.clip(0.5 * lexical + 0.5 * learned, 0.0, 1.0))


def turn_confidence(text: str, learned: float | None) -> float:
    """Expressed confidence of a turn from its text and (optionally) the head's P(confident) for the turn."""
    return blend(lexical_confidence(text), learned, stated_probability(text))
