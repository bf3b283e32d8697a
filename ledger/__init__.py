"""ledger: an event-sourced procurement ledger (library; the CLI lives in `commands`)."""

__version__ = "0.1.0"
