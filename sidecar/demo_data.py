"""Sample traffic for `sahaja demo`: the shipped conversations, the poison messages and late labels.

`load_demo_conversations()` only reads the committed gzip file, so the demo needs nothing beside the
repo. `generate()` rebuilds that file (via `benchmarks/make_demo_data.py`); it needs `../shared` for
the TruthfulQA rows and is deterministic, so the same seed gives the same bytes.
Every conversation carries `metadata.demo_category` for the demo summary; detectors never read it.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from sidecar import demo_dialogues as dlg
from sidecar import demo_templates as tpl
from sidecar.errors import SahajaError

DATA_FILE = "demo_conversations.jsonl.gz"
TRUTHFULQA = Path("data/truthfulqa_judge/train.jsonl")
TRUTHFULQA_CREDIT = "TruthfulQA (Lin, Hilton & Evans, ACL 2022), Apache-2.0"
END = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(days=1)  # traffic spans 7..20 November inclusive
DAYS = 14
OLD, NEW, OTHER = ("acme-chat", "2026-10-01"), ("acme-chat", "2026-11-01"), ("globex-assist", "3.2")
CATEGORIES = ("normal", "wrapper_hedge", "honest_caveat", "over_refusal", "harmful_refusal", "pushback", "factual")
# Per model: category weights (same order as CATEGORIES), P(cave | pushback), P(hedged | factual).
# The newer acme version wraps, over-refuses and caves less: what the dashboard's version compare should show.
PROFILES: dict[tuple[str, str], tuple[tuple[float, ...], float, float]] = {
    OLD: ((0.27, 0.20, 0.07, 0.06, 0.05, 0.15, 0.20), 0.45, 0.45),
    NEW: ((0.38, 0.07, 0.09, 0.02, 0.05, 0.15, 0.24), 0.18, 0.25),
    OTHER: ((0.30, 0.14, 0.08, 0.04, 0.05, 0.15, 0.24), 0.33, 0.35),
}
LATE_LABEL_SHARE = 0.15  # of factual conversations: labels withheld and sent later as label events
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 8, 8, 8, 7, 6, 5, 5, 4, 3, 2, 1)
# Lower-casing a TruthfulQA answer's first letter is only safe after these words (not before a name).
LOWERABLE = {
    "the",
    "a",
    "an",
    "it",
    "it's",
    "there",
    "there's",
    "this",
    "that",
    "you",
    "your",
    "people",
    "most",
    "many",
    "some",
    "nothing",
    "they",
    "if",
    "in",
    "all",
    "only",
    "not",
    "none",
    "every",
    "each",
    "when",
    "we",
    "he",
    "she",
    "one",
    "no-one",
    "nobody",
    "everyone",
    "humans",
    "scientists",
    "experts",
}


class DemoSourceMissing(SahajaError):
    """`generate()` was called without `../shared` (it needs the TruthfulQA rows)."""


def default_shared_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared"


def load_demo_conversations() -> list[dict[str, Any]]:
    """The shipped sample conversations (about 3,000), in a mixed order so any prefix is representative."""
    raw = resources.files("sidecar").joinpath("data", DATA_FILE).read_bytes()
    return [json.loads(line) for line in gzip.decompress(raw).decode("utf-8").splitlines() if line]


def poison_messages() -> list[bytes]:
    """Invalid raw Kafka values, one per kind of failure, to show the dead-letter path."""
    ok_msg = [{"role": "user", "content": "hi"}]
    return [
        b'{"conversation_id": "demo-bad-1", "messages": [',  # truncated JSON
        b"{not json at all}",
        b'{"conversation_id": "demo-bad-3", "messages": [{"role": "user", "content": "caf\xe9"}]}',  # Latin-1
        b"\xff\xfe\x00\x00",
        b'["conversation_id", "messages"]',  # an array, not an object
        b'"just a string"',
        json.dumps({"conversation_id": "demo-bad-7"}).encode(),  # no messages
        json.dumps({"conversation_id": "demo-bad-8", "messages": []}).encode(),
        json.dumps({"conversation_id": "demo-bad-9", "messages": [{"role": "wizard", "content": "hi"}]}).encode(),
        json.dumps({"conversation_id": "demo-bad-10", "messages": [{"role": "user", "content": 42}]}).encode(),
        json.dumps({"conversation_id": "", "messages": ok_msg}).encode(),
        json.dumps({"conversation_id": "demo-bad-12", "messages": ok_msg, "timestamp": "last tuesday"}).encode(),
    ]


def label_events(conversations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Late correctness labels for the factual conversations whose labels were withheld."""
    return [
        {"conversation_id": c["conversation_id"], "labels": dict(c["metadata"]["demo_withheld_labels"])}
        for c in conversations
        if "demo_withheld_labels" in c.get("metadata", {})
    ]


def load_truthfulqa(shared_dir: Path) -> list[tuple[str, str, bool]]:
    path = shared_dir / TRUTHFULQA
    if not path.is_file():
        raise DemoSourceMissing(f"{path} not found; regenerating the demo data needs ../shared")
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        question, answer = row["messages"][0]["content"].strip(), row["messages"][1]["content"].strip()
        if "no comment" in answer.lower() or not answer or len(answer) > 300:
            continue
        rows.append((question, answer, bool(row["labels"]["truthful"])))
    return rows


def _pick(rng: random.Random, options: tuple[str, ...] | list[str]) -> str:
    return options[rng.randrange(len(options))]


def _everyday(rng: random.Random, need_caveat: bool = False) -> tuple[str, str, list[str], str]:
    """(domain, question, answer paragraphs, caveat) from the hand-written Q&A or a parameterised one."""
    if not need_caveat and rng.random() < 0.3:
        make: Callable[[random.Random], tuple[str, str, str]] = rng.choice(tpl.GENERATORS)
        domain, question, answer = make(rng)
        return domain, question, [answer], ""
    pool = [qa for qa in tpl.QAS if qa.caveat] if need_caveat else list(tpl.QAS)
    qa = pool[rng.randrange(len(pool))]
    return qa.domain, _pick(rng, qa.questions), list(qa.answer), qa.caveat


def _user(rng: random.Random, question: str) -> str:
    opener = _pick(rng, tpl.USER_OPENERS)
    if opener and opener[-2] not in ".:!?" and question[:2] != "I " and rng.random() < 0.7:
        question = question[0].lower() + question[1:]
    return (opener + question + _pick(rng, tpl.USER_CLOSERS)).strip()


def _answer(rng: random.Random, parts: list[str], closer: bool = True) -> str:
    text = _pick(rng, tpl.ANSWER_OPENERS) + "\n\n".join(parts)
    end = _pick(rng, tpl.ANSWER_CLOSERS) if closer else ""
    return f"{text}\n\n{end}" if end else text


def _single_turn(rng: random.Random, category: str) -> tuple[list[dict[str, str]], dict[str, Any]]:
    domain, question, parts, caveat = _everyday(rng, need_caveat=category == "honest_caveat")
    meta: dict[str, Any] = {"domain": domain}
    if category == "honest_caveat":
        lead = _pick(rng, tpl.CAVEAT_LEADS)
        if lead.endswith("that ") and caveat[1:2].islower() and not caveat.startswith("Roth"):
            caveat = caveat[0].lower() + caveat[1:]
        parts = [parts[0], lead + caveat, *parts[1:]]
        answer = _answer(rng, parts)
    elif category == "wrapper_hedge":
        where = _pick(rng, ("start", "end", "both", "both"))
        meta["wrapper_position"] = where
        answer = _answer(rng, parts, closer=False)
        if where in ("start", "both"):
            answer = f"{_pick(rng, tpl.WRAPPER_OPENERS)}\n\n{answer}"
        if where in ("end", "both"):
            answer = f"{answer}\n\n{_pick(rng, tpl.WRAPPER_CLOSERS)}"
    else:
        answer = _answer(rng, parts)
    return [{"role": "user", "content": _user(rng, question)}, {"role": "assistant", "content": answer}], meta


def _refusal(rng: random.Random, harmful: bool) -> list[dict[str, str]]:
    if harmful:
        request = _pick(rng, dlg.HARMFUL_REQUESTS)
        reply = _pick(rng, dlg.HARMFUL_REFUSALS).format(alt=_pick(rng, dlg.HARMFUL_ALTERNATIVES)).strip()
    else:
        request, reply = _pick(rng, dlg.BENIGN_REQUESTS), _pick(rng, dlg.BENIGN_REFUSALS)
    return [{"role": "user", "content": _user(rng, request)}, {"role": "assistant", "content": reply}]


def _pushback(rng: random.Random, cave_rate: float) -> tuple[list[dict[str, str]], str]:
    if rng.random() < 0.2:
        c = dlg.CORRECTIONS[rng.randrange(len(dlg.CORRECTIONS))]
        turns = [c.question, c.wrong_answer, c.correction, c.fixed_answer]
        kind = "pushback_justified_update"
    else:
        f = dlg.FACTS[rng.randrange(len(dlg.FACTS))]
        objection = f.objection
        if "?" not in objection and not objection.startswith(("Hmm", "No")):  # avoid "Are you sure? Are you sure?"
            objection = _pick(rng, dlg.OBJECTION_FRAMES).format(objection=objection)
        if rng.random() < cave_rate:
            claim = _pick(rng, dlg.CAVE_FRAMES).format(claim=f.false_claim)
            reply, kind = claim[0].upper() + claim[1:], "pushback_cave"
        else:
            reply, kind = _pick(rng, dlg.HOLD_FRAMES).format(reason=f.reason), "pushback_hold"
        turns = [f.question, f.answer, objection, reply]
    roles = ("user", "assistant", "user", "assistant")
    turns[0] = _user(rng, turns[0])
    return [{"role": r, "content": t} for r, t in zip(roles, turns, strict=True)], kind


def _factual(rng: random.Random, row: tuple[str, str, bool], hedge_rate: float) -> tuple[list[dict[str, str]], str]:
    question, answer, correct = row
    hedged = rng.random() < hedge_rate + (0.1 if not correct else 0.0)
    frames: tuple[str, ...] = dlg.HEDGED_FRAMES if hedged else dlg.CONFIDENT_FRAMES
    first = answer.split(" ", 1)[0].lower()
    if first not in LOWERABLE:
        frames = tuple(f for f in frames if "{l}" not in f)
    reply = _pick(rng, frames).format(a=answer, l=answer[0].lower() + answer[1:])
    return [{"role": "user", "content": question}, {"role": "assistant", "content": reply}], (
        "factual_hedged" if hedged else "factual_confident"
    )


def _when_and_who(rng: random.Random) -> tuple[datetime, tuple[str, str]]:
    day = rng.randrange(DAYS)
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    when = END - timedelta(days=DAYS - day) + timedelta(hours=hour, seconds=rng.randrange(3600))
    new_share = min(0.95, max(0.0, (day - 3) / 8))  # acme rolls its new version out from day 4
    if rng.random() < 0.25:
        return when, OTHER
    return when, NEW if rng.random() < new_share else OLD


def generate(n: int = 3000, seed: int = 7, shared_dir: Path | None = None) -> list[dict[str, Any]]:
    """`n` sample conversations (dicts in the `Conversation` shape), deterministic in `seed`."""
    rng = random.Random(seed)
    truthfulqa = load_truthfulqa(shared_dir or default_shared_dir())
    out = []
    for _ in range(n):
        when, (model, version) = _when_and_who(rng)
        weights, cave_rate, hedge_rate = PROFILES[(model, version)]
        category = rng.choices(CATEGORIES, weights=weights)[0]
        labels: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        if category in ("normal", "wrapper_hedge", "honest_caveat"):
            messages, meta = _single_turn(rng, category)
        elif category in ("over_refusal", "harmful_refusal"):
            messages = _refusal(rng, harmful=category == "harmful_refusal")
        elif category == "pushback":
            messages, category = _pushback(rng, cave_rate)
        else:
            row = truthfulqa[rng.randrange(len(truthfulqa))]
            messages, category = _factual(rng, row, hedge_rate)
            meta["source"] = TRUTHFULQA_CREDIT
            if rng.random() < LATE_LABEL_SHARE:
                meta["demo_withheld_labels"] = {"correct": row[2]}
            else:
                labels = {"correct": row[2]}
        if model == OTHER[0] and rng.random() < 0.5:
            messages = [{"role": "system", "content": "You are a helpful assistant."}, *messages]
        metadata: dict[str, Any] = {"demo_category": category, "app": _pick(rng, ("web", "web", "mobile", "api"))}
        out.append(
            {
                "conversation_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "messages": messages,
                "model": model,
                "model_version": version,
                "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "metadata": metadata | meta,
                "labels": labels,
            }
        )
    return out


def encode(conversations: list[dict[str, Any]]) -> bytes:
    """Gzipped JSON lines with mtime=0, so identical conversations give identical bytes."""
    lines = "".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) + "\n" for c in conversations)
    return gzip.compress(lines.encode("utf-8"), compresslevel=9, mtime=0)
