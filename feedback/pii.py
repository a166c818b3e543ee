"""Scrubbing personal data and secrets out of text before it leaves as training data.

A `Scrubber` replaces what it finds with a typed placeholder (`[EMAIL]`, `[API_KEY]`, ...) and
says how many it replaced. Scrubbers are registered by name; `default_scrubber()` chains all
registered ones in registration order (secrets before numbers, so a key full of digits is not
half-read as a phone number). Add one with `@register_scrubber("name")` on a zero-argument
factory. Regexes miss things: this lowers the risk, it does not replace review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class Scrubber(Protocol):
    """Replaces one kind of sensitive text; returns the new text and the number of replacements."""

    @property
    def name(self) -> str: ...

    def scrub(self, text: str) -> tuple[str, int]: ...


_SCRUBBERS: dict[str, Callable[[], Scrubber]] = {}


def register_scrubber(name: str) -> Callable[[Callable[[], Scrubber]], Callable[[], Scrubber]]:
    def wrap(factory: Callable[[], Scrubber]) -> Callable[[], Scrubber]:
        if name in _SCRUBBERS:
            raise ValueError(f"scrubber {name!r} registered twice")
        _SCRUBBERS[name] = factory
        return factory

    return wrap


def registered_scrubbers() -> list[str]:
    return list(_SCRUBBERS)


@dataclass(frozen=True)
class RegexScrubber:
    """A pattern and a placeholder; `accept` can veto a match (checksums, digit counts)."""

    name: str
    pattern: re.Pattern[str]
    placeholder: str
    accept: Callable[[str], bool] | None = None

    def scrub(self, text: str) -> tuple[str, int]:
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            if self.accept is not None and not self.accept(match.group(0)):
                return match.group(0)
            count += 1
            return self.placeholder

        return self.pattern.sub(replace, text), count


@dataclass(frozen=True)
class ChainScrubber:
    """Several scrubbers in order; counts are kept per scrubber name."""

    scrubbers: Sequence[Scrubber]
    name: str = "chain"

    def scrub(self, text: str) -> tuple[str, int]:
        text, counts = self.scrub_counted(text)
        return text, sum(counts.values())

    def scrub_counted(self, text: str) -> tuple[str, dict[str, int]]:
        counts: dict[str, int] = {}
        for scrubber in self.scrubbers:
            text, n = scrubber.scrub(text)
            if n:
                counts[scrubber.name] = counts.get(scrubber.name, 0) + n
        return text, counts

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scrubbers]


def default_scrubber(names: Sequence[str] | None = None) -> ChainScrubber:
    """All registered scrubbers (or the named ones), in registration order."""
    chosen = registered_scrubbers() if names is None else list(names)
    unknown = [n for n in chosen if n not in _SCRUBBERS]
    if unknown:
        raise ValueError(f"unknown scrubbers {unknown}; registered: {registered_scrubbers()}")
    return ChainScrubber([_SCRUBBERS[n]() for n in chosen])


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _luhn_ok(text: str) -> bool:
    digits = [int(d) for d in _digits(text)][::-1]
    if not 13 <= len(digits) <= 19:
        return False
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _phone_ok(text: str) -> bool:
    return 9 <= len(_digits(text)) <= 15


def _token_ok(text: str) -> bool:
    # Long runs of letters only are words or identifiers; a secret mixes letters and digits.
    return bool(re.search(r"\d", text)) and bool(re.search(r"[A-Za-z]", text))


_API_KEY = re.compile(
    r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}|hf_[A-Za-z0-9]{30,})"
)
_BEARER = re.compile(r"(?i)\b(?:bearer|token|api[_-]?key|secret|password)(\s*[:=]\s*|\s+)[\"']?[^\s\"']{12,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w.]\d)")
_LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])(?:[0-9a-fA-F]{32,}|[A-Za-z0-9+/_-]{40,}={0,2})(?![A-Za-z0-9+/_-])")


@register_scrubber("api_key")
def _api_key() -> Scrubber:
    return RegexScrubber("api_key", _API_KEY, "[API_KEY]")


@register_scrubber("credential")
def _credential() -> Scrubber:
    return _CredentialScrubber()


@register_scrubber("iban")
def _iban() -> Scrubber:
    return RegexScrubber("iban", _IBAN, "[IBAN]", _iban_ok)


@register_scrubber("card")
def _card() -> Scrubber:
    return RegexScrubber("card", _CARD, "[CARD]", _luhn_ok)


@register_scrubber("email")
def _email() -> Scrubber:
    return RegexScrubber("email", _EMAIL, "[EMAIL]")


@register_scrubber("phone")
def _phone() -> Scrubber:
    return RegexScrubber("phone", _PHONE, "[PHONE]", _phone_ok)


@register_scrubber("token")
def _token() -> Scrubber:
    return RegexScrubber("token", _LONG_TOKEN, "[TOKEN]", _token_ok)


class _CredentialScrubber:
    """`password: hunter2...`, `Bearer eyJ...`: keeps the label, replaces the value."""

    name = "credential"

    def scrub(self, text: str) -> tuple[str, int]:
        count = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            label_end = match.start(1) - match.start() + len(match.group(1))
            return match.group(0)[:label_end] + "[SECRET]"

        return _BEARER.sub(replace, text), count
