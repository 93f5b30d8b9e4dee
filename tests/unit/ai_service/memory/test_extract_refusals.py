"""Memory extraction at its edges: what is not a fact about the user is not stored, what is gets
its slot, and questions and "no longer" statements name the slot they are about."""

from __future__ import annotations

import pytest

from ai_service.memory.extract import asked_slot, extract_memories, forget_target


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("I live at home", id="home-is-not-a-place"),
        pytest.param("I live in it", id="place-is-a-pronoun"),
        pytest.param("I'm from there", id="origin-is-a-pronoun"),
        pytest.param("I work from home", id="work-from-home-is-no-employer"),
        pytest.param("I work at it", id="employer-is-a-pronoun"),
        pytest.param("I work as it", id="job-is-a-pronoun"),
        pytest.param("I am allergic to it", id="allergen-is-a-pronoun"),
        pytest.param("I don't eat anything", id="avoids-anything"),
        pytest.param("My wife is tired", id="a-state-is-not-a-name"),
        pytest.param("I like talking to you", id="liking-the-chat"),
        pytest.param("I love it", id="liking-a-pronoun"),
        pytest.param("my favourite colour is it", id="favourite-is-a-pronoun"),
        pytest.param("I live in porto", id="lower-case-place-in-a-cased-sentence"),
        pytest.param("I study at harvard", id="lower-case-school-in-a-cased-sentence"),
    ],
)
def test_what_names_nothing_about_the_user_is_not_stored(text: str) -> None:
    assert extract_memories(text) == []


@pytest.mark.parametrize(
    ("text", "fact", "slot"),
    [
        ("I'm a student", "Is a student", "job"),
        ("I work as a chef in a hotel", "Works as a chef", "job"),
        ("I'm coeliac", "Is coeliac (cannot eat gluten)", "intolerance:gluten"),
        ("my birthday is on the 3rd of may", "Birthday is 3rd of may", "birthday"),
        ("my birthday is in Paris", "Was born in Paris", "birthplace"),
        # All lower-case text has no capitals to go by: the place is taken as said.
        ("i live in porto", "Lives in porto", "home"),
        ("hi im sam", "Is called Sam", "name"),
    ],
)
def test_a_stated_fact_is_stored_in_its_slot(text: str, fact: str, slot: str) -> None:
    assert [(c.text, c.slot) for c in extract_memories(text)] == [(fact, slot)]


@pytest.mark.parametrize(
    ("question", "slot"),
    [
        ("am I allergic to peanuts?", "allergy:peanuts"),
        ("what's my favourite colour?", "favourite:colour"),
        ("where do I live?", "home"),
    ],
)
def test_a_question_about_the_user_names_the_slot_it_asks(question: str, slot: str) -> None:
    assert asked_slot(question) == slot


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("my wife is no longer called Ana", ("person:wife", "Ana")),
        ("I no longer live in Porto", ("home", "Porto")),
    ],
)
def test_what_stopped_being_true_names_the_memory_to_forget(
    text: str, target: tuple[str, str]
) -> None:
    assert forget_target(text) == target
