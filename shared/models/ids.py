"""Document ids a client may choose: one rule for the models, the callables and firestore.rules.

An id is 1..64 (events: 8..64) of `ID_CHARS`; Firestore itself refuses ids of the form `__.*__`
(reserved), so they are refused here too, as a typed error before any write. `/`, `.` and `..`
are already outside `ID_CHARS`. firestore.rules' `isValidId` matches the same two patterns
(tests/unit/shared/test_ids.py checks that they are spelled the same there).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

ID_CHARS = r"^[A-Za-z0-9_-]+$"
RESERVED_ID = r"^__.*__$"
_RESERVED = re.compile(RESERVED_ID, re.DOTALL)


def not_reserved(value: str) -> str:
    """`value` unless Firestore reserves it as a document id (`__name__`-like, or . and ..)."""
    if _RESERVED.match(value):
        raise ValueError("ids of the form __name__ are reserved; choose another id")
    if value in (".", "..") or "/" in value:
        raise ValueError("an id cannot be '.' or '..' or contain '/'")
    return value


ClientId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=ID_CHARS),
    AfterValidator(not_reserved),
]
EventId = Annotated[
    str,
    StringConstraints(min_length=8, max_length=64, pattern=ID_CHARS),
    AfterValidator(not_reserved),
]
# A Firebase Auth uid (1..128 characters) that can also name a Firestore document.
Uid = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(not_reserved)]
# Any existing document's id, e.g. a server-generated alert id (Firestore allows 1,500 bytes).
DocumentName = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(not_reserved)
]
