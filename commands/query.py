"""Point-in-time queries: budget, commitments, shares, compliance."""

from __future__ import annotations

import click

COMMANDS: list = []
