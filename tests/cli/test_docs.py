"""Every command explains itself, and the README's reference is generated from the code."""

from __future__ import annotations

import re

import pytest

from storylog.cli import cli
from storylog.devtools import with_reference
from tests.conftest import REPO, Cli

COMMANDS = sorted(cli.commands)
READ_COMMANDS = ["show", "log", "stories", "verify"]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name, sqlite_db):
    result = Cli(sqlite_db)(name, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    example = result.stdout.split("Example", 1)[1]
    assert re.search(rf"storylog (--\S+ \S+ )*{name}\b", example), example


def test_readme_command_reference_is_current():
    readme = (REPO / "README.md").read_text()
    assert with_reference(readme) == readme, "run: python -m storylog.devtools"


@pytest.mark.parametrize("name", READ_COMMANDS)
def test_every_read_command_has_json(name):
    assert any(p.name == "as_json" for p in cli.commands[name].params)


def test_readme_documents_every_exit_code():
    from storylog.errors import EXIT_CODES

    readme = (REPO / "README.md").read_text()
    for code in [*EXIT_CODES, 70]:
        assert f"| {code} |" in readme
