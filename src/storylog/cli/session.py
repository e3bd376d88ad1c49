"""The command line's session and its one error boundary: the store opened on first
use and closed after the command, and every failure turned into one `Error:` line and
a documented exit code.

Imports of the heavy libraries happen inside functions, so that `--help` and
simple commands start fast.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from storylog.cli.output import say
from storylog.errors import StoreUnavailable, StorylogError

if TYPE_CHECKING:
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views

OPTION_OF_FIELD = {
    "body": "--text",
    "headline": "--headline",
    "standfirst": "--standfirst",
    "note": "--note",
    "reason": "--reason",
    "stamp": "--stamp",
    "tz": "--tz",
    "slug": "SLUG",
    "update_id": "--id",
    "name": "--source",
    "url": "link",
    "lang": "--lang",
}
INTERNAL_ERROR = 70


class Session:
    """The command line's handle on one database, opened on first use."""

    def __init__(self, db: str, keys: str | None = None):
        self.db = db
        self.keys = keys or None  # None: the keys are inside the events database
        self._app: StoryApp | None = None
        self.wrote = False
        self.succeeded = False
        self.created: Path | None = None  # the SQLite file this command created
        self.keep_created = True  # False: a dry run, which must leave no file behind

    def views(self) -> Views:
        """The read side, brought up to date. A SQLite store whose read models are
        already current is read with plain SQL, without opening the application
        (which is most of a short command's start-up)."""
        from storylog.projections.queries import Views
        from storylog.store.backends import is_postgres

        if self._app is None and not is_postgres(self.db):
            from storylog.store.readmodel.current import current_sqlite

            sql = current_sqlite(self.db, self.keys)
            if sql is not None:
                return Views.over(sql)
        return Views(self.app())

    def writer(self, *, create: bool = False) -> StoryApp:
        """The application, for a command that writes events."""
        self.wrote = True
        return self.app(create=create)

    def after_command(self) -> None:
        """Keep the read models current after a write, so reads need not write."""
        self.succeeded = True
        if self._app is not None and self.wrote:
            try:
                self._app.catch_up()
            except Exception as error:
                say(f"warning: the change is saved, but the read models were not updated "
                    f"({first_line(error)}); run `storylog project`")

    def app(self, *, create: bool = False) -> StoryApp:
        if self._app is None:
            from storylog.store.backends import is_postgres

            if not create and not is_postgres(self.db) and not Path(self.db).exists():
                raise StoreUnavailable(
                    f"no storylog database at {self.db}; create one with "
                    "`storylog init` or `storylog new`, or point --db / STORYLOG_DB at one"
                )
            from storylog.app.service import StoryApp

            path = Path(self.db).expanduser()
            if create and not is_postgres(self.db) and not path.exists():
                self.created = path
            self._app = StoryApp(self.db, keys=self.keys)
        return self._app

    def close(self) -> None:
        """Close the store. A SQLite file this command created is removed again if the
        command failed (or was a dry run) before any event was written: a refused
        first command leaves nothing behind."""
        if self._app is not None:
            self._app.close()
            self._app = None
        if self.created is not None and not (self.succeeded and self.keep_created):
            from storylog.store.eventlog import remove_if_empty

            remove_if_empty(self.created)


def run(cli: click.Group, argv: list[str] | None = None) -> NoReturn:
    """Run the command line; every failure ends as one line on stderr and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            say(f"Error: argument {number} is not valid UTF-8; set a UTF-8 locale or pass "
                "the text through standard input with --text -")
            sys.exit(1)
    try:
        result = cli.main(args=args, prog_name="storylog", standalone_mode=False)
    except click.exceptions.Abort:
        say("Aborted.")
        sys.exit(1)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        shown = io.StringIO()
        error.show(file=shown)  # click echoes the argument back: controls made visible
        say(shown.getvalue().rstrip("\n"))
        sys.exit(error.exit_code)
    except StorylogError as error:
        say(f"Error: {error}")
        sys.exit(error.exit_code)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except KeyboardInterrupt:
        say("Interrupted; nothing half-written was kept.")
        sys.exit(130)
    except Exception as error:
        _report_unexpected(error)
    sys.exit(result if isinstance(result, int) else 0)


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM stop a long-running command (serve, project --follow)
    cleanly, even when the process was started with SIGINT ignored (a shell's background
    job, nohup, some CI runners), which Python would otherwise keep: it would never stop
    on Ctrl-C."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _report_unexpected(error: Exception) -> NoReturn:
    message, code = translate(error)
    say(f"Error: {message}")
    if code == INTERNAL_ERROR and os.environ.get("STORYLOG_DEBUG"):
        raise error
    sys.exit(code)


def translate(error: Exception) -> tuple[str, int]:
    """A library's error as (one line for the user, exit code)."""
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return validation_message(error), 1
    from storylog.store.backends import is_database_error

    if is_database_error(error):
        return f"the database failed: {first_line(error)}", StoreUnavailable.exit_code
    name = type(error).__module__.split(".")[0]
    if type(error).__name__ == "InvalidTag" and name == "cryptography":
        # AES-GCM refused to open sealed content: its key or its sealed bytes changed
        # since it was written (damage or tampering), which is what verify reports.
        from storylog.errors import VerificationFailed

        return ("an update's sealed content does not open with its key: the key or the "
                "stored bytes are damaged; keep a copy of the database as evidence and "
                "restore the keys from a key backup"), VerificationFailed.exit_code
    return (
        f"internal error ({type(error).__name__}: {first_line(error)}); "
        "this is a bug: please report it, with STORYLOG_DEBUG=1 for details",
        INTERNAL_ERROR,
    )


def validation_message(error: Any) -> str:
    first = error.errors()[0]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    fields = [str(p) for p in first.get("loc", ()) if isinstance(p, str)]
    field = next((OPTION_OF_FIELD[f] for f in reversed(fields) if f in OPTION_OF_FIELD), None)
    if field and message.startswith("must "):  # a rule that names no field: name it
        return f"{field} {message}"
    if field and field not in message and first.get("type") != "value_error":
        return f"{field}: {message}"
    return message


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _quiet_broken_pipe() -> NoReturn:
    # The reader went away (e.g. `| head`): stop without a traceback.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)
