"""Deterministic skills: correct answers for what a small model gets wrong."""

import pytest

from ai_service.generation.skills import asks_for_own_recommendations, evaluate_arithmetic


@pytest.mark.parametrize("text", ["1/0", "9 ** 9 ** 9", "2^1000", "hello world", "3 +"])
def test_unsafe_or_invalid_expressions_are_not_evaluated(text: str) -> None:
    assert evaluate_arithmetic(text) is None


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


def test_a_long_but_honest_sum_still_computes() -> None:
    text = "what is " + "+".join(["12"] * 60)  # 179 characters of expression
    assert evaluate_arithmetic(text) == ("+".join(["12"] * 60), 720.0)
