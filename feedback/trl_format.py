"""TRL's dataset formats, as documented (https://huggingface.co/docs/trl/dataset_formats).

Conversational preference (DPO): {"prompt": [messages], "chosen": [one assistant message],
"rejected": [one assistant message]}, the prompt ending with the user turn the answers reply to.
Unpaired preference (KTO): {"prompt": [messages], "completion": [one assistant message],
"label": bool}. A message is {"role", "content"}. The export checks every row against these rules
before writing, and `verify_batch` checks them again when reading a batch back.
"""

from __future__ import annotations

from typing import Any

from feedback.candidates import ChatTurn

ROLES = frozenset({"system", "user", "assistant", "tool"})


def messages(turns: list[ChatTurn]) -> list[dict[str, str]]:
    return [{"role": t.role, "content": t.content} for t in turns]


def preference_row(prompt: list[ChatTurn], chosen: list[ChatTurn], rejected: list[ChatTurn]) -> dict[str, Any]:
    return {"prompt": messages(prompt), "chosen": messages(chosen), "rejected": messages(rejected)}


def unpaired_row(prompt: list[ChatTurn], completion: list[ChatTurn]) -> dict[str, Any]:
    return {"prompt": messages(prompt), "completion": messages(completion), "label": False}


def schema_problems(row: dict[str, Any], kind: str) -> list[str]:
    """What is wrong with `row` as a `kind` ('preference' or 'unpaired') row; empty when it is valid."""
    answers = ("chosen", "rejected") if kind == "preference" else ("completion",)
    expected = {"prompt", *answers} | ({"label"} if kind == "unpaired" else set())
    problems = [f"keys {sorted(row)} != {sorted(expected)}"] if set(row) != expected else []
    prompt = row.get("prompt")
    problems += _message_problems("prompt", prompt)
    if isinstance(prompt, list) and prompt and isinstance(prompt[-1], dict) and prompt[-1].get("role") != "user":
        problems.append("prompt does not end with a user turn")
    for key in answers:
        value = row.get(key)
        problems += _message_problems(key, value)
        if not (isinstance(value, list) and len(value) == 1 and value[0].get("role") == "assistant"):
            problems.append(f"{key} is not exactly one assistant message")
    if kind == "unpaired" and not isinstance(row.get("label"), bool):
        problems.append("label is not a boolean")
    return problems


def _message_problems(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"{key} is not a non-empty list"]
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or set(m) != {"role", "content"}:
            out.append(f"{key}[{i}] is not {{role, content}}")
        elif m["role"] not in ROLES or not isinstance(m["content"], str):
            out.append(f"{key}[{i}] has a bad role or content")
    return out
