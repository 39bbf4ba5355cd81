"""The reference page lists every public name, and every public name has a docstring."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import gen_reference  # noqa: E402 (scripts/ is put on the path first)


@pytest.mark.parametrize("module_name", [name for name, _ in gen_reference.available_modules()])
def test_every_public_name_has_a_docstring(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__, f"{module_name} has no module docstring"
    missing = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
            missing.append(name)
    assert not missing, f"{module_name}: public names without a docstring: {missing}"


@pytest.mark.parametrize("module_name", [name for name, _ in gen_reference.available_modules()])
def test_reference_page_lists_every_public_name(module_name: str) -> None:
    page = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert f"## `{module_name}`" in page, (
        f"docs/reference.md lacks {module_name}: run python scripts/gen_reference.py"
    )
    section = page.split(f"## `{module_name}`", 1)[1].split("\n## ", 1)[0]
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if f"### `{name}" not in section]
    assert not missing, f"docs/reference.md misses {missing}: run python scripts/gen_reference.py"


def test_top_level_all_is_importable_and_documented() -> None:
    import ticketcore

    for name in ticketcore.__all__:
        assert hasattr(ticketcore, name), name
