"""Shared fixtures: one real embedded broker per session, fresh topics and groups per test."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sidecar.broker import EmbeddedBroker, create_topics
from sidecar.settings import Settings

_counter = itertools.count()


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture
def settings_factory(broker: EmbeddedBroker, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test: its own topics, group and lake; short group timeouts so joins are quick."""

    def make(**overrides: Any) -> Settings:
        tag = f"{next(_counter)}-{uuid.uuid4().hex[:6]}"
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": broker.bootstrap,
            "input_topic": f"in-{tag}",
            "labels_topic": f"labels-{tag}",
            "scores_topic": f"scores-{tag}",
            "dlq_topic": f"dlq-{tag}",
            "group_id": f"g-{tag}",
            "lake_path": tmp_path / f"lake-{tag}",
            "session_timeout_ms": 6000,
            "heartbeat_interval_ms": 500,
            "max_poll_interval_ms": 10000,
            "batch_max_size": 64,
            "batch_max_wait_ms": 100,
            "http_port": 0,
            "http_host": "127.0.0.1",
            "detectors": ("wrapper_lexicon",),
        }
        values.update(overrides)
        settings = Settings(**values)
        create_topics(broker.bootstrap, [settings.input_topic, settings.labels_topic, settings.scores_topic,
                                         settings.dlq_topic])
        return settings

    return make


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment a `sahaja` subprocess needs to rebuild the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAHAJA_")}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        key = f"SAHAJA_{name.upper()}"
        env[key] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    if settings.api_token:
        env["SAHAJA_API_TOKEN"] = settings.api_token.get_secret_value()
    return env


def conversation(i: int, *, wrapper: bool = False, **extra: Any) -> dict[str, Any]:
    answer = f"The capital question number {i} has a plain answer: {i * 7}."
    if wrapper:
        answer = "As an AI language model, I must note that I am not an expert. " + answer
    body = {
        "conversation_id": f"conv-{i:06d}",
        "messages": [
            {"role": "user", "content": f"What is {i} times seven?"},
            {"role": "assistant", "content": answer},
        ],
        "model": "test-model",
        "model_version": "v1",
    }
    body.update(extra)
    return body
