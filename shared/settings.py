"""Settings both services must agree on, defined once; each service's `Settings` declares them
with these types, so they read the same variables (`AURAOS_TURN_LEASE_S`,
`AURAOS_MAX_TURN_ATTEMPTS`) with the same defaults and bounds.

The lease is how long a worker's claim on a turn lasts before the sweeper (functions) may hand
the turn to another worker; ai_service renews it while it streams. The attempts bound how often
a turn is re-queued after a worker died before it ends ERROR.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

TurnLeaseSeconds = Annotated[int, Field(default=120, gt=0, le=3600)]
MaxTurnAttempts = Annotated[int, Field(default=3, gt=0, le=10)]
