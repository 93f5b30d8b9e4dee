"""The prompt window: a prefix that stays stable between consecutive turns."""

import itertools

from ai_service.generation.base import ChatMessage, Role
from ai_service.pipeline.context import extend_summary, rebased_window, stable_window

SEPARATOR = "\x00"


def _history(first: int, last: int) -> tuple[ChatMessage, ...]:
    messages: list[ChatMessage] = []
    for n in range(first, last + 1):
        messages += [
            ChatMessage(role=Role.USER, content=f"q{n}"),
            ChatMessage(role=Role.ASSISTANT, content=f"a{n}"),
        ]
    return tuple(messages)


def _summary(last: int) -> str:
    summary = None
    for n in range(1, last + 1):
        summary = extend_summary(summary, number=n, prompt=f"q{n}", reply=f"a{n}")
    return summary or ""


def _prompt(completed: int, block: int = 4) -> str:
    earlier, window = stable_window(
        history=_history(max(1, completed - block + 1), completed),
        summary=_summary(completed),
        completed_turns=completed,
        block=block,
    )
    return (earlier or "") + SEPARATOR + " ".join(m.content for m in window)


def test_summary_lines_are_numbered_and_capped() -> None:
    summary = _summary(40)
    lines = summary.splitlines()
    assert lines[-1] == "40. User: q40 | Aura: a40"
    assert [line.split(".")[0] for line in lines] == [str(n) for n in range(33, 41)]


def test_full_length_summary_lines_keep_the_prefix_stable_within_a_block() -> None:
    # Replies as long as a line holds: the summary lines before the window must not be dropped
    # while the block's own lines accumulate (they were, past 600 characters).
    long = "x" * 200
    summary = None
    prompts = []
    for completed in range(1, 13):
        summary = extend_summary(summary, number=completed, prompt=long, reply=long)
        earlier, window = stable_window(
            history=_history(max(1, completed - 3), completed),
            summary=summary,
            completed_turns=completed,
            block=4,
        )
        prompts.append((earlier or "") + SEPARATOR + " ".join(m.content for m in window))
    for completed in (6, 7, 8, 10, 11, 12):  # every turn but the re-bases (5 and 9)
        assert prompts[completed - 1].startswith(prompts[completed - 2])
    assert [line.split(".")[0] for line in prompts[11].split(SEPARATOR)[0].splitlines()] == [
        "5",
        "6",
        "7",
        "8",
    ]


def test_a_new_conversation_has_no_window() -> None:
    assert stable_window(history=(), summary=None, completed_turns=0, block=4) == (None, ())


def test_within_a_block_each_prompt_extends_the_previous_one() -> None:
    # After turns 5, 6, 7 and 8 the window grows from turn 5 on; the summary covers 1 to 4.
    prompts = [_prompt(completed) for completed in (5, 6, 7, 8)]
    for shorter, longer in itertools.pairwise(prompts):
        assert longer.startswith(shorter)
    assert prompts[0].split(SEPARATOR)[1] == "q5 a5"
    assert [line.split(".")[0] for line in prompts[0].split(SEPARATOR)[0].splitlines()] == [
        "1",
        "2",
        "3",
        "4",
    ]


def test_the_window_restarts_after_a_block() -> None:
    assert _prompt(9).split(SEPARATOR)[1] == "q9 a9"
    assert [line.split(".")[0] for line in _prompt(9).split(SEPARATOR)[0].splitlines()] == [
        "5",
        "6",
        "7",
        "8",
    ]


def test_the_turn_after_a_re_base_is_known_as_soon_as_the_exchange_before_it_ends() -> None:
    # What the next turn will show, computed from the last exchange alone, is what that turn
    # computes from its history; and only a re-base (a window restarting) is announced.
    announced = {}
    for completed in range(1, 14):
        upcoming = rebased_window(
            summary=_summary(completed),
            prompt=f"q{completed}",
            reply=f"a{completed}",
            completed_turns=completed,
            block=4,
        )
        if upcoming is not None:
            announced[completed] = upcoming
    assert sorted(announced) == [5, 9, 13]
    for completed, upcoming in announced.items():
        assert upcoming == stable_window(
            history=_history(completed - 3, completed),
            summary=_summary(completed),
            completed_turns=completed,
            block=4,
        )
    earlier, window = announced[9]
    assert [m.content for m in window] == ["q9", "a9"]
    assert [line.split(".")[0] for line in (earlier or "").splitlines()] == ["5", "6", "7", "8"]
