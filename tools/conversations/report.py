"""What a run comes to: totals, slot-filling accuracy, the pass/fail table, JSON and JUnit files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from .checks import StepResult


@dataclass(frozen=True, slots=True)
class Totals:
    steps: int  # utterances played (final-state rows are not steps)
    passed: int
    final_checks: int
    final_passed: int
    slot_steps: int  # steps that expect a tool call
    slot_matched: int  # ... whose tool name and expected arguments all matched

    @property
    def slot_accuracy(self) -> float:
        """Share of the steps expecting a tool call whose name and arguments all matched
        (1.0 when no step expects one)."""
        return self.slot_matched / self.slot_steps if self.slot_steps else 1.0

    @property
    def all_passed(self) -> bool:
        return self.passed == self.steps and self.final_passed == self.final_checks


def totals(results: Sequence[StepResult]) -> Totals:
    steps = [r for r in results if r.index > 0]
    finals = [r for r in results if r.index == 0]
    calls = [r for r in steps if r.expects_call]
    return Totals(
        steps=len(steps),
        passed=sum(r.passed for r in steps),
        final_checks=len(finals),
        final_passed=sum(r.passed for r in finals),
        slot_steps=len(calls),
        slot_matched=sum(r.slots_filled for r in calls),
    )


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(results: Sequence[StepResult], *, width: int = 44) -> str:
    """One row per step (story, step, utterance, PASS/FAIL, expected vs got for what failed),
    then the totals."""
    story_w = min(max((len(r.story) for r in results), default=5), 34)
    header = f"{'story':<{story_w}}  {'step':>4}  {'utterance':<{width}}  result"
    lines = [header, "-" * (len(header) + 30)]
    for r in results:
        step = "end" if r.index == 0 else str(r.index)
        mark = "PASS" if r.passed else "FAIL"
        row = (
            f"{_clip(r.story, story_w):<{story_w}}  {step:>4}  {_clip(r.utterance, width):<{width}}"
        )
        lines.append(f"{row}  {mark}  {r.seconds:5.1f} s")
        indent = " " * (story_w + 8)
        for check in r.failures:
            lines.append(f"{indent}{check.what}: expected {check.expected}")
            lines.append(f"{indent}{' ' * len(check.what)}       got {check.got}")
    t = totals(results)
    lines += ["", summary(t)]
    return "\n".join(lines)


def summary(t: Totals) -> str:
    finals = f"; final-state checks {t.final_passed}/{t.final_checks}" if t.final_checks else ""
    return (
        f"steps passed: {t.passed}/{t.steps}{finals}; slot-filling accuracy: "
        f"{t.slot_accuracy:.1%} ({t.slot_matched}/{t.slot_steps} steps expecting a tool call)"
    )


def as_json(results: Sequence[StepResult]) -> dict[str, Any]:
    t = totals(results)
    return {
        "totals": {
            "steps": t.steps,
            "passed": t.passed,
            "finalChecks": t.final_checks,
            "finalPassed": t.final_passed,
            "slotSteps": t.slot_steps,
            "slotMatched": t.slot_matched,
            "slotAccuracy": t.slot_accuracy,
        },
        "steps": [
            {
                "story": r.story,
                "step": r.index,
                "utterance": r.utterance,
                "passed": r.passed,
                "slotsFilled": r.slots_filled if r.expects_call else None,
                "reply": r.reply,
                "turnPath": r.turn_path,
                "seconds": round(r.seconds, 3),
                "checks": [
                    {"what": c.what, "expected": c.expected, "got": c.got, "ok": c.ok}
                    for c in r.checks
                ],
            }
            for r in results
        ],
    }


def write_json(results: Sequence[StepResult], path: Path) -> None:
    path.write_text(json.dumps(as_json(results), indent=2, ensure_ascii=False) + "\n", "utf-8")


def write_junit(results: Sequence[StepResult], path: Path) -> None:
    """One <testsuite> per story, one <testcase> per step, a <failure> listing what failed."""
    root = ET.Element("testsuites", name="auraos-conversations")
    by_story: dict[str, list[StepResult]] = {}
    for r in results:
        by_story.setdefault(r.story, []).append(r)
    for story, rows in by_story.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=story,
            tests=str(len(rows)),
            failures=str(sum(not r.passed for r in rows)),
            time=f"{sum(r.seconds for r in rows):.3f}",
        )
        for r in rows:
            name = "final state" if r.index == 0 else f"{r.index:02d} {r.utterance}"
            case = ET.SubElement(
                suite, "testcase", classname=story, name=name, time=f"{r.seconds:.3f}"
            )
            if not r.passed:
                failure = ET.SubElement(case, "failure", message=r.failures[0].what)
                failure.text = "\n".join(
                    f"{c.what}: expected {c.expected}; got {c.got}" for c in r.failures
                )
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
