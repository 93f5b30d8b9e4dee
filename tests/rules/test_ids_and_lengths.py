"""Ids and prompt lengths: the rules agree with shared/models (ids.py, chat.py) value by value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.models.chat import TurnCreate

from .client import Emulator, assert_denied
from .factories import ALICE, conversation, profile

pytestmark = pytest.mark.emulators

CONVERSATION = f"users/{ALICE}/conversations/c1"
MESSAGES = f"{CONVERSATION}/messages"
# At and around the limit of 4,000 UTF-16 units (an emoji is 2, an accent or CJK character 1):
# label -> (prompt, allowed).
PROMPTS = {
    "4000-ascii": ("x" * 4000, True),
    "4001-ascii": ("x" * 4001, False),
    "2000-emoji": ("😀" * 2000, True),
    "2001-emoji": ("😀" * 2001, False),
    "1999-emoji-2-ascii": ("😀" * 1999 + "xx", True),
    "1999-emoji-3-ascii": ("😀" * 1999 + "xxx", False),
    "4000-cjk": ("你" * 4000, True),
    "4001-cjk": ("你" * 4001, False),
    "2600-combining": ("\u0301" * 2600, True),
}


@pytest.fixture(autouse=True)
def _account(db: Emulator) -> None:
    db.seed(f"users/{ALICE}", profile(ALICE))
    db.seed(CONVERSATION, conversation())


def model_accepts(prompt: str) -> bool:
    try:
        TurnCreate(prompt=prompt)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("label", PROMPTS)
def test_the_rules_and_the_model_count_prompts_alike(db: Emulator, label: str) -> None:
    prompt, allowed = PROMPTS[label]

    outcome = db.as_user(ALICE).create(
        f"{MESSAGES}/t-{label}", {"prompt": prompt}, server_time_fields=["createTime"]
    )

    assert (outcome.allowed, model_accepts(prompt)) == (allowed, allowed)


@pytest.mark.parametrize("value", ["__main__", "__t1__"])
@pytest.mark.parametrize("field", ["branch", "parentTurnId"])
def test_a_turn_cannot_name_a_reserved_id(db: Emulator, field: str, value: str) -> None:
    """Firestore reserves __x__ ids: a branch or parent named so could never be a document."""
    data = {"prompt": "hi", "branch": "t2", field: value}

    outcome = db.as_user(ALICE).create(f"{MESSAGES}/t2", data, server_time_fields=["createTime"])

    assert_denied(outcome)


def test_a_conversation_cannot_show_a_reserved_leaf(db: Emulator) -> None:
    assert_denied(db.as_user(ALICE).update(CONVERSATION, {"activeLeaf": "__leaf__"}))
