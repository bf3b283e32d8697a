"""What every command shares: the database to open (lazily) and the actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.app import Ledger


@dataclass
class LedgerContext:
    db: str | None
    actor: str | None
    _ledger: Ledger | None = field(default=None, repr=False)

    @property
    def ledger(self):
        """The ledger of --db, which must already exist: a mistyped path is an error, never a
        new, empty ledger that answers every question with nothing."""
        return self.open_ledger(create=False)

    def open_ledger(self, *, create: bool, any_revision: bool = False):
        """The ledger of --db; with create, a missing database is created (init, demo); with
        any_revision, an older schema is opened as it is (status)."""
        from ledger.app import Ledger

        if self._ledger is None:
            self._ledger = Ledger.open(self.db, create=create, any_revision=any_revision)
        return self._ledger

    def knowledge(self, known_at, upto_seq):
        """The knowledge limit of --known-at/--upto-seq; says on stderr when it leaves out
        every event, so that an empty answer is not read as "nothing happened"."""
        import click

        from commands.options import resolve_knowledge

        knowledge = resolve_knowledge(self.ledger, known_at, upto_seq)
        if knowledge.note:
            click.echo(f"note: {knowledge.note}", err=True)
        return knowledge

    def actor_name(self) -> str:
        """--actor (or LEDGER_ACTOR); else, where the database binds actors to login roles, the
        login role; else the OS login name."""
        from ledger.app import default_actor
        from ledger.privileges import login_actor

        login = login_actor(self.ledger)  # also refuses a pooler that makes every actor the same
        return self.actor or login or default_actor()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
