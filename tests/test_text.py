"""The sentence splitter: offsets are exact, and chat-answer structure is respected."""

from __future__ import annotations

import pytest

from detectors.text import select_sentences, split_sentences


def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def _assert_offsets(text: str) -> None:
    for s in split_sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text


def test_plain_sentences_split_on_terminal_punctuation() -> None:
    text = "The bridge opened in 1932. It carries eight lanes! Is it the longest? No."
    assert _texts(text) == ["The bridge opened in 1932.", "It carries eight lanes!", "Is it the longest?", "No."]
    _assert_offsets(text)


def test_abbreviations_initials_and_decimals_do_not_end_a_sentence() -> None:
    text = "Ask Dr. Rao, e.g. at 3 p.m. today. J. R. R. Tolkien wrote it in the U.K. in 1937. Pi is 3.14 roughly."
    assert _texts(text) == [
        "Ask Dr. Rao, e.g. at 3 p.m. today.",
        "J. R. R. Tolkien wrote it in the U.K. in 1937.",
        "Pi is 3.14 roughly.",
    ]


def test_list_items_and_headings_are_units_without_their_markers() -> None:
    text = "## Steps\n1. Preheat the oven. Grease a tin.\n2) Mix flour\n- stir well\n* bake for 20 min"
    assert _texts(text) == ["Steps", "Preheat the oven.", "Grease a tin.", "Mix flour", "stir well", "bake for 20 min"]
    _assert_offsets(text)


def test_hard_wrapped_prose_is_rejoined_but_new_lines_starting_upper_case_are_not() -> None:
    text = "This sentence was wrapped\nacross two lines.\nA new line starts here\nThen another"
    assert _texts(text) == ["This sentence was wrapped\nacross two lines.", "A new line starts here", "Then another"]


def test_fenced_code_stays_whole_and_is_marked() -> None:
    text = "Use this:\n\n```python\nx = 1. \nprint(x)  # done. Really.\n```\nThat is all."
    sentences = split_sentences(text)
    assert [s.code for s in sentences] == [False, True, False]
    assert sentences[1].text.startswith("```python") and sentences[1].text.endswith("```")
    _assert_offsets(text)


def test_unclosed_fence_runs_to_the_end() -> None:
    text = "Here:\n```\ncode without end. More code."
    sentences = split_sentences(text)
    assert [s.code for s in sentences] == [False, True]


def test_cjk_marks_split_without_spaces() -> None:
    assert _texts("今天很好。我们走吧！好吗？") == ["今天很好。", "我们走吧！", "好吗？"]


@pytest.mark.parametrize("text", ["", "   \n\n\t", "```\n```"])
def test_empty_or_blank_input_gives_no_prose(text: str) -> None:
    assert [s for s in split_sentences(text) if not s.code] == []


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert _texts('He said "stop." Then he left.') == ['He said "stop."', "Then he left."]


def test_offsets_hold_on_messy_text() -> None:
    text = "  Lead space.  \r\n\r\n> quoted line. And more...  \n| a | b |\n|---|---|\n\n   trailing?  "
    _assert_offsets(text)
    assert "quoted line." in _texts(text)


def test_select_keeps_head_and_tail_when_over_the_limit() -> None:
    text = " ".join(f"Sentence number {i}." for i in range(10))
    sentences = split_sentences(text)
    assert select_sentences(sentences, 4) == [0, 1, 8, 9]
    assert select_sentences(sentences, 20) == list(range(10))
    assert select_sentences(sentences, 0) == []
    assert select_sentences(sentences, 3, head=3) == [0, 1, 2]


def test_select_skips_code() -> None:
    sentences = split_sentences("Intro.\n```\ncode\n```\nOutro.")
    assert select_sentences(sentences, 5) == [0, 2]
