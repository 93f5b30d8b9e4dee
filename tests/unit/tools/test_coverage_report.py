"""`python -m tools.coverage_report`: the per-package table `make coverage` prints."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tools.coverage_report import Tally, area_and_package, main, render, tally_files


def _file(statements: int, missing: int) -> dict[str, dict[str, int]]:
    return {"summary": {"num_statements": statements, "missing_lines": missing}}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("shared/models/users.py", ("shared", "shared/models")),
        ("shared/paths.py", ("shared", "shared/paths.py")),
        ("functions/main.py", ("functions", "functions/main.py")),
        (
            "functions/auraos_functions/services/chat.py",
            ("functions", "functions/auraos_functions/services"),
        ),
        (
            "functions/auraos_functions/config.py",
            ("functions", "functions/auraos_functions/config.py"),
        ),
        ("ai_service/ml/intent.py", ("ai_service", "ai_service/ml")),
        ("ai_service/generation/sub/deep.py", ("ai_service", "ai_service/generation")),
        ("/elsewhere/module.py", ("other", "/elsewhere/module.py")),
    ],
)
def test_each_file_belongs_to_its_area_and_package(path: str, expected: tuple[str, str]) -> None:
    assert area_and_package(path) == expected


def test_files_of_a_package_are_summed_and_empty_files_left_out() -> None:
    files = {
        "ai_service/ml/intent.py": _file(100, 10),
        "ai_service/ml/recsys.py": _file(50, 5),
        "ai_service/ml/__init__.py": _file(0, 0),
        "shared/paths.py": _file(20, 0),
    }

    assert tally_files(files) == {
        "ai_service": {"ai_service/ml": Tally(150, 15)},
        "shared": {"shared/paths.py": Tally(20, 0)},
    }


def test_a_package_without_statements_counts_as_fully_covered() -> None:
    assert Tally().percent == 100.0
    assert Tally(8, 2).percent == 75.0


def test_the_table_lists_areas_in_order_with_their_packages_and_the_total() -> None:
    areas = {
        "ai_service": {"ai_service/tools": Tally(200, 50), "ai_service/ml": Tally(100, 0)},
        "shared": {"shared/models": Tally(100, 10)},
    }
    out = io.StringIO()

    total = render(areas, out)

    rows = [line.split() for line in out.getvalue().splitlines()]
    assert total == Tally(400, 60)
    assert [row for row in rows if not set(row[0]) <= {"-"}] == [
        ["package", "stmts", "miss", "cover"],
        ["shared", "100", "10", "90.0%"],
        ["shared/models", "100", "10", "90.0%"],
        ["ai_service", "300", "50", "83.3%"],
        ["ai_service/ml", "100", "0", "100.0%"],
        ["ai_service/tools", "200", "50", "75.0%"],
        ["TOTAL", "400", "60", "85.0%"],
    ]


def test_the_command_reads_coverage_json_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "coverage.json"
    report.write_text(json.dumps({"files": {"functions/main.py": _file(12, 3)}}), encoding="utf-8")

    assert main([str(report)]) == 0

    printed = capsys.readouterr().out
    assert "Line coverage per package" in printed
    assert printed.splitlines()[-1].split() == ["TOTAL", "12", "3", "75.0%"]
