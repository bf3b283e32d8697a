"""What every command shares: the database to open (lazily) and the actor."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LedgerContext:
    db: str | None
    actor: str | None
    _ledger: object = field(default=None, repr=False)

    @property
    def ledger(self):
        from ledger.app import Ledger

        if self._ledger is None:
            self._ledger = Ledger.open(self.db)
        return self._ledger

    def actor_name(self) -> str:
        from ledger.app import default_actor

        return self.actor or default_actor()

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
