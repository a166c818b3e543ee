"""The shipped demo traffic: valid, varied, in sensible proportions, and reproducible from ../shared."""

from __future__ import annotations

import collections
import json
from datetime import UTC, datetime

import pytest

from detectors.baseline import lexicon_score
from detectors.schema import Conversation, SourceRef
from sidecar import demo_data
from sidecar.errors import InvalidMessage
from sidecar.validate import parse_conversation, parse_label_event

SHIPPED = demo_data.load_demo_conversations()
PARSED = [Conversation.model_validate(c) for c in SHIPPED]
CATEGORIES = collections.Counter(c["metadata"]["demo_category"] for c in SHIPPED)


def test_every_conversation_validates_and_ids_are_unique() -> None:
    assert 2500 <= len(SHIPPED) <= 3500
    assert len({c.conversation_id for c in PARSED}) == len(PARSED)
    assert all(c.assistant_turns() and c.model and c.model_version for c in PARSED)


def test_timestamps_span_fourteen_days_ending_20_november() -> None:
    days = {c.timestamp.date() for c in PARSED if c.timestamp}
    assert len(days) == 14
    assert max(days) == datetime(2026, 11, 20, tzinfo=UTC).date()
    assert all(c.timestamp and c.timestamp.tzinfo is not None for c in PARSED)


@pytest.mark.parametrize(
    ("category", "low", "high"),
    [
        ("normal", 0.20, 0.45),
        ("wrapper_hedge", 0.08, 0.25),
        ("honest_caveat", 0.04, 0.12),
        ("over_refusal", 0.02, 0.08),
        ("harmful_refusal", 0.03, 0.08),
        ("pushback_hold", 0.04, 0.15),
        ("pushback_cave", 0.02, 0.10),
        ("pushback_justified_update", 0.01, 0.06),
        ("factual_confident", 0.08, 0.25),
        ("factual_hedged", 0.04, 0.20),
    ],
)
def test_category_share_is_sensible(category: str, low: float, high: float) -> None:
    assert low <= CATEGORIES[category] / len(SHIPPED) <= high


def test_newer_version_wraps_less_than_older() -> None:
    def wrap_rate(version: str) -> float:
        rows = [c for c in SHIPPED if c["model_version"] == version]
        return sum(c["metadata"]["demo_category"] == "wrapper_hedge" for c in rows) / len(rows)

    assert wrap_rate("2026-11-01") < wrap_rate("2026-10-01") / 2


def test_wrapper_answers_carry_stock_phrases_and_normal_ones_do_not() -> None:
    def mean_lexicon(category: str) -> float:
        texts = [
            c.messages[-1].content
            for c, raw in zip(PARSED, SHIPPED, strict=True)
            if raw["metadata"]["demo_category"] == category
        ]
        return sum(lexicon_score(t) for t in texts) / len(texts)

    assert mean_lexicon("wrapper_hedge") > 0.3
    assert mean_lexicon("normal") < 0.02


def test_text_is_varied_not_a_handful_of_strings() -> None:
    for category in ("normal", "wrapper_hedge", "honest_caveat", "factual_confident"):
        answers = {c["messages"][-1]["content"] for c in SHIPPED if c["metadata"]["demo_category"] == category}
        assert len(answers) >= 0.5 * CATEGORIES[category], category


def test_factual_answers_have_a_label_now_or_a_late_one() -> None:
    factual = [c for c in SHIPPED if c["metadata"]["demo_category"].startswith("factual_")]
    late = demo_data.label_events(SHIPPED)
    late_ids = {e["conversation_id"] for e in late}
    assert 60 <= len(late) <= 160
    for c in factual:
        has_now = isinstance(c["labels"].get("correct"), bool)
        assert has_now != (c["conversation_id"] in late_ids)
    assert {True, False} <= {c["labels"]["correct"] for c in factual if c["labels"]}
    assert all("correct" not in c["labels"] for c in SHIPPED if not c["metadata"]["demo_category"].startswith("fact"))
    for event in late:
        assert parse_label_event(json.dumps(event).encode(), max_bytes=1 << 20).labels["correct"] in (True, False)


def test_every_poison_message_is_rejected_by_validation() -> None:
    poison = demo_data.poison_messages()
    assert len(poison) >= 8
    reasons = set()
    for raw in poison:
        with pytest.raises(InvalidMessage) as info:
            parse_conversation(raw, SourceRef(), max_bytes=1 << 20, max_messages=200)
        reasons.add(info.value.reason)
    assert {"bad_json", "bad_utf8", "not_an_object", "schema"} <= reasons


def test_regenerating_gives_identical_bytes() -> None:
    if not (demo_data.default_shared_dir() / demo_data.TRUTHFULQA).is_file():
        pytest.skip("../shared is absent: the shipped file cannot be rebuilt here")
    shipped = demo_data.resources.files("sidecar").joinpath("data", demo_data.DATA_FILE).read_bytes()
    assert demo_data.encode(demo_data.generate()) == shipped
    assert demo_data.encode(demo_data.generate(seed=8)) != shipped


def test_generate_without_shared_raises_a_typed_error(tmp_path) -> None:
    with pytest.raises(demo_data.DemoSourceMissing):
        demo_data.generate(10, shared_dir=tmp_path)
