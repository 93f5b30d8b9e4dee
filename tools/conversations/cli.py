"""`auraos-test-conversations [FILES]`: play story files against the running local stack."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .checks import StepResult
from .report import format_table, totals, write_json, write_junit
from .runner import StackConfig, StoryPlayer, play_all, preflight
from .story import Story, StoryError, load_stories, story_schema

SHIPPED = Path(__file__).resolve().parents[2] / "tests" / "conversations"
EXIT_FAILED = 1
EXIT_UNUSABLE = 2  # a story file that does not parse, or no stack to play against


def story_files(arguments: list[str]) -> list[Path]:
    """The files named (a folder stands for its *.yaml), or the shipped stories."""
    named = [Path(a) for a in arguments] or [SHIPPED]
    files: list[Path] = []
    for path in named:
        files += sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
    return files


def collect(files: list[Path], *, name_filter: str | None) -> list[Story]:
    """Every story of every file (raises StoryError, naming all the files that are wrong)."""
    stories: list[Story] = []
    problems: list[str] = []
    for path in files:
        try:
            stories += load_stories(path)
        except StoryError as error:
            problems.append(str(error))
    if problems:
        raise StoryError("\n".join(problems))
    if name_filter:
        stories = [s for s in stories if name_filter.casefold() in s.name.casefold()]
    return stories


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auraos-test-conversations",
        description="Play conversation stories (YAML) against the running local stack and print "
        "a pass/fail table with steps passed and slot-filling accuracy.",
    )
    parser.add_argument("files", nargs="*", help=f"story files or folders (default: {SHIPPED})")
    parser.add_argument("-k", dest="name_filter", help="only stories whose name contains this")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="stories played at once")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a turn may take")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--junit", type=Path, help="also write the results as JUnit XML here")
    parser.add_argument("--check", action="store_true", help="validate the files, play nothing")
    parser.add_argument("--schema", action="store_true", help="print the story JSON Schema")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    if args.schema:
        out.write(json.dumps(story_schema(), indent=2) + "\n")
        return 0
    try:
        stories = collect(story_files(args.files), name_filter=args.name_filter)
    except StoryError as error:
        err.write(f"{error}\n")
        return EXIT_UNUSABLE
    steps = sum(len(s.steps) for s in stories)
    if args.check:
        out.write(f"{len(stories)} stories, {steps} steps: valid\n")
        return 0
    if not stories:
        err.write("no stories to play\n")
        return EXIT_UNUSABLE
    os.environ.setdefault("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    config = StackConfig.from_env(turn_timeout_s=args.timeout)
    problem = preflight(config)
    if problem:
        err.write(problem + "\n")
        return EXIT_UNUSABLE
    err.write(f"playing {len(stories)} stories ({steps} steps), {args.jobs} at a time\n")

    def progress(player: StoryPlayer, rows: list[StepResult]) -> None:
        passed = sum(r.passed for r in rows)
        how = " (time zone: server write)" if player.time_zone_set_by == "server write" else ""
        err.write(f"  {player.story.name}: {passed}/{len(rows)} passed{how}\n")
        err.flush()

    results = play_all(stories, config=config, jobs=args.jobs, on_story=progress)
    out.write(format_table(results) + "\n")
    if args.json:
        write_json(results, args.json)
    if args.junit:
        write_junit(results, args.junit)
    return 0 if totals(results).all_passed else EXIT_FAILED
