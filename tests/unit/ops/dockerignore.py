"""Docker's `.dockerignore` matching, reimplemented for tests (no Docker engine here).

Follows moby/patternmatcher: patterns are cleaned (`filepath.Clean`, leading `/` dropped) and
matched against paths relative to the context root; `*` and `?` stay within a path segment, `**`
spans any number of segments; a pattern that matches a parent directory matches everything under
it; `!` re-includes; the last matching pattern decides.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str
    exclusion: bool  # a `!` line: re-include what it matches
    regex: re.Pattern[str]


def _compile(cleaned: str) -> re.Pattern[str]:
    out = "^"
    i = 0
    while i < len(cleaned):
        ch = cleaned[i]
        if ch == "*":
            if cleaned[i + 1 : i + 2] == "*":
                i += 1
                if cleaned[i + 1 : i + 2] == "/":
                    i += 1  # "**/" behaves like "**"
                out += ".*" if i + 1 >= len(cleaned) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(cleaned):
            i += 1
            out += re.escape(cleaned[i])
        elif ch == "[":
            end = cleaned.find("]", i)
            out += cleaned[i : end + 1].replace("[!", "[^") if end > i else re.escape(ch)
            i = end if end > i else i
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def parse(text: str) -> list[Pattern]:
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        cleaned = posixpath.normpath(line).lstrip("/")
        if cleaned in ("", "."):
            continue
        patterns.append(Pattern(text=raw.strip(), exclusion=exclusion, regex=_compile(cleaned)))
    return patterns


def _parents(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def is_ignored(path: str, patterns: list[Pattern]) -> bool:
    """Whether Docker leaves `path` (relative, `/`-separated) out of the build context."""
    ignored = False
    for pattern in patterns:
        matched = bool(pattern.regex.match(path)) or any(
            pattern.regex.match(parent) for parent in _parents(path)
        )
        if matched:
            ignored = not pattern.exclusion
    return ignored


def _may_reinclude_under(directory: str, patterns: list[Pattern]) -> bool:
    """Could a `!` pattern bring back something inside an ignored `directory`?"""
    for pattern in patterns:
        if not pattern.exclusion:
            continue
        literal = re.split(r"[*?\[\\]", pattern.text.lstrip("!").strip().lstrip("/"), maxsplit=1)[0]
        if not literal or literal.startswith(directory + "/") or directory.startswith(literal):
            return True
    return False


def sent_files(root: Path, patterns: list[Pattern]) -> Iterator[str]:
    """Every file under `root` that Docker would send, walking the real tree (venvs included)."""
    for current, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(current, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        kept = []
        for name in dirs:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not is_ignored(rel, patterns) or _may_reinclude_under(rel, patterns):
                kept.append(name)
        dirs[:] = kept
        for name in files:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not is_ignored(rel, patterns):
                yield rel
