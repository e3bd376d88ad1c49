"""The body of `storylog import`: read, parse, plan, apply, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storylog.cli_support import Session, echo_json, say
from storylog.errors import RefusedInput
from storylog.render.terminal import counted


def run_import(
    session: Session, slug: str, file: Any, *, year: int | None, tz: str | None,
    headline: str | None, gazetteer: str | None, day_first: bool | None, kind: str,
    note: str | None, dry_run: bool, as_json: bool, editor: str, command_id: str = "",
) -> None:
    from storylog.app.importing import plan_and_apply
    from storylog.importer import Gazetteer, parse_page

    raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RefusedInput(f"the page is not UTF-8 (byte {error.start}); convert it") from None
    session.keep_created = not dry_run
    app = session.app(create=True) if dry_run else session.writer(create=True)
    zone = tz or (app.story(slug).tz if app.exists(slug) else "UTC")
    names = Gazetteer.from_file(Path(gazetteer)) if gazetteer else Gazetteer.default()
    page = parse_page(text, year=year, tz=zone, gazetteer=names, day_first=day_first)
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
    _report(summary, dry_run)


def _report(s: dict[str, Any], dry_run: bool) -> None:
    if s["replayed"]:
        first, last = s["replayed"]
        say(f"{s['story']}: this command id already imported this page (events {first} to "
            f"{last}); nothing was written")
        return
    verb = "would write" if dry_run else "wrote"
    say(f"{s['story']}: {counted(s['updates_on_page'], 'update')} on the page; {verb} "
        f"{s['added']} added, {s['edited']} edited, {s['retracted']} retracted "
        f"({s['unchanged']} unchanged)")
    if s["unsourced"]:
        shown = ", ".join(s["unsourced"][:8])
        more = f" and {len(s['unsourced']) - 8} more (--json lists all)" \
            if len(s["unsourced"]) > 8 else ""
        say(f"no source found for {counted(len(s['unsourced']), 'update')}: {shown}{more}; "
            "add them with `storylog edit ... --source`")
    for u in s["uncertain"]:
        say(f"uncertain match: {u['update']} (similarity {u['similarity']}); check it")
    for line in s["unplaced"]:
        say(f"line {line['line']} belongs to no update: {line['text'][:70]}")
    for warning in s["warnings"]:
        say(f"note: {warning}")
