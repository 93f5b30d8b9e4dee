"""`exportMyData`: everything stored about one user, as the GDPR export hands it over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .base import Frozen


class DataExport(Frozen):
    """One user's data. The documents are by nature untyped here (every collection's own
    shape, with the fields that model does not know kept): each is a JSON-ready
    `dict[str, Any]` (timestamps as ISO strings, vectors as lists of numbers) with its `id`."""

    uid: str
    exported_at: datetime
    account: dict[str, Any]
    """`users/{uid}` and its whole tree: each subcollection a list of such nodes."""
    keyed: dict[str, dict[str, Any] | None]
    """Per top-level collection keyed by the uid (`recommendations`): its document, or None."""
    queried: dict[str, list[dict[str, Any]]]
    """Per export name (`analyticsEvents`, `securityAlerts`): the documents naming the uid."""
    audit_log: list[dict[str, Any]]
    """Audit entries where the user acted or was acted on."""

    def to_response(self) -> dict[str, Any]:
        """The callable's JSON: `uid`, `exportedAt`, `account`, then one key per collection."""
        return {
            "uid": self.uid,
            "exportedAt": self.exported_at.isoformat(),
            "account": self.account,
            **self.keyed,
            **self.queried,
            "auditLog": self.audit_log,
        }
