"""The rules of the domain as pure functions over values already read (no SQL)."""
