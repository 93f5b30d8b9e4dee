"""Parsing callable payloads into typed requests, with messages a client can show."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def _message(text: str) -> str:
    """A validator's own words, without pydantic's "Value error, " in front of them."""
    return text.removeprefix("Value error, ")


def parse_request(model: type[M], data: Any) -> M:
    """`data` as a `model`; InvalidInput naming each offending field otherwise."""
    try:
        return model.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {_message(e['msg'])}"
            for e in error.errors()
        )
        raise InvalidInput(f"Invalid request: {problems.rstrip('.')}.") from error
