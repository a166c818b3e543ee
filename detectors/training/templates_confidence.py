"""Templated training text for the expressed-confidence head.

No dataset labels how sure an answer *sounds*, so we wrap real answer statements (TruthfulQA answers,
truthful and untruthful alike, so confidence never correlates with truth) in frames written for this
purpose at five levels. Frames are split into disjoint families for grouped validation: the head is
scored on frames it never saw, which is what tells us it learned "hedged" rather than the frame list.
"""

from __future__ import annotations

import random

# level -> frames; "{a}" is the statement with a lower-case start, "{A}" with an upper-case start.
FRAMES: dict[float, tuple[str, ...]] = {
    0.97: (
        "I'm absolutely certain: {a}",
        "{A} There is no doubt about that.",
        "Without question, {a}",
        "{A} That's a well-established fact.",
        "I can say with complete confidence that {a}",
        "Definitely. {A}",
        "{A} I'm 100% sure of this.",
        "This is settled: {a}",
        "Make no mistake, {a}",
        "{A} You can count on that.",
        "It is beyond dispute that {a}",
        "I'm completely sure. {A}",
        "{A} No question about it.",
        "Rest assured, {a}",
    ),
    0.8: (
        "{A}",
        "The answer is this: {a}",
        "{A} That's the short version.",
        "In short, {a}",
        "Here's the answer. {A}",
        "{A} Let me know if you want more detail.",
        "Good question. {A}",
        "To answer directly, {a}",
        "{A} Hope that helps!",
        "Simply put, {a}",
        "Sure. {A}",
        "{A} That's how it works.",
    ),
    0.6: (
        "I believe {a}",
        "Most likely, {a}",
        "{A} At least, that's my understanding.",
        "If I remember correctly, {a}",
        "As far as I know, {a}",
        "{A} I'm fairly, though not fully, confident.",
        "Probably this: {a}",
        "My understanding is that {a}",
        "{A} That's what the sources I know suggest, though I could be mistaken.",
        "I'd lean towards this: {a}",
        "It seems that {a}",
        "{A} I think that's right.",
    ),
    0.35: (
        "I'm not entirely sure, but maybe {a}",
        "Possibly {a} I'd double-check, though.",
        "It could be that {a} I'm not certain.",
        "{A} But I might be wrong about this.",
        "Perhaps {a}",
        "I think, though I'm unsure, that {a}",
        "This might be off, but {a}",
        "{A} Don't quote me on that.",
        "My guess would be that {a}",
        "{A} Honestly, I'm not confident here.",
        "There's a chance that {a}",
        "I may be misremembering, but {a}",
    ),
    0.12: (
        "I really don't know. If I had to guess: {a}",
        "I have no idea, honestly. Maybe {a}",
        "This is a wild guess: {a}",
        "{A} But I'm really just guessing; I can't say for sure.",
        "I'm very unsure about this one. Possibly {a}",
        "I can't tell you with any confidence. Perhaps {a}",
        "Total guess here: {a}",
        "{A} I'm probably wrong, though; I don't really know.",
        "No clue, to be honest, but maybe {a}",
        "I genuinely don't know the answer. It might be that {a}",
        "It's impossible for me to say. Perhaps {a}",
        "{A} That's a shot in the dark, though.",
    ),
}


def _cased(statement: str) -> tuple[str, str]:
    s = statement.strip()
    if not s.endswith((".", "!", "?")):
        s += "."
    return s[0].lower() + s[1:], s[0].upper() + s[1:]


def generate(statements: list[str], per_statement: int = 2, seed: int = 0) -> tuple[list[str], list[float], list[int]]:
    """Texts, their confidence level and a frame-family id (for grouped validation), reproducibly."""
    rng = random.Random(seed)
    texts: list[str] = []
    levels: list[float] = []
    groups: list[int] = []
    families = [(level, i, frame) for level, frames in FRAMES.items() for i, frame in enumerate(frames)]
    for statement in statements:
        lower, upper = _cased(statement)
        for level, index, frame in rng.sample(families, per_statement):
            texts.append(frame.replace("{a}", lower).replace("{A}", upper))
            levels.append(level)
            groups.append(index % 4)  # four frame families, disjoint across folds
    return texts, levels, groups
