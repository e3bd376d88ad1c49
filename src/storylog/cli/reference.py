"""The command reference: every command's `--help`, as the README shows it.

It lives beside the commands because only the command line knows click; the README's
generator (`python -m storylog.devtools`) asks for it here.
"""

from __future__ import annotations

import click

from storylog.cli import cli


def command_help(name: str) -> str:
    command = cli.commands[name]
    settings = {"terminal_width": 88, **cli.context_settings}
    with click.Context(cli, info_name="storylog", **settings) as parent:
        context = click.Context(command, info_name=name, parent=parent, **settings)
        return command.get_help(context)


def reference() -> str:
    parts = []
    for name in sorted(cli.commands):
        parts.append(f"### `storylog {name}`\n\n```\n{command_help(name)}\n```\n")
    return "\n".join(parts)
