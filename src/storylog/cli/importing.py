"""`storylog import`: read a live page, parse it, plan the events, apply them, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storylog.cli.options import CHANGE_KIND, editor_option, json_option
from storylog.cli.output import echo_json, say
from storylog.cli.session import Session
from storylog.errors import RefusedInput


@click.command("import")
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
@click.option("--year", type=int, help="The year of stamps that carry none (never guessed).")
@click.option("--tz", help="The page's time zone (default: the story's; UTC for a new story).")
@click.option("--headline", help="Headline of a new story (default: the page's, or the slug).")
@click.option("--gazetteer", type=click.Path(exists=True, dir_okay=False),
              help="A file of extra source names: 'Name | kind | alias; alias | https://link'.")
@click.option("--day-first/--month-first", default=None,
              help="How to read numeric dates like 03/04 when no date on the page settles it.")
@click.option("--date", "today", type=click.DateTime(["%Y-%m-%d"]),
              help="The date the page was saved on, for headings like 'Today' and 'Yesterday'.")
@click.option("--kind", type=CHANGE_KIND, default="update", show_default=True,
              help="Kind of change for updates that changed on the page.")
@click.option("--note", help="Public note for those changes (needed for correction etc.).")
@click.option("--allow-unplaced", is_flag=True,
              help="Import even if some lines belong to no update (they are listed, and lost).")
@click.option("--dry-run", is_flag=True,
              help="Print the events that would be written (--json: their exact payloads); "
                   "write none.")
@json_option
@editor_option
@click.pass_obj
def import_page(
    session: Session, slug: str, file: Any, year: int | None, tz: str | None,
    headline: str | None, gazetteer: str | None, day_first: bool | None, today: Any,
    kind: str, note: str | None, allow_unplaced: bool, dry_run: bool, as_json: bool, editor: str,
    command_id: str,
) -> None:
    """Import a live page (FILE, or - for stdin; text or saved HTML) as a story, or a later
    copy as edits.

    New updates are added, changed ones edited, vanished ones retracted with a note;
    importing the same text twice changes nothing.

    \b
    Example:
      storylog import pokrovsk-live page.txt --year 2025 --tz Europe/Kyiv
      curl -s https://example.org/live.txt | storylog import pokrovsk-live - --dry-run
    """
    run_import(session, slug, file, year=year, tz=tz, headline=headline, gazetteer=gazetteer,
               day_first=day_first, kind=kind, note=note, dry_run=dry_run, as_json=as_json,
               editor=editor, command_id=command_id, today=today.date() if today else None,
               allow_unplaced=allow_unplaced)


def run_import(
    session: Session, slug: str, file: Any, *, year: int | None, tz: str | None,
    headline: str | None, gazetteer: str | None, day_first: bool | None, kind: str,
    note: str | None, dry_run: bool, as_json: bool, editor: str, command_id: str = "",
    today: Any = None, allow_unplaced: bool = False,
) -> None:
    from storylog.app.importing import check_accounted, plan_and_apply
    from storylog.importer import Gazetteer, parse_page
    from storylog.render.importing import import_report

    raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RefusedInput(f"the page is not UTF-8 (byte {error.start}); convert it") from None
    session.keep_created = not dry_run
    app = session.app(create=True) if dry_run else session.writer(create=True)
    zone = tz or (app.story(slug).tz if app.exists(slug) else "UTC")
    names = Gazetteer.from_file(Path(gazetteer)) if gazetteer else Gazetteer.default()
    page = parse_page(text, year=year, tz=zone, gazetteer=names, day_first=day_first,
                      today=today)
    check_accounted(page, allow_unplaced=allow_unplaced)
    if len(page.updates) > 200:  # a progress bar only where there is time to watch it
        with click.progressbar(length=len(page.updates), label="importing",
                               file=sys.stderr, show_pos=True) as bar:
            plan = plan_and_apply(app, slug, page, tz=zone, headline=headline, kind=kind,
                                  note=note, editor=editor, dry_run=dry_run,
                                  progress=bar.update, command_id=command_id)
    else:
        plan = plan_and_apply(app, slug, page, tz=zone, headline=headline, kind=kind,
                              note=note, editor=editor, dry_run=dry_run,
                              command_id=command_id)
    summary = plan.summary()
    if as_json or dry_run:
        echo_json(summary if as_json else summary["events"])
    for line in import_report(summary, dry_run=dry_run):
        say(line)


COMMANDS = (import_page,)
