import json

import pytest

from detectors.schema import SourceRef
from sidecar.batch import split_batch
from sidecar.errors import InvalidMessage
from sidecar.validate import parse_conversation
from tests.conftest import conversation

SRC = SourceRef(topic="t", partition=0, offset=5)


def parse(raw: bytes, max_bytes: int = 1 << 20, max_messages: int = 200):
    return parse_conversation(raw, SRC, max_bytes=max_bytes, max_messages=max_messages)


def test_valid_conversation_parses_with_source() -> None:
    item = parse(json.dumps(conversation(1)).encode())
    assert item.conversation.conversation_id == "conv-000001"
    assert item.conversation.assistant_turns() == [1]
    assert item.source.offset == 5


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "bad_json"),
        (b"\xff\xfe{}", "bad_utf8"),
        (b"[1, 2]", "not_an_object"),
        (b'{"conversation_id": "x"}', "schema"),
        (b'{"conversation_id": "x", "messages": []}', "schema"),
        (b'{"conversation_id": "x", "messages": [{"role": "wizard", "content": "hi"}]}', "schema"),
        (b'{"conversation_id": 5, "messages": [{"role": "user", "content": "hi"}]}', "schema"),
        (b"[" * 100_000 + b"]" * 100_000, "bad_json"),
    ],
)
def test_invalid_messages_get_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage) as info:
        parse(raw)
    assert info.value.reason == reason
    assert info.value.detail


def test_limits_come_from_settings() -> None:
    big = json.dumps(conversation(1, metadata={"pad": "x" * 5000})).encode()
    with pytest.raises(InvalidMessage) as info:
        parse(big, max_bytes=2048)
    assert info.value.reason == "oversize"
    many = conversation(2)
    many["messages"] = [{"role": "user", "content": "hi"}] * 11
    with pytest.raises(InvalidMessage) as info:
        parse(json.dumps(many).encode(), max_messages=10)
    assert info.value.reason == "too_many_messages"


def test_schema_errors_do_not_echo_input_text() -> None:
    raw = json.dumps({"conversation_id": "x", "messages": [{"role": "wizard", "content": "SECRET TEXT"}]}).encode()
    with pytest.raises(InvalidMessage) as info:
        parse(raw)
    assert "SECRET" not in info.value.detail


class Rec:
    def __init__(self, topic: str, partition: int, offset: int, value: bytes) -> None:
        self.topic, self.partition, self.offset, self.value = topic, partition, offset, value
        self.key, self.timestamp = None, 1_700_000_000_000


def test_split_batch_routes_and_computes_commits() -> None:
    recs = [
        Rec("in", 0, 10, json.dumps(conversation(1)).encode()),
        Rec("in", 0, 11, b"garbage"),
        Rec("in", 1, 3, json.dumps(conversation(2)).encode()),
        Rec("labels", 0, 0, b'{"conversation_id": "conv-000001", "labels": {"correct": false}}'),
    ]
    out = split_batch(recs, labels_topic="labels", max_bytes=1 << 20, max_messages=200)
    assert [c.conversation.conversation_id for c in out.conversations] == ["conv-000001", "conv-000002"]
    assert [(d.offset, d.reason, d.value) for d in out.dead] == [(11, "bad_json", b"garbage")]
    assert out.labels[0][1].labels == {"correct": False}
    assert out.commit == {("in", 0): 12, ("in", 1): 4, ("labels", 0): 1}
    assert out.ranges["in"] == {0: (10, 11), 1: (3, 3)}
    assert out.conversations[0].event_time.year == 2023  # record timestamp when the message has none
