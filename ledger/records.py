"""Import records into events, fast: one pydantic-core validator over the discriminated union of
the payload models (tagged by `type`), with the exact parse of `NewEvent.from_record` behind it.

The validator is each model's own core schema with three changes, so that for every record it
accepts it gives exactly the event `from_record` gives:
- a Python validator that carries a `native_schema` (ledger.fields.native) is replaced by that
  schema, which accepts a subset of what the function accepts and gives the same value;
- null is refused (from_record reads a null field as an absent one, which may then take its
  default), and the envelope fields are ignored (they are validated beside it, and a record
  with any other unknown key is not taken at all);
- a model whose validators would see the whole record (before or wrap) gets no fast schema.
Any record the fast path does not take, whatever the reason, goes through `from_record`, so an
error always carries from_record's message (its field, its wording). The registry of payload
models is read when a reader is made, not when this module is imported: `upcasting.evolve` may
have replaced a model since, and a model without a fast schema simply takes the exact path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pydantic_core
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from ledger.errors import LedgerError
from ledger.events import ENVELOPE_FIELDS, PAYLOAD_TYPES, NewEvent, Payload
from ledger.fields import MAX_TEXT_LENGTH, NATIVE_TEXT, UUID_TEXT, parse_actor, parse_date

# The envelope as the fast path takes it: an event_id already in the form str(uuid.UUID())
# writes, free text as the exact checks accept it, and null or "" only where they mean absent.
_ENVELOPE = core_schema.typed_dict_schema(
    {
        "effective": core_schema.typed_dict_field(parse_date.native_schema()),
        "actor": core_schema.typed_dict_field(
            core_schema.str_schema(strict=True, max_length=MAX_TEXT_LENGTH, pattern=NATIVE_TEXT),
            required=False,
        ),
        "reason": core_schema.typed_dict_field(
            core_schema.nullable_schema(
                core_schema.str_schema(
                    strict=True, max_length=MAX_TEXT_LENGTH, pattern=r"^[^\x00]*$"
                )
            ),
            required=False,
        ),
        "event_id": core_schema.typed_dict_field(
            core_schema.nullable_schema(
                core_schema.str_schema(strict=True, pattern=f"^{UUID_TEXT}$")
            ),
            required=False,
        ),
    },
    extra_behavior="ignore",
)


class _NoFastSchema(Exception):
    """A model's schema holds something the fast path cannot take over exactly."""


def _fast(node: Any, *, payload: bool = False) -> Any:
    """A copy of a core schema with the changes the module docstring lists; `payload` marks
    the payload model's own node (a model nested in a field keeps no fast schema: its extra
    fields must still be refused)."""
    if isinstance(node, list):
        return [_fast(item) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "function-plain" and "function" in node:
        native = getattr(node["function"].get("function"), "native_schema", None)
        if native is not None and node["function"].get("type") == "no-info":
            return native()
    if kind == "nullable":
        return _fast(node["schema"])
    if kind == "function-after" and payload:
        return {**node, "schema": _fast(node["schema"], payload=True)}
    if kind == "model":
        if not payload or node.get("custom_init") or node.get("root_model"):
            raise _NoFastSchema("model")
        copied = {key: _fast(value) for key, value in node.items() if key != "serialization"}
        copied["config"] = {**node.get("config", {}), "extra_fields_behavior": "ignore"}
        if copied.get("schema", {}).get("type") != "model-fields":
            raise _NoFastSchema("model")
        copied["schema"]["extra_behavior"] = "ignore"
        return copied
    return {
        key: (value if key in ("serialization", "metadata") else _fast(value))
        for key, value in node.items()
    }


def fast_schema(model: type[Payload]) -> CoreSchema | None:
    """The fast schema of one payload model, or None when it cannot have one."""
    if set(model.model_fields) & set(ENVELOPE_FIELDS):
        return None  # from_record would take such a field for the envelope
    schema = model.__pydantic_core_schema__
    try:
        # A model-level after-validator wraps the model node (it sees the model, as usual);
        # a before or wrap one would see the whole record.
        node = schema
        while node.get("type") == "function-after":
            node = node["schema"]
        if node.get("type") != "model":
            raise _NoFastSchema(node.get("type"))
        return _fast(schema, payload=True)
    except (_NoFastSchema, KeyError, TypeError, AttributeError):
        return None


@contextmanager
def _fresh_validators(models: Iterable[type[Payload]]) -> Iterator[None]:
    """pydantic-core builds a `model` schema of a complete pydantic model as that model's own
    validator, whatever the schema says: marked incomplete while the fast schemas are built,
    the models get validators of the schemas given. Nothing else about the models changes."""
    complete = [model for model in models if model.__dict__.get("__pydantic_complete__")]
    for model in complete:
        type.__setattr__(model, "__pydantic_complete__", False)
    try:
        yield
    finally:
        for model in complete:
            type.__setattr__(model, "__pydantic_complete__", True)


class _Compiled:
    """The validators for one state of the payload registry."""

    def __init__(self, models: dict[str, type[Payload]]):
        choices: dict[str, CoreSchema] = {}
        self.keys: dict[str, frozenset[str]] = {}
        for event_type, model in models.items():
            schema = fast_schema(model)
            if schema is not None:
                choices[event_type] = schema
                self.keys[event_type] = frozenset(model.model_fields) | frozenset(ENVELOPE_FIELDS)
        with _fresh_validators(models.values()):
            self.payload = SchemaValidator(
                core_schema.tagged_union_schema(choices, discriminator="type")
            )
        self.envelope = SchemaValidator(_ENVELOPE)


# One compiled validator per registry state (a registry is rarely evolved more than once).
_COMPILED: dict[tuple, _Compiled] = {}


def _compiled() -> _Compiled:
    state = tuple(PAYLOAD_TYPES.items())
    compiled = _COMPILED.get(state)
    if compiled is None:
        if len(_COMPILED) > 8:
            _COMPILED.clear()
        compiled = _COMPILED[state] = _Compiled(dict(PAYLOAD_TYPES))
    return compiled


def record_reader(default_actor: str) -> Callable[[dict[str, Any]], NewEvent]:
    """A function from one import record (envelope and payload fields at top level) to its
    NewEvent, or the ValidationError `NewEvent.from_record` raises for it. Make one per import:
    it reads the payload registry as it is now."""
    compiled = _compiled()
    payload_validator, envelope_validator = compiled.payload, compiled.envelope
    keys = compiled.keys
    try:
        # from_record checks the default actor like any other; the fast path takes it only if
        # it passes, so that an invalid one is still reported on each line that uses it.
        actor_ok = parse_actor(default_actor) == default_actor
    except LedgerError:
        actor_ok = False
    exact = NewEvent.from_record
    invalid = (pydantic_core.ValidationError, KeyError, TypeError)

    def read(record: dict[str, Any]) -> NewEvent:
        try:
            event_type = record["type"]
            if record.keys() <= keys[event_type]:
                payload = payload_validator.validate_python(record)
                envelope = envelope_validator.validate_python(record)
                actor = envelope.get("actor")
                if actor is not None or actor_ok:
                    return NewEvent(
                        event_type,
                        envelope["effective"],
                        payload,
                        actor or default_actor,
                        envelope.get("reason") or None,
                        envelope.get("event_id"),
                        payload.canonical_text(),
                    )
        except invalid:
            pass
        return exact(record, default_actor=default_actor)

    return read


def payload_validator() -> tuple[SchemaValidator, frozenset[str]]:
    """The fast validator of payloads alone (a dict of payload fields and its `type`; other
    keys ignored, null refused) for the registry as it is now, and the types it has a schema
    for: what a replay of stored payloads checks them with (ledger.replay)."""
    compiled = _compiled()
    return compiled.payload, frozenset(compiled.keys)
