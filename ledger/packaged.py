"""Files that travel with the package: the alembic scripts and the sample fixtures.

Installed, they are the packages ledger._migrations and ledger._fixtures; in a source tree
that is not installed they are the top-level migrations/ and fixtures/ folders.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _package_folder(package: str, source_folder: str) -> Path:
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return SOURCE_ROOT / source_folder


def migrations_dir() -> Path:
    return _package_folder("ledger._migrations", "migrations")


def fixture(name: str) -> Path:
    return _package_folder("ledger._fixtures", "fixtures") / name
