"""A Firestore client that acts as an end user on the emulator, so security rules apply.

The Python client always sends `Bearer owner` to the emulator (admin: rules bypassed); this one
sends the user's ID token instead, as the PWA's JS SDK would. Emulator only: in production,
end users reach Firestore through the client SDKs, never with server libraries.
"""

from __future__ import annotations

from typing import Any

from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import _helpers


class UserFirestoreClient(firestore.Client):
    def __init__(self, *, project: str, id_token: str) -> None:
        super().__init__(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        self._user_id_token = id_token

    @property
    def _rpc_metadata(self) -> list[tuple[str, str]]:
        metadata: list[tuple[str, str]] = list(_helpers.metadata_with_prefix(self._database_string))
        metadata.append(("authorization", f"Bearer {self._user_id_token}"))
        return metadata

    def __repr__(self) -> str:
        return f"UserFirestoreClient(project={self.project!r})"


def user_client(*, project: str, id_token: str) -> Any:
    """A client whose reads, writes and listeners are checked against firestore.rules."""
    return UserFirestoreClient(project=project, id_token=id_token)
