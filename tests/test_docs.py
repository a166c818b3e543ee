"""The docs say what the code does: settings table and JSON Schemas are generated, and checked here."""

import json
from pathlib import Path

from detectors.schema import conversation_json_schema, score_record_json_schema
from sidecar.settings_doc import readme_block

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_matches_the_settings_class() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    hint = "regenerate: python -c 'from sidecar.settings_doc import readme_block; print(readme_block())'"
    assert readme_block() in readme, hint


def test_exported_json_schemas_are_current() -> None:
    folder = ROOT / "detectors" / "schemas"
    assert json.loads((folder / "conversation.schema.json").read_text()) == conversation_json_schema()
    assert json.loads((folder / "score_record.schema.json").read_text()) == score_record_json_schema()


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "pip install -e '.[test]' && python -m pytest"
    assert command in readme and command in ci
