import pytest

from shared.errors import InvalidInput
from shared.events import ChatRequested, Envelope
from shared.models.turn_ref import TurnRef


def test_a_turn_path_round_trips() -> None:
    turn = TurnRef(uid="u1", conversation_id="c1", turn_id="t1")
    assert turn.path == "users/u1/conversations/c1/messages/t1"
    assert turn.conversation_path == "users/u1/conversations/c1"
    assert TurnRef.parse(turn.path) == turn


@pytest.mark.parametrize(
    "path",
    [
        "users/u1",
        "users/u1/conversations/c1/other/t1",
        "x/u/c/c/m/t",
        "users/u1/conversations/c1/messages/t1/extra",
        "users/u1/conversations/__c__/messages/t1",
        "/users/u1/conversations/c1/messages/t1",
    ],
)
def test_other_paths_are_refused_with_a_typed_error(path: str) -> None:
    with pytest.raises(InvalidInput):
        TurnRef.parse(path)


def test_the_idempotency_key_names_one_attempt_and_parses_back() -> None:
    turn = TurnRef(uid="u1", conversation_id="c1", turn_id="t1")
    assert turn.idempotency_key(2) == "users/u1/conversations/c1/messages/t1#2"
    assert TurnRef.from_key(turn.idempotency_key(2)) == (turn, 2)
    assert TurnRef.from_key(turn.idempotency_key(0)) == (turn, 0)  # before the first attempt
    with pytest.raises(InvalidInput):
        turn.idempotency_key(-1)
    for key in (
        "users/u1/conversations/c1/messages/t1",
        "users/u1/conversations/c1/messages/t1#-1",
    ):
        with pytest.raises(InvalidInput):
            TurnRef.from_key(key)


def test_the_chat_message_carries_the_reference_and_its_key() -> None:
    turn = TurnRef(uid="u1", conversation_id="c1", turn_id="t1")
    message = ChatRequested.for_turn(turn, attempt=3)
    envelope = Envelope(idempotency_key=message.idempotency_key, data=message)
    decoded = Envelope.model_validate_json(envelope.encode())
    assert isinstance(decoded.data, ChatRequested)
    assert decoded.data.turn == turn
    assert decoded.idempotency_key == "users/u1/conversations/c1/messages/t1#3"


def test_a_message_whose_ids_name_no_turn_is_invalid_input() -> None:
    message = ChatRequested(uid="u1", conversation_id="a/b", turn_id="t1", attempt=1)
    with pytest.raises(InvalidInput):
        _ = message.turn
