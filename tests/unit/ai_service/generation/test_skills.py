"""Deterministic skills: correct answers for what a small model gets wrong."""

from datetime import UTC, datetime

import pytest

from ai_service.generation.skills import (
    answer_from_recommendations,
    answer_with_skill,
    asks_for_own_recommendations,
    evaluate_arithmetic,
)

NOW = datetime(2026, 11, 26, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is 12 * (3 + 4)?", "12 * (3 + 4) = 84"),
        ("2^10", "2^10 = 1,024"),
        ("calculate 7 / 2", "7 / 2 = 3.5"),
        ("what's 6 x 7", "6 x 7 = 42"),
        ("-3 + 5", "-3 + 5 = 2"),
    ],
)
def test_arithmetic_is_computed_not_generated(text: str, expected: str) -> None:
    answer = answer_with_skill(intent="arithmetic", text=text, now=NOW)
    assert answer is not None
    assert answer.skill == "arithmetic"
    assert answer.text == expected


@pytest.mark.parametrize("text", ["1/0", "9 ** 9 ** 9", "2^1000", "hello world", "3 +"])
def test_unsafe_or_invalid_expressions_are_not_evaluated(text: str) -> None:
    assert evaluate_arithmetic(text) is None


def test_time_and_date_come_from_the_clock() -> None:
    time_answer = answer_with_skill(intent="time", text="what time is it", now=NOW)
    date_answer = answer_with_skill(intent="date", text="what's the date", now=NOW)
    assert time_answer is not None
    assert "14:05" in time_answer.text
    assert date_answer is not None
    assert date_answer.text == "Today is Thursday, 26 November 2026."


def test_weather_is_declined_without_a_source() -> None:
    answer = answer_with_skill(intent="weather", text="weather in Paris?", now=NOW)
    assert answer is not None
    assert "no live weather data" in answer.text
    assert answer_with_skill(intent="weather", text="x", now=NOW, weather_configured=True) is None


def test_other_intents_go_to_the_model() -> None:
    assert answer_with_skill(intent="greeting", text="hello there", now=NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can you recommend me some books?", True),
        ("what should I read next", True),
        ("show my recommendations", True),
        ("suggest a name for a pet goldfish", False),
    ],
)
def test_only_requests_for_the_users_own_recommendations_use_their_data(
    text: str, expected: bool
) -> None:
    assert asks_for_own_recommendations(intent="recommendation_request", text=text) is expected
    assert asks_for_own_recommendations(intent="greeting", text=text) is False


def test_recommendations_are_read_out_never_invented() -> None:
    items = [
        {"title": "Dune", "authors": "Frank Herbert"},
        {"title": "Emma", "authors": ""},
        {"title": "Ubik", "authors": "Philip K. Dick"},
        {"title": "Not shown"},
    ]
    assert answer_from_recommendations(items).text == (
        "From your recommendations: Dune by Frank Herbert; Emma; Ubik by Philip K. Dick."
    )
    assert "don't have recommendations" in answer_from_recommendations(None).text


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2*3+" + "-" * 1500 + "1", id="1500-unary-minus"),  # RecursionError before
        pytest.param("(" * 150 + "1" + ")" * 150 + "+1", id="150-parentheses"),
        pytest.param("1+" * 400 + "1", id="400-terms"),
        pytest.param("-" * 150 + "1+1", id="150-unary-minus-under-the-length-cap"),
    ],
)
def test_hostile_arithmetic_is_refused_not_recursed(text: str) -> None:
    assert evaluate_arithmetic(text) is None
    answer = answer_with_skill(intent="arithmetic", text=text, now=NOW)
    assert answer is not None
    assert answer.text.startswith("I couldn't evaluate that expression.")


def test_a_long_but_honest_sum_still_computes() -> None:
    text = "what is " + "+".join(["12"] * 60)  # 179 characters of expression
    assert evaluate_arithmetic(text) == ("+".join(["12"] * 60), 720.0)
