"""One error tree: every exception the services define descends from shared.errors.AuraError,
so each entry point maps one hierarchy to its wire codes (HttpsError, HTTP status, retry)."""

from __future__ import annotations

import ast
import builtins

import pytest

from tests.unit.ops.test_store_boundary import ROOT

PACKAGES = (ROOT / "shared", ROOT / "functions" / "auraos_functions", ROOT / "ai_service")
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def roots_outside_the_tree(source: str) -> list[str]:
    """Classes in `source` that subclass a built-in exception directly."""
    return [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
        and any(isinstance(base, ast.Name) and base.id in BUILTIN_EXCEPTIONS for base in node.bases)
    ]


def test_every_exception_descends_from_aura_error() -> None:
    roots = [
        f"{path.relative_to(ROOT)}: {name}"
        for package in PACKAGES
        for path in sorted(package.rglob("*.py"))
        for name in roots_outside_the_tree(path.read_text())
    ]
    assert roots == ["shared/errors.py: AuraError"]


@pytest.mark.parametrize(
    ("source", "roots"),
    [
        ("class Refused(ValueError): ...", ["Refused"]),
        ("class Gone(Exception):\n    pass", ["Gone"]),
        ("class Busy(InvalidInput): ...", []),
        ("class Model(Frozen): ...", []),
    ],
)
def test_the_scan_tells_roots_from_members(source: str, roots: list[str]) -> None:
    assert roots_outside_the_tree(source) == roots
