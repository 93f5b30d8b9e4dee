"""A profile's timeZone as the functions read it: the rules check its shape only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from auraos_functions.repositories.users import readable_profile
from auraos_functions.services.requests import parse_request
from shared.errors import InvalidInput
from shared.models.users import ProfileUpdate, UserProfile

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE: dict[str, Any] = {"createdAt": T0, "updatedAt": T0}


@pytest.mark.parametrize(
    ("stored", "read_as"),
    [
        ({}, "UTC"),
        ({"timeZone": "Europe/Lisbon"}, "Europe/Lisbon"),
        ({"timeZone": "Mars/Olympus_Mons"}, "UTC"),  # IANA-shaped, so the rules let it in
        ({"timeZone": "a" * 64}, "UTC"),
    ],
)
def test_an_unknown_zone_the_owner_wrote_reads_as_utc(stored: dict[str, Any], read_as: str) -> None:
    profile = UserProfile.from_document(readable_profile({**PROFILE, **stored}))

    assert profile.time_zone == read_as


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "Europe/ Lisbon", 5])
def test_update_profile_refuses_a_zone_it_does_not_know(zone: Any) -> None:
    with pytest.raises(InvalidInput, match="timeZone"):
        parse_request(ProfileUpdate, {"timeZone": zone})


def test_update_profile_takes_an_iana_zone() -> None:
    update = parse_request(ProfileUpdate, {"timeZone": "America/Argentina/Buenos_Aires"})
    assert update.model_dump(by_alias=True, exclude_unset=True) == {
        "timeZone": "America/Argentina/Buenos_Aires"
    }
