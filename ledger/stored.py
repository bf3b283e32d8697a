"""An event as the log holds it: every envelope field, the payload in its stored form, and the
version of the model that stored it; read as the current model reads it through the upcasters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.events import Payload
from ledger.upcasting import read_payload, upcast


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log holds it: every envelope field, the payload in its stored form."""

    seq: int
    event_id: str
    type: str
    effective: date
    recorded_at: str
    actor: str
    reason: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    # The version of the payload model that stored the payload (outside the hash).
    version: int = 1

    def typed_payload(self) -> Payload:
        """The payload as the current model reads it: upcast from its stored version first."""
        return read_payload(self.type, self.version, self.payload)

    def current_payload(self) -> dict[str, Any]:
        """The stored payload brought to the current version of its type (still a dict)."""
        return upcast(self.type, self.version, self.payload)
