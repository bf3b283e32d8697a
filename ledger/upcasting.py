"""Event versions: the upcasters that turn a payload stored by an older version of its event
type into the input of the current model, applied in one place on read.

Each payload model has a `version` (a class attribute, 1 unless the type has changed); every
append stores it next to the event (the `version` column), outside the hash. Reading a stored
event (`StoredEvent.typed_payload`: rebuild, copy and restore, verify --deep) goes through
`read_payload`, which runs the upcasters from the stored version up to the current one and
validates the result with the current model. The stored text and its hash never change.

`evolve(NewModel, upcaster)` makes NewModel (whose `version` is one more than the current
model's) the model of its type; `upcaster(payload)` takes a payload in the stored form of the
previous version and returns one in the stored form of the new one (a new dict: decimals and
dates as strings, as an append stores them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic

from ledger.errors import IntegrityError, LedgerError
from ledger.events import PAYLOAD_TYPES, Payload

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (type, version) → the upcaster from that version to the next.
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}
# The models each type had before its current one, oldest first (for revert).
_EARLIER: dict[str, list[type[Payload]]] = {}


def current_version(event_type: str) -> int:
    """The version an append of this type stores now."""
    return PAYLOAD_TYPES[event_type].version


def evolve(model: type[Payload], upcaster: Upcaster) -> None:
    """Make `model` the current model of its event type, `upcaster` turning a payload of the
    previous version into one of this version. Appends store the new version from now on."""
    event_type = model.type
    if event_type not in PAYLOAD_TYPES:
        raise LedgerError(
            f"type: {event_type!r} is not an event type; a new type needs no upcaster"
        )
    previous = PAYLOAD_TYPES[event_type]
    if model.version != previous.version + 1:
        raise LedgerError(
            f"version: {model.__name__}.version is {model.version}; the next version of "
            f"{event_type} is {previous.version + 1}"
        )
    _UPCASTERS[(event_type, previous.version)] = upcaster
    _EARLIER.setdefault(event_type, []).append(previous)
    PAYLOAD_TYPES[event_type] = model


def revert(event_type: str) -> None:
    """Undo the last `evolve` of this type (for a notebook or test trying an evolution out)."""
    earlier = _EARLIER.get(event_type)
    if not earlier:
        raise LedgerError(f"type: {event_type!r} has not been evolved")
    previous = earlier.pop()
    _UPCASTERS.pop((event_type, previous.version), None)
    PAYLOAD_TYPES[event_type] = previous


def upcast(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """The stored payload of `version`, brought to the current version of its type (an unknown
    type's as it is: reading it fails where the type is looked up)."""
    if event_type not in PAYLOAD_TYPES:
        return payload
    current = current_version(event_type)
    if version > current:
        raise IntegrityError(
            f"{event_type} version {version} was stored by a newer ledger than this "
            f"one (it reads up to version {current}); upgrade ledger"
        )
    for step in range(version, current):
        payload = _UPCASTERS[(event_type, step)](dict(payload))
    return payload


def read_payload(event_type: str, version: int, payload: dict[str, Any]) -> Payload:
    """The typed payload of a stored event: upcast, then validated by the current model."""
    return PAYLOAD_TYPES[event_type].model_validate(upcast(event_type, version, payload))


def infer_version(event_type: str, payload: dict[str, Any]) -> int:
    """The version of a payload whose version was not kept (a row of an audit export, whose
    columns have no version): the newest one from which it upcasts to a valid payload. An
    evolution must therefore change a payload's shape (a field renamed, added or dropped), not
    only the meaning of a field, for an export of it to be restored exactly."""
    current = current_version(event_type)
    for version in range(current, 0, -1):
        try:
            read_payload(event_type, version, payload)
        except (pydantic.ValidationError, LedgerError, LookupError, TypeError, ValueError):
            continue
        return version
    return current
