"""Which text of a conversation stands for it in drift: the last prompt and the start of its answer.

The prompt carries the topic (what users ask), the first part of the reply carries the behaviour
(how the model answers: refusals, disclaimers, format). Both halves are cut to a fixed number of
characters, about one 256-token encoder window together, so that a long answer cannot drown the
prompt in the pooled embedding and length alone moves the embedding little (lengths have their
own test). The `drift`
detector asks the pipeline to embed exactly this text, so the worker's drift monitor reuses the
batch's embeddings instead of running the encoder again.
"""

from __future__ import annotations

from detectors.schema import Conversation

DRIFT_TEXT_VERSION = "prompt500+reply500/v1"
PROMPT_CHARS = 500
REPLY_CHARS = 500


def last_content(conversation: Conversation, role: str) -> str:
    for message in reversed(conversation.messages):
        if message.role == role:
            return message.content
    return ""


def drift_text(conversation: Conversation) -> str:
    """The last user message (500 chars) and the first 500 chars of the last assistant reply."""
    prompt = last_content(conversation, "user").strip()[:PROMPT_CHARS]
    reply = last_content(conversation, "assistant").strip()[:REPLY_CHARS]
    return f"{prompt}\n\n{reply}" if reply else prompt


def reply_length(conversation: Conversation) -> int:
    """Characters of the last assistant reply: the length statistic the reference keeps."""
    return len(last_content(conversation, "assistant"))


def prompt_length(conversation: Conversation) -> int:
    return len(last_content(conversation, "user"))
