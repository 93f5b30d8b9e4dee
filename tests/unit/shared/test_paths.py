import pytest

from shared import paths


def test_turn_path_round_trips() -> None:
    path = paths.turn("u1", "c1", "t1")
    assert path == "users/u1/conversations/c1/messages/t1"
    assert paths.parse_turn(path) == ("u1", "c1", "t1")


@pytest.mark.parametrize("path", ["users/u1", "users/u1/conversations/c1/other/t1", "x/u/c/c/m/t"])
def test_parse_turn_refuses_other_paths(path: str) -> None:
    with pytest.raises(ValueError, match="not a chat turn path"):
        paths.parse_turn(path)
