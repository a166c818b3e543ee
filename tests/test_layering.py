"""The dependency direction the design fixes, checked on the source: detectors <- feedback <- sidecar,
dashboard -> feedback (never the worker). Parsed with `ast`, so a lazy import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    # detectors is pure: conversations in, score records out
    "detectors": ("sidecar", "feedback", "dashboard", "benchmarks", "kafka", "fastapi", "uvicorn", "streamlit",
                  "torch"),
    "feedback": ("sidecar", "dashboard", "benchmarks", "kafka", "torch"),
    "dashboard": ("sidecar", "benchmarks", "kafka", "torch"),
    # sidecar composes; its CLI starts the dashboard (`sahaja dashboard`), so dashboard is allowed there
    "sidecar": ("benchmarks", "torch"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert not bad, "\n".join(bad)


def test_the_check_sees_lazy_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from sidecar.worker import Worker\n    import kafka\n", encoding="utf-8")
    assert [name for _, name in imported_modules(probe)] == ["sidecar.worker", "kafka"]
