"""Who may sign up: e-mail validation and blocked domains from the flags."""

import pytest

from auraos_functions.services.accounts import claims_for_new_user
from shared.errors import InvalidInput, PermissionDenied
from shared.models.flags import FeatureFlags

FLAGS = FeatureFlags(blocked_email_domains=("spam.example", "@junk.test"))


def test_a_valid_address_gets_the_user_role() -> None:
    assert claims_for_new_user(email="ann@example.com", flags=FLAGS) == {"role": "user"}


@pytest.mark.parametrize("email", [None, "", "no-at", "a@b", "two@@example.com"])
def test_missing_or_malformed_addresses_are_invalid(email: str | None) -> None:
    with pytest.raises(InvalidInput):
        claims_for_new_user(email=email, flags=FLAGS)


@pytest.mark.parametrize("email", ["x@spam.example", "x@mail.SPAM.example", "x@junk.test"])
def test_blocked_domains_and_their_subdomains_are_refused(email: str) -> None:
    with pytest.raises(PermissionDenied, match="not allowed"):
        claims_for_new_user(email=email, flags=FLAGS)


def test_a_lookalike_domain_is_not_blocked() -> None:
    assert claims_for_new_user(email="x@notspam.example", flags=FLAGS) == {"role": "user"}
