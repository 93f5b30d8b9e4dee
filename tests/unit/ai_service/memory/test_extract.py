"""The memory rules: what is stored from a statement, what is refused, what a question asks
and what "forget ..." names; and the labelled extraction sets' precision and recall."""

from __future__ import annotations

import pytest

from ai_service.memory.eval import Split, load_extraction, score_extraction
from ai_service.memory.extract import (
    asked_slot,
    embedding_text,
    extract_memories,
    forget_target,
    slot_matches,
)
from shared.models.memory import MemoryKind, memory_id


def facts(text: str) -> list[tuple[str | None, str]]:
    return [(c.slot, c.text) for c in extract_memories(text)]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("I'm Sam", [("name", "Is called Sam")]),
        ("my name is sam", [("name", "Is called Sam")]),
        ("Call me Jo", [("name", "Is called Jo")]),
        ("I live in Porto", [("home", "Lives in Porto")]),
        ("Actually I moved to Lisbon", [("home", "Lives in Lisbon")]),
        ("I work at Google", [("work", "Works at Google")]),
        ("I work for the NHS", [("work", "Works at the NHS")]),
        ("I work as a nurse", [("job", "Works as a nurse")]),
        ("I'm a software engineer", [("job", "Works as a software engineer")]),
        ("my birthday is 3 May", [("birthday", "Birthday is 3 May")]),
        ("I was born on 12 June 1990", [("birthday", "Birthday is 12 June 1990")]),
        ("I like jazz", [("likes:jazz", "Likes jazz")]),
        ("I prefer tea over coffee", [("likes:tea", "Prefers tea over coffee")]),
        ("I hate mushrooms", [("likes:mushrooms", "Dislikes mushrooms")]),
        ("My wife is called Ana", [("person:wife", "Wife is called Ana")]),
        ("my wife's name is Ana", [("person:wife", "Wife is called Ana")]),
        ("my mum's name is Helen", [("person:mother", "Mum is called Helen")]),
        ("I have a dog called Rex", [("person:dog", "Dog is called Rex")]),
        ("I'm allergic to peanuts", [("allergy:peanuts", "Is allergic to peanuts")]),
        ("I'm vegetarian", [("diet", "Is vegetarian")]),
        ("my favourite colour is green", [("favourite:colour", "Favourite colour is green")]),
        ("I don't eat pork", [("avoids:pork", "Does not eat pork")]),
    ],
)
def test_a_statement_about_the_user_is_one_fact(said: str, expected: list[tuple[str, str]]) -> None:
    assert facts(said) == expected


def test_one_message_may_state_several_facts() -> None:
    assert facts("Hi, I'm Sam. I live in Porto.") == [
        ("name", "Is called Sam"),
        ("home", "Lives in Porto"),
    ]
    assert facts("I'm Sara, I'm a doctor and I work at St Mary's") == [
        ("name", "Is called Sara"),
        ("job", "Works as a doctor"),
        ("work", "Works at St Mary's"),
    ]


def test_kinds_follow_what_the_fact_is_about() -> None:
    kinds = {c.slot: c.kind for c in extract_memories("My son is called Leo. I love chess.")}
    assert kinds == {"person:son": MemoryKind.PERSON, "likes:chess": MemoryKind.PREFERENCE}
    assert extract_memories("my birthday is 3 May")[0].kind is MemoryKind.DATE
    assert extract_memories("I live in Porto")[0].value == "Porto"


def test_a_move_replaces_the_home_and_a_dislike_the_like() -> None:
    porto, lisbon = extract_memories("I live in Porto")[0], extract_memories("I moved to Lisbon")[0]
    assert porto.slot == lisbon.slot == "home"
    assert memory_id(slot=porto.slot, text=porto.text) == memory_id(
        slot=lisbon.slot, text=lisbon.text
    )
    like, dislike = extract_memories("I like jazz")[0], extract_memories("I don't like jazz")[0]
    assert (like.slot, dislike.slot) == ("likes:jazz", "likes:jazz")
    assert dislike.text == "Dislikes jazz"


@pytest.mark.parametrize(
    "said",
    [
        # questions
        "Do I live in Porto?",
        "Where do I live?",
        "what is my name",
        "I live in Porto, right?",
        # hypotheticals and plans
        "If I lived in Paris, I'd eat croissants",
        "I wish I lived in Rome",
        "imagine I'm a pilot",
        "what if my name was Bob",
        "I'm thinking of moving to Berlin",
        "I might move to Canada",
        # negations
        "I don't live in Porto anymore",
        "I'm not Sam",
        "I'm not allergic to nuts",
        "I never lived in London",
        # other people
        "my friend lives in Porto",
        "Sam lives in Porto",
        "My wife works at the hospital",
        "She's called Emma",
        # requests
        "remind me to call my wife",
        "add milk to my list",
        "Call me a taxi",
        "call me later",
        # states
        "I'm tired",
        "I'm going to the shop",
        "I'm looking for a book",
        "i'm bored",
        "I'm in a meeting",
        # chit-chat
        "I love it!",
        "I like that idea",
        "I love you Aura",
        "I'd like a coffee please",
    ],
)
def test_nothing_is_stored_from_what_states_no_fact_about_the_user(said: str) -> None:
    assert extract_memories(said) == []


@pytest.mark.parametrize(
    ("question", "slot"),
    [
        ("Where do I live?", "home"),
        ("What city do I live in?", "home"),
        ("What's my name?", "name"),
        ("Who am I?", "name"),
        ("Where do I work?", "work"),
        ("What do I do for a living?", "job"),
        ("When is my birthday?", "birthday"),
        ("What's my wife's name?", "person:wife"),
        ("Who is my wife?", "person:wife"),
        ("what is my dog called", "person:dog"),
        ("What's my mum's name?", "person:mother"),
        ("What do I like?", "likes"),
        ("Do I like jazz?", "likes:jazz"),
        ("What am I allergic to?", "allergy"),
        ("What's my favourite colour?", "favourite:colour"),
    ],
)
def test_a_question_names_the_slot_that_answers_it(question: str, slot: str) -> None:
    assert asked_slot(question) == slot


@pytest.mark.parametrize(
    "text", ["I live in Porto", "What's the weather in Porto?", "Tell me a joke", "Who is Sam?"]
)
def test_other_text_asks_no_slot(text: str) -> None:
    assert asked_slot(text) is None


def test_a_family_slot_covers_its_members_only() -> None:
    assert slot_matches("likes", "likes:jazz")
    assert slot_matches("home", "home")
    assert not slot_matches("likes:jazz", "likes:rock")
    assert not slot_matches("person", "home")
    assert not slot_matches("home", None)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("Forget where I live", ("home", None)),
        ("forget that I live in Porto", ("home", "Porto")),
        ("forget my wife's name", ("person:wife", None)),
        ("forget that I like jazz", ("likes:jazz", "jazz")),
        ("please forget my birthday", ("birthday", None)),
        ("I don't live in Porto anymore", ("home", "Porto")),
        ("I no longer work at Acme", ("work", "Acme")),
    ],
)
def test_forget_names_a_slot_and_the_words_to_match(
    text: str, target: tuple[str | None, str | None]
) -> None:
    assert forget_target(text) == target


@pytest.mark.parametrize(
    "text",
    ["forget it", "forget about it", "I forgot my keys", "don't forget to buy milk", "I live here"],
)
def test_other_text_forgets_nothing(text: str) -> None:
    assert forget_target(text) is None


def test_a_memory_is_embedded_with_the_questions_it_answers() -> None:
    assert embedding_text(text="Lives in Porto", slot="home") == (
        "I live in Porto. Where do I live? Which city is my home?"
    )
    assert embedding_text(text="Wife is called Ana", slot="person:wife").startswith(
        "My wife is called Ana. What is my wife's name?"
    )
    assert embedding_text(text="Likes jazz", slot=None) == "Likes jazz"


@pytest.mark.parametrize("split", ["dev", "test", "holdout"])
def test_the_labelled_sets_meet_the_targets(split: Split) -> None:
    cases = load_extraction(split)
    score = score_extraction(cases)
    assert len(cases) >= 40
    assert score.precision >= 0.9, score.errors
    assert score.recall >= 0.8, score.errors
