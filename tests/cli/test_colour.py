"""Colour on a terminal: the real `storylog` process with its standard output on a
pseudo-terminal, so the command line decides colour as it does for a person.

The codes are pinned byte for byte (they are the ones click wrote when the renderers
styled with it), and NO_COLOR or a pipe turns them off.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import tty

import pytest

from tests.conftest import Cli

ESC = "\x1b["


@pytest.fixture
def story(sqlite_cli: Cli) -> Cli:
    sqlite_cli.ok("new", "s", "--headline", "Pokrovsk", "--tz", "Europe/Kyiv")
    sqlite_cli.ok("add", "s", "--id", "r", "--stamp", "2025-11-04 12:21", "--text",
                  "Russia holds about 80% of the city.", "--source", "Bild,kind=outlet")
    sqlite_cli.ok("publish", "s")
    sqlite_cli.ok("edit", "s", "r", "--kind", "correction", "--reason", "misread",
                  "--note", "He said 85%.", "--text", "Russia holds about 85% of the city.")
    sqlite_cli.ok("publish", "s")
    return sqlite_cli


def on_terminal(db: str, *args: str, no_color: bool = False) -> str:
    """What `storylog ARGS` writes to standard output when that is a terminal."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(STORYLOG_DB=db, COLUMNS="100")
    if no_color:
        env["NO_COLOR"] = "1"
    leader, follower = pty.openpty()
    tty.setraw(follower)  # no CR added to each line
    with subprocess.Popen([sys.executable, "-m", "storylog.cli", *args], stdout=follower,
                          stderr=subprocess.DEVNULL, env=env) as process:
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            out += chunk
    os.close(leader)
    assert process.returncode == 0
    return out.decode()


def test_show_on_a_terminal_is_coloured(story: Cli):
    lines = on_terminal(story.db, "show", "s").split("\n")
    assert lines[0] == f"{ESC}1mPokrovsk{ESC}0m"
    assert lines[1] == f"{ESC}2mworking copy (position 5, 2 published){ESC}0m"
    assert lines[3] == f"{ESC}36m{ESC}1m2025-11-04 12:21  r{ESC}0m"
    assert f"{ESC}33m  Correction: He said 85%.{ESC}0m" in lines


def test_diff_on_a_terminal_strikes_out_and_underlines_words(story: Cli):
    text = on_terminal(story.db, "diff", "s", "1", "2")
    assert text.startswith(f"{ESC}1ms: version 1 -> 2: 0 added, 1 edited")
    assert f"{ESC}33m{ESC}1m~ edited r (2025-11-04 12:21), revision 1 -> 2{ESC}0m" in text
    assert (f"Russia holds about {ESC}31m{ESC}24m{ESC}9m80{ESC}0m"
            f"{ESC}32m{ESC}4m{ESC}29m85{ESC}0m% of the city.") in text


def test_log_and_timeline_on_a_terminal_are_coloured(story: Cli):
    log = on_terminal(story.db, "log", "s", "-p").split("\n")
    assert log[0].startswith(f"{ESC}2m#1   ") and log[0].endswith(f"{ESC}0mOpened")
    assert f"      Russia holds about {ESC}31m{ESC}24m{ESC}9m80{ESC}0m" in "\n".join(log)
    timeline = on_terminal(story.db, "timeline", "Bild")
    assert timeline.startswith(f"{ESC}1m{' ' * 19}Bild") and f"{ESC}0m\n" in timeline


@pytest.mark.parametrize("args", [("show", "s"), ("diff", "s"), ("log", "s", "-p"),
                                  ("timeline", "Bild")])
def test_no_color_turns_colour_off_on_a_terminal(story: Cli, args: tuple[str, ...]):
    text = on_terminal(story.db, *args, no_color=True)
    assert text and ESC not in text
    piped = story(*args, env={"COLUMNS": "100"})
    assert text == piped.stdout  # the same text a pipe gets
