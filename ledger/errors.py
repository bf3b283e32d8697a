"""Errors raised by the library; the CLI turns each into one stderr line and exit status 1."""

from __future__ import annotations

from dataclasses import dataclass


class LedgerError(Exception):
    """Something a user can act on: a rejected event, a failed check, a bad file."""


class ValidationError(LedgerError):
    """An event that is malformed or not allowed by the rules at its effective date."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message


class BlockedError(ValidationError):
    """An event that only block-mode policies refuse (every earlier check passed): the one kind
    of rejection an approval by someone else can lift."""


class UnapprovedError(BlockedError):
    """A block-mode rejection that no matching approval lifts. The line names the
    policy's refusal, the event's event_id and digest, and how to make it go through: an
    approval by someone else, then the same event again under that event_id. `why` says why an
    approval that names the event does not lift it (another version, or the approver's own)."""

    def __init__(
        self, blocked: BlockedError, event_id: str | None, digest: str, why: str | None = None
    ):
        self.blocked = blocked
        self.event_id = event_id
        self.digest = digest
        self.why = why
        super().__init__(self._text("the same command again with `--event-id {id}`"), blocked.field)

    def _text(self, again: str) -> str:
        named = f"{self.blocked.message}; event_id {self.event_id}, digest {self.digest}"
        if self.why:
            return f"{named}: {self.why}"
        return (
            f"{named}: to record it anyway, someone else runs `ledger approve {self.event_id} "
            f"--digest {self.digest} --reason TEXT`, then {again.format(id=self.event_id)}"
        )

    def for_import(self) -> str:
        """The line of an import file: the event goes in again as a line with this event_id."""
        text = self._text("import the line again with `event_id` {id}")
        return f"{self.field}: {text}" if self.field else text

    def for_verify(self) -> str:
        """`verify --deep`: an event in the log that block mode refuses, with no approval."""
        named = f"{self.blocked}; event_id {self.event_id}, digest {self.digest}"
        return (
            f"{named}: {self.why}" if self.why else f"{named}: no approval by someone else lifts it"
        )


class ConflictError(LedgerError):
    """An `event_id` already in the log with a different type, effective date or payload."""


class SchemaError(LedgerError):
    """The database has no ledger schema, or an older one."""


class IntegrityError(LedgerError):
    """The chain or the seq sequence does not verify."""


class ClockError(LedgerError):
    """An append whose clock is behind the head's recorded_at by more than the allowed skew."""


class LockTimeoutError(LedgerError):
    """A writer waited longer than the lock timeout for the write lock."""


@dataclass(frozen=True)
class Problem:
    """One bad line of a batch: reported together with every other one (never just the first)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class BatchError(LedgerError):
    """A batch rejected as a whole; carries every problem found, each with its line number."""

    def __init__(self, problems: list[Problem]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in problems[:3]))


class LedgerReadOnlyError(LedgerError):
    """A recording command on a database that takes no writes: a hot standby, or a role or
    transaction that is read-only."""

    def __init__(self, why: str | None = None) -> None:
        super().__init__(
            f"the database is read-only: {why}"
            if why
            else "the database is read-only — a standby? record on the primary"
        )


class LedgerDatabaseError(LedgerError):
    """The database refused or went away: a connection that cannot be made or was cut, a table
    dropped under the ledger, a role without the privilege, a full disk. The message is the
    driver's first line (any password in it hidden); `orig` is the driver's own exception."""

    def __init__(
        self, reason: str, *, orig: BaseException | None = None, context: str = "database"
    ):
        from ledger.redact import hide_password

        self.reason = hide_password(reason)
        self.orig = orig
        self.context = context
        super().__init__(f"{context}: {self.reason}")

    @property
    def sqlstate(self) -> str | None:
        """PostgreSQL's SQLSTATE of the refusal (None on SQLite)."""
        return getattr(self.orig, "sqlstate", None)


class LedgerConstraintError(LedgerDatabaseError):
    """A constraint or a column type of the database refused a row (driver's IntegrityError or
    DataError): the rules of the ledger should have caught it first."""
