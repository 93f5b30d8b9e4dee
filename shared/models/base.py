"""Base classes for documents and messages: frozen, strict about unknown fields, camelCase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Frozen(BaseModel):
    """Immutable typed data: snake_case in Python, camelCase in Firestore and JSON."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
    )

    def to_document(self) -> dict[str, Any]:
        """The Firestore/JSON form: camelCase keys, unset optional fields left out."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="python")

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON-safe form (datetimes as ISO strings) for Pub/Sub and HTTP bodies."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Self:
        """Parse a stored document, ignoring nothing: unknown fields are an error."""
        return cls.model_validate(data)


class Document(Frozen):
    """A stored document: tolerant of server fields it does not model (written by newer code)."""

    model_config = ConfigDict(extra="ignore")


def utc_now() -> datetime:
    """The current time, timezone-aware, so comparisons with Firestore timestamps are safe."""
    return datetime.now(UTC)
