"""The newsroom's writes: open a story, add, edit, retract, retitle, publish, take
down, sign off. Each command parses, calls one use case of the application and prints
what it made (an id, a revision, a version)."""

from __future__ import annotations

import sys
from typing import Any

import click

from storylog.cli.options import (
    CHANGE_KIND,
    SOURCE,
    STATUS,
    TAKEDOWN_GROUNDS,
    editor_option,
    media_of,
    media_options,
)
from storylog.cli.output import say
from storylog.cli.session import Session
from storylog.errors import RefusedInput
from storylog.render.terminal import safe_text


def read_text(value: str | None) -> str | None:
    """``--text -`` reads standard input; anything else is the text itself."""
    if value == "-":
        data = sys.stdin.buffer.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RefusedInput(
                f"standard input is not UTF-8 (byte {error.start}); convert it to UTF-8"
            ) from None
    return value


def text_from_editor(current: str, what: str) -> str:
    """Open $EDITOR prefilled with ``current``; refuse when nobody is at a terminal."""
    if not sys.stdin.isatty():
        raise RefusedInput(f"give the {what} with --text TEXT or --text - (standard input)")
    marker = "# Lines starting with # are ignored. Save and quit to continue.\n"
    edited = click.edit(marker + current)
    if edited is None:
        raise RefusedInput("the editor was closed without saving; nothing was written")
    return "\n".join(
        line for line in edited.splitlines() if not line.startswith("# Lines starting")
    )


def warn_if_ambiguous(app: Any, slug: str, stamp: str | None) -> None:
    """A stamp the clocks passed twice (autumn) is kept as written; say which it means."""
    from storylog.app.commands import stamp_warning

    warning = stamp_warning(app, slug, stamp)
    if warning:
        say(f"warning: {warning}")


def merged_media(current: list[dict[str, Any]],
                 given: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """An edit's media: a picture or link given replaces the update's item of that type,
    keeping what the editor did not restate (an imported link's caption, a picture's
    credit); items of the other type stay as they are."""
    if not given:
        return None
    merged = []
    for item in current:
        new = next((g for g in given if g["type"] == item["type"]), None)
        merged.append(item if new is None else
                      {**item, **{k: v for k, v in new.items() if v is not None}})
    merged += [g for g in given if all(m["type"] != g["type"] for m in current)]
    return merged


@click.command()
@click.argument("slug")
@click.option("--headline", required=True, help="The story's headline.")
@click.option("--standfirst", default="", help="The opening paragraph under the headline.")
@click.option("--tz", default="UTC", show_default=True, help="The newsroom's IANA time zone.")
@click.option("--lang", default="en", show_default=True, help="The story's language tag.")
@editor_option
@click.pass_obj
def new(
    session: Session, slug: str, headline: str, standfirst: str, tz: str, lang: str,
    editor: str, command_id: str,
) -> None:
    """Open a new live story.

    \b
    Example:
      storylog new pokrovsk-live --headline "Battle for Pokrovsk" --tz Europe/Kyiv
    """
    from storylog.domain.payloads import StoryOpenedPayload

    payload = StoryOpenedPayload(
        slug=slug, headline=headline, standfirst=standfirst, tz=tz, lang=lang
    )
    session.writer(create=True).open_story(payload, editor=editor, command_id=command_id)
    click.echo(slug)
    say(f"opened {slug}")


@click.command()
@click.argument("slug")
@click.option("--id", "update_id", help="A stable id for the update (default: generated).")
@click.option("--stamp", help='The stamp readers see, "YYYY-MM-DD HH:MM" in the story\'s zone '
              "(default: now).")
@click.option("--source", "sources", multiple=True, metavar="SPEC", type=SOURCE,
              help="NAME[,kind=K][,via=NAME][,url=URL][,confidential]; repeat for each.")
@click.option("--status", type=STATUS, default="unverified", show_default=True)
@click.option("--key-event", is_flag=True, help="Mark the update a key event.")
@click.option("--text", help="The update's text; - reads standard input; omit to use $EDITOR.")
@media_options
@editor_option
@click.pass_obj
def add(
    session: Session, slug: str, update_id: str | None, stamp: str | None,
    sources: tuple[dict[str, Any], ...], status: str, key_event: bool, text: str | None,
    editor: str, command_id: str, **media: Any,
) -> None:
    """Add an update to a story; prints the new update's id.

    \b
    Example:
      storylog add pokrovsk-live --stamp "2025-11-04 12:21" \\
        --source "Julian Röpcke,kind=analyst,via=Bild" --text "Russian forces ..."
    """
    from storylog.app.commands import add_update

    body = read_text(text)
    app = session.writer()
    if body is None:
        body = text_from_editor("", "update's text")
    new_id = add_update(
        app, slug, update_id=update_id, stamp=stamp, body=body,
        sources=list(sources), status=status, key_event=key_event,
        media=media_of(**media), editor=editor, command_id=command_id,
    )
    warn_if_ambiguous(app, slug, stamp)
    click.echo(new_id)


@click.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--kind", type=CHANGE_KIND, required=True, help="The kind of change.")
@click.option("--reason", required=True, help="Why (internal: never shown to readers).")
@click.option("--note", help="Public note; required for clarification, correction, editors-note.")
@click.option("--text", help="The new text; - reads standard input. With no change given, "
              "$EDITOR opens on the current text.")
@click.option("--source", "sources", multiple=True, metavar="SPEC", type=SOURCE,
              help="Replace the cited sources (see `add --help`).")
@click.option("--status", type=STATUS)
@click.option("--stamp", help='A corrected stamp, "YYYY-MM-DD HH:MM".')
@click.option("--key-event/--not-key-event", default=None)
@click.option("--revision", type=int, help="The revision you based the edit on (default: the "
              "current one).")
@click.option("--override", metavar="REASON",
              help="File a copy edit that changes facts anyway; the reason is recorded.")
@media_options
@editor_option
@click.pass_obj
def edit(
    session: Session, slug: str, update_id: str, kind: str, reason: str, note: str | None,
    text: str | None, sources: tuple[dict[str, Any], ...], status: str | None, stamp: str | None,
    key_event: bool | None, revision: int | None, override: str | None, editor: str,
    command_id: str, **media: Any,
) -> None:
    """Change an update; prints its new revision number.

    \b
    Example:
      storylog edit pokrovsk-live u3 --kind correction --reason "misread the report" \\
        --note "An earlier version said 80%; Röpcke put it at 85%." --text -
    """
    from storylog.app.commands import edit_update, update_as_seen

    app = session.writer()
    body = read_text(text)
    update = update_as_seen(app, slug, update_id)
    media_list = merged_media(update.media, media_of(**media))
    nothing_else = not (sources or status or stamp or key_event is not None or media_list)
    # The edit is based on the revision the editor saw, even if $EDITOR stays open a while.
    revision = revision if revision is not None else update.revision
    if body is None and nothing_else:
        body = text_from_editor(update.body, "new text")
    revision = edit_update(
        app, slug, update_id, kind=kind, reason=reason, note=note, body=body,
        sources=list(sources) or None, status=status,
        stamp=stamp, key_event=key_event, media=media_list, base_revision=revision,
        override=override, editor=editor, command_id=command_id,
    )
    warn_if_ambiguous(app, slug, stamp)
    click.echo(revision)


@click.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--reason", required=True, help="Why (internal).")
@click.option("--note", required=True, help="The public notice readers see.")
@click.option("--revision", type=int, help="The revision you based this on (default: current).")
@editor_option
@click.pass_obj
def retract(
    session: Session, slug: str, update_id: str, reason: str, note: str,
    revision: int | None, editor: str, command_id: str,
) -> None:
    """Withdraw an update: it stays in the log and in history, marked retracted.

    \b
    Example:
      storylog retract pokrovsk-live u7 --reason "video is from 2023" \\
        --note "This update has been withdrawn: the video was older than reported."
    """
    from storylog.app.commands import retract_update

    click.echo(
        retract_update(
            session.writer(), slug, update_id, reason=reason, note=note,
            base_revision=revision, editor=editor, command_id=command_id,
        )
    )


@click.command()
@click.argument("slug")
@click.option("--headline", help="The new headline.")
@click.option("--standfirst", help="The new standfirst.")
@click.option("--kind", type=CHANGE_KIND, default="update", show_default=True)
@click.option("--reason", required=True, help="Why (internal).")
@click.option("--note", help="Public note (required for clarification and correction).")
@editor_option
@click.pass_obj
def retitle(
    session: Session, slug: str, headline: str | None, standfirst: str | None, kind: str,
    reason: str, note: str | None, editor: str, command_id: str,
) -> None:
    """Change a story's headline or standfirst.

    \b
    Example:
      storylog retitle pokrovsk-live --headline "Pokrovsk falls" --reason "new facts"
    """
    from storylog.app.commands import change_details
    from storylog.domain.payloads import StoryDetailsChangedPayload
    from storylog.domain.values import ChangeKind

    payload = StoryDetailsChangedPayload(
        headline=headline, standfirst=standfirst, kind=ChangeKind(kind), reason=reason,
        note=note,
    )
    change_details(session.writer(), slug, payload, editor=editor, command_id=command_id)
    say(f"changed {slug}")


@click.command()
@click.argument("slug")
@click.option("--note", help="A PUBLIC note on this version: readers see it in the change "
              "history and the feed. Keep internal reasons out of it.")
@click.option("--position", "base_position", type=int,
              help="Publish only if the story is still at this position (see `log`).")
@editor_option
@click.pass_obj
def publish(
    session: Session, slug: str, note: str | None, base_position: int | None,
    editor: str, command_id: str,
) -> None:
    """Publish the story as it stands; prints the new version number.

    \b
    Example:
      storylog publish pokrovsk-live --note "Morning update"
    """
    from storylog.app.commands import publish as publish_story

    version = publish_story(
        session.writer(), slug, editor=editor, note=note, base_position=base_position,
        command_id=command_id,
    )
    click.echo(version)


@click.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--revision", type=int, required=True, help="The revision reviewed.")
@click.option("--note", help="An internal note on the review.")
@editor_option
@click.pass_obj
def review(
    session: Session, slug: str, update_id: str, revision: int, note: str | None,
    editor: str, command_id: str,
) -> None:
    """Record that the standards desk reviewed a change (sign-off).

    \b
    Example:
      storylog review pokrovsk-live roepcke-85 --revision 2 --editor "Standards desk"
    """
    from storylog.app.commands import review as sign_off

    sign_off(session.writer(), slug, update_id, revision, note=note, editor=editor,
             command_id=command_id)
    say(f"reviewed {update_id} revision {revision}")


@click.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--grounds", required=True,
              type=TAKEDOWN_GROUNDS,
              help="General grounds, shown publicly. source-safety destroys the content.")
@click.option("--reason", required=True, help="Why (internal).")
@click.option("--yes", is_flag=True, help="Do not ask before destroying content.")
@editor_option
@click.pass_obj
def takedown(
    session: Session, slug: str, update_id: str, grounds: str, reason: str, yes: bool,
    editor: str, command_id: str,
) -> None:
    """Take an update down: its content leaves every public and ordinary view.

    The public history keeps a notice: that an update was removed, when, and on what
    general grounds. Legal takedowns stay readable to auditors (`show --audit`);
    source-safety takedowns destroy the content for good.

    \b
    Example:
      storylog takedown pokrovsk-live lemonde-officer --grounds source-safety \\
        --reason "the officer could be identified" --yes
    """
    from storylog.app.commands import takedown_update

    if grounds == "source-safety" and not yes:
        click.confirm(f"Destroy the content of {safe_text(update_id)} for good?", abort=True,
                      err=True)
    erased = takedown_update(session.writer(), slug, update_id, grounds=grounds,
                             reason=reason, editor=editor, command_id=command_id)
    say(f"took down {update_id}" + ("; its content is destroyed" if erased else ""))
    say(f"warning: sites and files exported before now still hold {update_id}'s content; "
        f"export the site again (storylog export {slug} DIR) and replace every copy")


COMMANDS = (new, add, edit, retract, retitle, publish, review, takedown)
