"""Test modules need unique basenames: pytest imports them by basename (rootdir-relative, no packages)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_test_module_and_helper_names_are_unique() -> None:
    names = Counter(p.name for p in TESTS.rglob("*.py")
                    if "fixtures" not in p.parts and p.name not in {"conftest.py", "__init__.py"}
                    and (p.name.startswith("test_") or p.name.startswith("_")))
    assert [name for name, count in names.items() if count > 1] == []
