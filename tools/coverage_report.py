"""Line coverage per package, from `coverage json`: `python -m tools.coverage_report FILE`.

    .venv/bin/python -m coverage json -o .emulators/coverage/coverage.json
    .venv/bin/python -m tools.coverage_report .emulators/coverage/coverage.json

`make coverage` prints this after `coverage report`: one line per measured area (shared, functions,
ai_service), then one per package under it (a package's own modules and its subpackages' together;
a top-level module on its own line), then the total. Percentages are of statements, as the floor
(`fail_under` in pyproject.toml) is.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TextIO

# How many leading path parts name a package in each area: `ai_service/ml`, `shared/models`,
# `functions/auraos_functions/services`.
_PACKAGE_DEPTH = {"shared": 2, "functions": 3, "ai_service": 2}
OTHER = "other"


@dataclass(frozen=True)
class Tally:
    """Statements measured and missed; the percentage is of statements, as coverage reports."""

    statements: int = 0
    missed: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.statements + other.statements, self.missed + other.missed)

    @property
    def percent(self) -> float:
        """100 for a package with no statements (nothing to miss), as coverage counts it."""
        if self.statements == 0:
            return 100.0
        return 100.0 * (self.statements - self.missed) / self.statements


def area_and_package(path: str) -> tuple[str, str]:
    """The area (`shared`, `functions`, `ai_service`, else `other`) and package of a file path.

    A module directly in an area's root package is its own package (`functions/main.py`,
    `ai_service/config.py`); a deeper one belongs to the package `_PACKAGE_DEPTH` parts deep.
    """
    parts = PurePosixPath(path.replace("\\", "/")).parts
    area = parts[0] if parts and parts[0] in _PACKAGE_DEPTH else OTHER
    if area == OTHER:
        return OTHER, path
    depth = _PACKAGE_DEPTH[area]
    if len(parts) <= depth:
        return area, "/".join(parts)
    return area, "/".join(parts[:depth])


def tally_files(files: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Tally]]:
    """Per area, per package: the summed `num_statements` and `missing_lines` of its files."""
    areas: dict[str, dict[str, Tally]] = {}
    for path, data in files.items():
        summary = data["summary"]
        if not summary["num_statements"]:
            continue  # an empty __init__.py, as `skip_empty` leaves out of the report
        area, package = area_and_package(path)
        packages = areas.setdefault(area, {})
        tally = Tally(int(summary["num_statements"]), int(summary["missing_lines"]))
        packages[package] = packages.get(package, Tally()) + tally
    return areas


def _total(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total += tally
    return total


def render(areas: Mapping[str, Mapping[str, Tally]], out: TextIO) -> Tally:
    """Write the table (areas in `_PACKAGE_DEPTH` order, then `other`); returns the total."""
    order = [area for area in (*_PACKAGE_DEPTH, OTHER) if area in areas]
    width = max([len("package"), *(len(p) + 2 for a in order for p in areas[a])])
    line = "-" * (width + 28)

    def row(name: str, tally: Tally) -> None:
        cover = f"{tally.percent:.1f}%"
        out.write(f"{name:<{width}} {tally.statements:>9} {tally.missed:>7} {cover:>9}\n")

    out.write(f"{'package':<{width}} {'stmts':>9} {'miss':>7} {'cover':>9}\n{line}\n")
    for area in order:
        packages = areas[area]
        row(area, _total(packages.values()))
        for package in sorted(packages):
            row(f"  {package}", packages[package])
    total = _total(t for a in order for t in areas[a].values())
    out.write(f"{line}\n")
    row("TOTAL", total)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json_file", help="the output of `coverage json`")
    args = parser.parse_args(argv)
    with open(args.json_file, encoding="utf-8") as handle:
        report = json.load(handle)
    sys.stdout.write("\nLine coverage per package\n")
    render(tally_files(report["files"]), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
