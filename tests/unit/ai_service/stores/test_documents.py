"""What the stores make of raw documents before anything else sees them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ai_service.stores.turns import turn_from_document
from shared.models.chat import TurnState
from shared.models.users import Consent, ConsentPurpose

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("profile", "consent"),
    [
        ({}, Consent()),
        ({"consent": None}, Consent()),
        (
            {"consent": {"analytics": True, "personalization": True}},
            Consent(analytics=True, personalization=True),
        ),
        ({"consent": {"analytics": "yes", "personalization": 1}}, Consent()),
        ({"consent": {"personalization": True, "updatedAt": T0}}, Consent(personalization=True)),
        (None, Consent()),
    ],
)
def test_a_choice_is_on_only_when_stored_as_true(
    profile: dict[str, Any] | None, consent: Consent
) -> None:
    read = Consent.of_profile(profile)
    assert read == consent
    assert read.allows(ConsentPurpose.ANALYTICS) is consent.analytics
    assert read.allows(ConsentPurpose.PERSONALIZATION) is consent.personalization


def test_a_turn_with_an_empty_status_has_none_yet() -> None:
    turn = turn_from_document({"prompt": "hi", "createTime": T0, "status": {}})

    assert turn is not None
    assert turn.status is None


def test_a_stored_turn_reads_as_the_shared_model() -> None:
    turn = turn_from_document(
        {"prompt": "hi", "createTime": T0, "status": {"state": "QUEUED", "attempt": 1}}
    )

    assert turn is not None
    assert turn.status is not None
    assert turn.status.state is TurnState.QUEUED
    assert turn_from_document(None) is None
