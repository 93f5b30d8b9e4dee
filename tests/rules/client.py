"""Minimal Firestore emulator REST client for security-rules tests.

Every operation returns an :class:`Outcome`; tests assert ``allowed`` (HTTP 200) or
``denied`` (HTTP 403 with status ``PERMISSION_DENIED``).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import requests

# A project of their own: rules are per project, and no function triggers fire on its writes.
PROJECT_ID: Final = "demo-auraos-rules"
DATABASE: Final = "(default)"
DOCS_PREFIX: Final = f"projects/{PROJECT_ID}/databases/{DATABASE}/documents"
_TIMEOUT_S: Final = 10.0


class RulesClientError(RuntimeError):
    """The emulator answered something other than allow/deny."""


@dataclass(frozen=True)
class Outcome:
    """Result of one request: HTTP status plus the gRPC status name on error."""

    http_status: int
    status: str
    message: str
    body: Any = field(repr=False, default=None)

    @property
    def allowed(self) -> bool:
        """True when the emulator accepted the request."""
        return self.http_status == 200

    @property
    def denied(self) -> bool:
        """True when security rules rejected the request."""
        return self.http_status == 403 and self.status == "PERMISSION_DENIED"


def assert_allowed(outcome: Outcome) -> None:
    """Fail unless the request was allowed."""
    assert outcome.allowed, f"expected ALLOWED, got {outcome.http_status} {outcome.status}: " + (
        outcome.message.strip()
    )


def assert_denied(outcome: Outcome) -> None:
    """Fail unless the request was rejected with PERMISSION_DENIED."""
    assert outcome.denied, f"expected PERMISSION_DENIED, got {outcome.http_status} {outcome.status}"


# ----------------------------------------------------------------------------- values


def encode_value(value: object) -> dict[str, Any]:
    """Convert a Python value into a Firestore REST ``Value``."""
    encoded: dict[str, Any]
    if value is None:
        encoded = {"nullValue": None}
    elif isinstance(value, bool):
        encoded = {"booleanValue": value}
    elif isinstance(value, int):
        encoded = {"integerValue": str(value)}
    elif isinstance(value, float):
        encoded = {"doubleValue": value}
    elif isinstance(value, str):
        encoded = {"stringValue": value}
    elif isinstance(value, datetime):
        stamp = value.astimezone(UTC).isoformat(timespec="microseconds")
        encoded = {"timestampValue": stamp.replace("+00:00", "Z")}
    elif isinstance(value, Mapping):
        encoded = {"mapValue": {"fields": encode_fields(value)}}
    elif isinstance(value, list | tuple):
        encoded = {"arrayValue": {"values": [encode_value(item) for item in value]}}
    else:
        raise TypeError(f"unsupported Firestore value: {value!r}")
    return encoded


def encode_fields(data: Mapping[str, object]) -> dict[str, Any]:
    """Convert a mapping into Firestore REST ``fields``."""
    return {key: encode_value(item) for key, item in data.items()}


def decode_value(value: Mapping[str, Any]) -> object:
    """Convert a Firestore REST ``Value`` back into Python."""
    kind, raw = next(iter(value.items()))
    if kind == "nullValue":
        return None
    if kind == "integerValue":
        return int(raw)
    if kind == "timestampValue":
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if kind == "mapValue":
        return decode_fields(raw.get("fields", {}))
    if kind == "arrayValue":
        return [decode_value(item) for item in raw.get("values", [])]
    return raw


def decode_fields(fields: Mapping[str, Any]) -> dict[str, object]:
    """Convert Firestore REST ``fields`` back into a dict."""
    return {key: decode_value(item) for key, item in fields.items()}


# ----------------------------------------------------------------------------- tokens


def _b64url(payload: Mapping[str, object]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_id_token(uid: str, claims: Mapping[str, object]) -> str:
    """An unsigned (alg "none") Firebase ID token; the emulator does not verify signatures."""
    now = int(time.time())
    payload: dict[str, object] = {
        "iss": f"https://securetoken.google.com/{PROJECT_ID}",
        "aud": PROJECT_ID,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "sub": uid,
        "user_id": uid,
        "firebase": {"sign_in_provider": "custom", "identities": {}},
        **claims,
    }
    return f"{_b64url({'alg': 'none', 'kid': 'fakekid', 'typ': 'JWT'})}.{_b64url(payload)}."


# ----------------------------------------------------------------------------- client


def _split_parent(path: str) -> tuple[str, str]:
    """Split ``a/b/c`` into parent ``a/b`` and collection id ``c``."""
    parent, _, collection_id = path.rpartition("/")
    return parent, collection_id


class FirestoreClient:
    """Firestore REST client acting with one identity (a user, the rules bypass, or nobody)."""

    def __init__(self, host: str, session: requests.Session, bearer: str | None) -> None:
        self._base = f"http://{host}/v1"
        self._session = session
        self._headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}

    def _doc_url(self, path: str) -> str:
        return f"{self._base}/{DOCS_PREFIX}/{path}"

    def _send(self, method: str, url: str, **kwargs: Any) -> Outcome:
        response = self._session.request(
            method, url, headers=self._headers, timeout=_TIMEOUT_S, **kwargs
        )
        body: Any = response.json() if response.content else None
        if response.status_code == 200:
            return Outcome(200, "OK", "", body)
        error = body.get("error", {}) if isinstance(body, dict) else {}
        outcome = Outcome(
            response.status_code, str(error.get("status", "")), str(error.get("message", "")), body
        )
        if outcome.http_status == 404 and method == "GET":
            return outcome
        if outcome.http_status != 403:
            raise RulesClientError(f"{method} {url}: {outcome}")
        return outcome

    def get(self, path: str) -> Outcome:
        """Read one document (``allow get``); a missing, readable document gives 404."""
        return self._send("GET", self._doc_url(path))

    def query(self, collection_path: str) -> Outcome:
        """Run a query over one collection (``allow list``); ``body`` is the result stream."""
        parent, collection_id = _split_parent(collection_path)
        prefix = f"{DOCS_PREFIX}/{parent}" if parent else DOCS_PREFIX
        url = f"{self._base}/{prefix}:runQuery"
        query = {"structuredQuery": {"from": [{"collectionId": collection_id}]}}
        return self._send("POST", url, json=query)

    def _commit(self, write: dict[str, Any]) -> Outcome:
        return self._send("POST", f"{self._base}/{DOCS_PREFIX}:commit", json={"writes": [write]})

    def _write(
        self,
        path: str,
        data: Mapping[str, object],
        *,
        exists: bool | None,
        mask: Sequence[str] | None,
        server_time_fields: Sequence[str],
    ) -> Outcome:
        write: dict[str, Any] = {
            "update": {"name": f"{DOCS_PREFIX}/{path}", "fields": encode_fields(data)},
        }
        if mask is not None:
            write["updateMask"] = {"fieldPaths": list(mask)}
        if server_time_fields:
            write["updateTransforms"] = [
                {"fieldPath": name, "setToServerValue": "REQUEST_TIME"}
                for name in server_time_fields
            ]
        if exists is not None:
            write["currentDocument"] = {"exists": exists}
        return self._commit(write)

    def create(
        self,
        path: str,
        data: Mapping[str, object],
        server_time_fields: Sequence[str] = (),
    ) -> Outcome:
        """Create a document that must not exist; listed fields get ``request.time``."""
        return self._write(
            path, data, exists=False, mask=None, server_time_fields=server_time_fields
        )

    def set(self, path: str, data: Mapping[str, object]) -> Outcome:
        """Overwrite (or create) a whole document, like the SDK's ``set``."""
        return self._write(path, data, exists=None, mask=None, server_time_fields=())

    def update(
        self,
        path: str,
        data: Mapping[str, object],
        server_time_fields: Sequence[str] = (),
        mask: Sequence[str] | None = None,
    ) -> Outcome:
        """Patch an existing document; ``mask`` defaults to the top-level keys of ``data``."""
        field_mask = list(data) if mask is None else list(mask)
        return self._write(
            path, data, exists=True, mask=field_mask, server_time_fields=server_time_fields
        )

    def merge(
        self,
        path: str,
        data: Mapping[str, object],
        server_time_fields: Sequence[str] = (),
    ) -> Outcome:
        """Upsert the top-level keys of ``data`` without a precondition (``set`` + merge)."""
        return self._write(
            path, data, exists=None, mask=list(data), server_time_fields=server_time_fields
        )

    def delete(self, path: str) -> Outcome:
        """Delete one document (``allow delete``)."""
        return self._send("DELETE", self._doc_url(path))


class Emulator:
    """Entry point: identities plus rule-bypassing helpers for seeding and checking data."""

    def __init__(self, host: str) -> None:
        self.host = host
        self._session = requests.Session()
        self._owner = FirestoreClient(host, self._session, "owner")

    # identities

    def as_user(self, uid: str, **claims: object) -> FirestoreClient:
        """A signed-in Firebase user with optional custom claims."""
        return FirestoreClient(self.host, self._session, unsigned_id_token(uid, claims))

    def as_admin(self, uid: str = "admin-1") -> FirestoreClient:
        """A signed-in user carrying the ``role: admin`` custom claim."""
        return self.as_user(uid, role="admin")

    def as_anonymous(self) -> FirestoreClient:
        """An unauthenticated client (no Authorization header)."""
        return FirestoreClient(self.host, self._session, None)

    # rule bypass (Admin SDK equivalent)

    def seed(self, path: str, data: Mapping[str, object]) -> None:
        """Write a document bypassing security rules."""
        outcome = self._owner.set(path, data)
        if not outcome.allowed:
            raise RulesClientError(f"seed {path} failed: {outcome}")

    def remove(self, path: str) -> None:
        """Delete a document bypassing security rules."""
        outcome = self._owner.delete(path)
        if not outcome.allowed:
            raise RulesClientError(f"remove {path} failed: {outcome}")

    def read(self, path: str) -> dict[str, object] | None:
        """Read a document bypassing security rules; ``None`` when it does not exist."""
        outcome = self._owner.get(path)
        if outcome.http_status == 404:
            return None
        if not outcome.allowed:
            raise RulesClientError(f"read {path} failed: {outcome}")
        return decode_fields(outcome.body.get("fields", {}))

    # emulator administration

    def load_rules(self, source: str) -> None:
        """Replace the emulator's rules for the project."""
        response = self._session.put(
            f"http://{self.host}/emulator/v1/projects/{PROJECT_ID}:securityRules",
            json={"rules": {"files": [{"name": "firestore.rules", "content": source}]}},
            timeout=_TIMEOUT_S,
        )
        if response.status_code != 200:
            raise RulesClientError(f"loading rules failed: {response.status_code} {response.text}")

    def clear(self) -> None:
        """Delete every document in the project's default database."""
        response = self._session.delete(
            f"http://{self.host}/emulator/v1/projects/{PROJECT_ID}/databases/{DATABASE}/documents",
            timeout=_TIMEOUT_S,
        )
        if response.status_code != 200:
            raise RulesClientError(f"clearing data failed: {response.status_code} {response.text}")


def request_time_like(value: object) -> bool:
    """True for a timestamp written moments ago (a server ``REQUEST_TIME`` transform)."""
    if not isinstance(value, datetime):
        return False
    age = (datetime.now(UTC) - value).total_seconds()
    return -60.0 <= age <= 60.0


def result_ids(outcome: Outcome) -> list[str]:
    """Document ids returned by an allowed :meth:`FirestoreClient.query`, in order."""
    rows: list[dict[str, Any]] = outcome.body or []
    return [row["document"]["name"].rsplit("/", 1)[1] for row in rows if "document" in row]
