"""Compliance and policy listing (filled in by the policies work)."""

COMMANDS: list = []
