"""The `storylog` command line: parse, call the application, render. Nothing else.

One module per group of commands (writing, importing, reading, standards, archive,
site); the options and parameter types they share in `options`, the one output
function in `output`, the session and the one place errors become `Error:` lines and
exit codes in `session`, the README's command reference in `reference`. The text they
print is written in `storylog.render`. This module holds only the root group and
registers the rest.

Exit codes: 0 ok, 1 refused input, 2 usage, 3 unknown story or update,
4 conflict, 5 verification failed, 6 database unavailable, 70 internal error.
"""

from __future__ import annotations

from typing import Any

import click

from storylog.cli import archive, importing, reading, site, standards, transparency, writing
from storylog.cli.options import GlobalOptionsGroup
from storylog.cli.session import Session, run

__all__ = ["cli", "main"]

EPILOG = """\b
Exit codes: 0 ok, 1 refused input (nothing written), 2 usage,
3 unknown story or update, 4 conflict (someone changed it first),
5 verification failed, 6 database unavailable, 70 internal error (a bug).
"""


@click.group(cls=GlobalOptionsGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", envvar="STORYLOG_DB", default="storylog.db", show_default=True,
    help="SQLite file, or a postgresql:// URL; before or after the command. "
         "Env: STORYLOG_DB.",
)
@click.option(
    "--keys", envvar="STORYLOG_KEYS", default=None, metavar="DB",
    help="Where the update keys live, apart from the events: a SQLite file or a "
         "postgresql:// URL (default: inside the --db database). Env: STORYLOG_KEYS.",
)
@click.version_option(package_name="storylog")
@click.pass_context
def cli(ctx: click.Context, db: str, keys: str | None) -> None:
    """Keep the complete, verifiable history of a live news story.

    \b
    Example:
      storylog new pokrovsk-live --headline "Battle for Pokrovsk" --tz Europe/Kyiv
      echo "Russian forces ..." | storylog add pokrovsk-live --text - --source Bild
      storylog publish pokrovsk-live
    """
    ctx.obj = Session(db, keys)
    ctx.call_on_close(ctx.obj.close)


@cli.result_callback()
@click.pass_obj
def after_command(session: Session, *_: Any, **__: Any) -> None:
    session.after_command()


for group in (writing, importing, reading, standards, archive, site, transparency):
    for command in group.COMMANDS:
        cli.add_command(command)


def main() -> None:
    run(cli)
