"""The SPEC §4 rules as pure functions over values already read (no SQL)."""
