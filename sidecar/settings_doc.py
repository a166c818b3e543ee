"""Render the settings table of the README from the Settings class, so the docs cannot go stale."""

from __future__ import annotations

from pydantic import SecretStr

from sidecar.settings import Settings

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    if field.default_factory is not None:
        return "`~/.cache/sahaja`" if name == "model_cache_dir" else "(computed)"
    value = field.default
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{value}`"


def settings_markdown() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        rows.append(f"| `SAHAJA_{name.upper()}` | {_default(name)} | {field.description} |")
    return "\n".join(rows)


def readme_block() -> str:
    return f"{BEGIN}\n{settings_markdown()}\n{END}"
