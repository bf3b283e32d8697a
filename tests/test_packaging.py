"""The installed package carries every module of the source tree: a subpackage missing from
pyproject's list works in an editable install and fails only once installed."""

from __future__ import annotations

import tomllib
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent


def test_every_subpackage_of_the_library_and_the_cli_is_in_pyprojects_package_list():
    listed = set(
        tomllib.loads((SOURCE / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(SOURCE).parts)
        for top in ("ledger", "commands")
        for init in (SOURCE / top).rglob("__init__.py")
    }

    assert found - listed == set()
