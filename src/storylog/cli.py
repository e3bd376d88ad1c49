"""The `storylog` command line: parse, call the application, render. Nothing else.

Exit codes: 0 ok, 1 refused input, 2 usage, 3 unknown story or update,
4 conflict, 5 verification failed, 6 database unavailable, 70 internal error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storylog.cli_support import (
    Session,
    color_wanted,
    echo_json,
    parse_source,
    read_text,
    run,
    say,
    stop_on_signals,
    text_from_editor,
)
from storylog.render.terminal import counted, safe_data, safe_text

EPILOG = """\b
Exit codes: 0 ok, 1 refused input (nothing written), 2 usage,
3 unknown story or update, 4 conflict (someone changed it first),
5 verification failed, 6 database unavailable, 70 internal error (a bug).
"""

STATUSES = ["unverified", "verified", "disputed", "denied", "false"]
KINDS = ["copy-edit", "update", "clarification", "correction", "editors-note"]


def _global_after_command(ctx: click.Context, param: click.Parameter,
                          value: str | None) -> None:
    """``storylog show s --db x.db`` means the same as ``storylog --db x.db show s``
    (and so for ``--keys``)."""
    if value is None or param.name is None:
        return
    root = ctx.find_root()
    given = root.get_parameter_source(param.name) is click.core.ParameterSource.COMMANDLINE
    session = ctx.find_object(Session)
    assert session is not None
    now = getattr(session, param.name)
    if given and now != value:
        raise click.UsageError(f"--{param.name} is given twice ({now} and {value}); give it "
                               "once")
    setattr(session, param.name, value)


class GlobalOptionsGroup(click.Group):
    """A group whose global options (``--db``, ``--keys``) are accepted after any
    subcommand too."""

    group_class = type  # subgroups are of this class as well

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if not isinstance(cmd, click.Group):
            for option in ("db", "keys"):
                if not any(p.name == option for p in cmd.params):
                    cmd.params.append(click.Option(
                        [f"--{option}"], metavar="DB", expose_value=False,
                        callback=_global_after_command, hidden=True,
                        help="Also accepted before the command."))
        super().add_command(cmd, name)


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


def _checked(check: Any) -> Any:
    """An option callback: a value the domain refuses is refused input (exit 1)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
        from storylog.errors import RefusedInput

        try:
            return str(check(value)) if value else value
        except ValueError as error:
            raise RefusedInput(str(error)) from None

    return callback


def _editor_name(value: str) -> str:
    from storylog.domain.values import editor_name

    return editor_name(value)


def _command_id(value: str) -> str:
    from storylog.domain.values import command_id

    return command_id(value)


def editor_option(f: Any) -> Any:
    f = click.option(
        "--command-id", default="", metavar="ID", callback=_checked(_command_id),
        help="Recorded on the event; lets a re-run be recognised (letters, digits, . _ : @ / "
             "+ = -).",
    )(f)
    return click.option(
        "--editor", envvar="STORYLOG_EDITOR", default="", metavar="NAME",
        callback=_checked(_editor_name),
        help="Who makes the change (required; one line, no control characters). "
             "Env: STORYLOG_EDITOR.",
    )(f)


def json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(f)


def media_options(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--picture", metavar="CAPTION", help="A picture's caption."),
            click.option("--picture-url", metavar="URL", help="The picture's http(s) address."),
            click.option("--credit", metavar="TEXT", help="The picture's credit."),
            click.option("--link", metavar="URL", help="A link or map, http(s) only."),
            click.option("--link-label", metavar="TEXT", help="The link's label."),
            click.option("--link-caption", metavar="TEXT",
                         help="What the link shows, said in a sentence (a map's caption)."),
        ]
    ):
        f = option(f)
    return f


def media_of(
    picture: str | None, picture_url: str | None, credit: str | None,
    link: str | None, link_label: str | None, link_caption: str | None,
) -> list[dict[str, Any]] | None:
    media: list[dict[str, Any]] = []
    if picture or picture_url:
        media.append({"type": "picture", "caption": picture, "url": picture_url, "credit": credit})
    if link:
        media.append({"type": "link", "url": link, "label": link_label, "caption": link_caption})
    return media or None


def warn_if_ambiguous(app: Any, slug: str, stamp: str | None) -> None:
    """A stamp the clocks passed twice (autumn) is kept as written; say which it means."""
    if stamp:
        from storylog.domain.values import parse_stamp, stamp_problem

        problem = stamp_problem(parse_stamp(stamp), app.story(slug).tz)
        if problem and problem[0] == "ambiguous":
            say(f"warning: {problem[1]}")


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


@cli.command()
@click.pass_obj
def init(session: Session) -> None:
    """Create the database (SQLite file or PostgreSQL tables) if it is missing.

    \b
    Example:
      storylog --db newsroom.db init
    """
    session.writer(create=True)
    click.echo(session.db)
    say(f"storylog database ready at {session.db}")


@cli.command()
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


@cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.File("rb"))
@click.option("--year", type=int, help="The year of stamps that carry none (never guessed).")
@click.option("--tz", help="The page's time zone (default: the story's; UTC for a new story).")
@click.option("--headline", help="Headline of a new story (default: the page's, or the slug).")
@click.option("--gazetteer", type=click.Path(exists=True, dir_okay=False),
              help="A file of extra source names: 'Name | kind | alias; alias | https://link'.")
@click.option("--day-first/--month-first", default=None,
              help="How to read numeric dates like 03/04 (otherwise they are refused).")
@click.option("--kind", type=click.Choice(KINDS), default="update", show_default=True,
              help="Kind of change for updates that changed on the page.")
@click.option("--note", help="Public note for those changes (needed for correction etc.).")
@click.option("--dry-run", is_flag=True, help="Print the events that would be written; write none.")
@json_option
@editor_option
@click.pass_obj
def import_page(
    session: Session, slug: str, file: Any, year: int | None, tz: str | None,
    headline: str | None, gazetteer: str | None, day_first: bool | None, kind: str,
    note: str | None, dry_run: bool, as_json: bool, editor: str, command_id: str,
) -> None:
    """Import a live page's text (FILE, or - for stdin) as a story, or a later copy as edits.

    New updates are added, changed ones edited, vanished ones retracted with a note;
    importing the same text twice changes nothing.

    \b
    Example:
      storylog import pokrovsk-live page.txt --year 2025 --tz Europe/Kyiv
      curl -s https://example.org/live.txt | storylog import pokrovsk-live - --dry-run
    """
    from storylog.cli_import import run_import

    run_import(session, slug, file, year=year, tz=tz, headline=headline, gazetteer=gazetteer,
               day_first=day_first, kind=kind, note=note, dry_run=dry_run, as_json=as_json,
               editor=editor, command_id=command_id)


@cli.command()
@click.argument("slug")
@click.option("--id", "update_id", help="A stable id for the update (default: generated).")
@click.option("--stamp", help='The stamp readers see, "YYYY-MM-DD HH:MM" in the story\'s zone '
              "(default: now).")
@click.option("--source", "sources", multiple=True, metavar="SPEC",
              help="NAME[,kind=K][,via=NAME][,url=URL][,confidential]; repeat for each.")
@click.option("--status", type=click.Choice(STATUSES), default="unverified", show_default=True)
@click.option("--key-event", is_flag=True, help="Mark the update a key event.")
@click.option("--text", help="The update's text; - reads standard input; omit to use $EDITOR.")
@media_options
@editor_option
@click.pass_obj
def add(
    session: Session, slug: str, update_id: str | None, stamp: str | None,
    sources: tuple[str, ...], status: str, key_event: bool, text: str | None,
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
        sources=[parse_source(s) for s in sources], status=status, key_event=key_event,
        media=media_of(**media), editor=editor, command_id=command_id,
    )
    warn_if_ambiguous(app, slug, stamp)
    click.echo(new_id)


@cli.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--kind", type=click.Choice(KINDS), required=True, help="The kind of change.")
@click.option("--reason", required=True, help="Why (internal: never shown to readers).")
@click.option("--note", help="Public note; required for clarification, correction, editors-note.")
@click.option("--text", help="The new text; - reads standard input. With no change given, "
              "$EDITOR opens on the current text.")
@click.option("--source", "sources", multiple=True, metavar="SPEC",
              help="Replace the cited sources (see `add --help`).")
@click.option("--status", type=click.Choice(STATUSES))
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
    text: str | None, sources: tuple[str, ...], status: str | None, stamp: str | None,
    key_event: bool | None, revision: int | None, override: str | None, editor: str,
    command_id: str, **media: Any,
) -> None:
    """Change an update; prints its new revision number.

    \b
    Example:
      storylog edit pokrovsk-live u3 --kind correction --reason "misread the report" \\
        --note "An earlier version said 80%; Röpcke put it at 85%." --text -
    """
    from storylog.app.commands import edit_update

    app = session.writer()
    body = read_text(text)
    update = app.story(slug).update(update_id)
    media_now = [m.model_dump() for m in update.content.media] if update.content else []
    media_list = merged_media(media_now, media_of(**media))
    nothing_else = not (sources or status or stamp or key_event is not None or media_list)
    # The edit is based on the revision the editor saw, even if $EDITOR stays open a while.
    revision = revision if revision is not None else update.revision
    if body is None and nothing_else:
        current = update.content
        body = text_from_editor(current.body if current else "", "new text")
    revision = edit_update(
        app, slug, update_id, kind=kind, reason=reason, note=note, body=body,
        sources=[parse_source(s) for s in sources] if sources else None, status=status,
        stamp=stamp, key_event=key_event, media=media_list, base_revision=revision,
        override=override, editor=editor, command_id=command_id,
    )
    warn_if_ambiguous(app, slug, stamp)
    click.echo(revision)


@cli.command()
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


@cli.command()
@click.argument("slug")
@click.option("--headline", help="The new headline.")
@click.option("--standfirst", help="The new standfirst.")
@click.option("--kind", type=click.Choice(KINDS), default="update", show_default=True)
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


@cli.command()
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


def format_option(f: Any) -> Any:
    f = json_option(f)
    return click.option(
        "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
        show_default=True, help="Output format.",
    )(f)


@cli.command()
@click.argument("slug")
@click.option("--version", "version", type=int, help="What readers saw in published version N.")
@click.option("--at", "at", metavar="TIME",
              help="What the page showed at TIME (the last version published before it).")
@click.option("--known-at", metavar="TIME",
              help="Everything recorded by TIME, published or not.")
@click.option("--audit", is_flag=True,
              help="Auditors: also show what a legal takedown removed.")
@format_option
@click.pass_obj
def show(
    session: Session, slug: str, version: int | None, at: str | None, known_at: str | None,
    audit: bool, fmt: str, as_json: bool,
) -> None:
    """Show a story: the working copy, a published version, or the story at a moment.

    TIME is "YYYY-MM-DD HH:MM" in the story's zone, or ISO 8601 with a zone.

    \b
    Example:
      storylog show pokrovsk-live --version 2 --format markdown
      storylog show pokrovsk-live --at "2025-11-05 09:00"
    """
    from storylog.render.story import to_markdown, to_text

    if sum(x is not None for x in (version, at, known_at)) > 1:
        raise click.UsageError("give only one of --version, --at and --known-at")
    views = session.views()
    position = None
    if at is not None:
        version = views.version_at_time(slug, at)
    elif known_at is not None:
        position = views.position_known_at(slug, known_at)
    view = views.view(slug, version=version, position=position, audit=audit)
    if as_json or fmt == "json":
        echo_json(view)
    elif fmt == "markdown":
        click.echo(to_markdown(safe_data(view)), nl=False)
    else:
        click.echo(to_text(safe_data(view), color=color_wanted()), nl=False)


@cli.command()
@click.argument("slug")
@click.argument("version_a", type=int, required=False)
@click.argument("version_b", type=int, required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "patch"]),
              default="text", show_default=True,
              help="patch: a unified diff of the Markdown that GNU patch applies.")
@json_option
@click.pass_obj
def diff(
    session: Session, slug: str, version_a: int | None, version_b: int | None, fmt: str,
    as_json: bool,
) -> None:
    """What changed between two published versions (default: the last two; 0 = empty).

    \b
    Example:
      storylog diff pokrovsk-live 2 3
      storylog diff pokrovsk-live 1 4 --format patch > v1-v4.patch
    """
    from storylog.projections.diff import resolve_versions, unified_patch, version_diff
    from storylog.render.diff import diff_markdown, diff_text

    views = session.views()
    a, b = resolve_versions(views, slug, version_a, version_b)
    if fmt == "patch":
        click.echo(safe_text(unified_patch(views, slug, a, b)), nl=False)
        return
    result = version_diff(views, slug, a, b)
    if as_json or fmt == "json":
        echo_json(result)
    elif fmt == "markdown":
        click.echo(diff_markdown(safe_data(result)), nl=False)
    else:
        click.echo(diff_text(safe_data(result), color=color_wanted()), nl=False)


@cli.command()
@click.argument("sources_", metavar="SOURCE...", nargs=-1, required=True)
@click.option("--story", "slug", help="Only this story.")
@format_option
@click.pass_obj
def timeline(
    session: Session, sources_: tuple[str, ...], slug: str | None, fmt: str, as_json: bool
) -> None:
    """Every update citing a source, in stamp order; several sources side by side.

    \b
    Example:
      storylog timeline "General Staff" Bild "Deep State" --story pokrovsk-live
    """
    from storylog.projections.timeline import timeline as source_timeline
    from storylog.render.timeline import timeline_markdown, timeline_text

    result = source_timeline(session.views(), list(sources_), slug)
    if as_json or fmt == "json":
        echo_json(result)
    elif fmt == "markdown":
        click.echo(timeline_markdown(safe_data(result)), nl=False)
    else:
        click.echo(timeline_text(safe_data(result), color=color_wanted()), nl=False)


@cli.command()
@json_option
@click.pass_obj
def sources(session: Session, as_json: bool) -> None:
    """List every cited source with its kind, aliases and how often it is cited.

    \b
    Example:
      storylog sources --json
    """
    from storylog.projections.timeline import source_list

    listed = source_list(session.views())
    if as_json:
        echo_json(listed)
        return
    for s in safe_data(listed):
        aliases = f"\taka {', '.join(s['aliases'])}" if s["aliases"] else ""
        click.echo(f"{s['name']}\t{s['kind']}\t{counted(s['updates'], 'update')}\t"
                   f"{counted(s['stories'], 'story', 'stories')}{aliases}")


@cli.group()
def source() -> None:
    """Decisions about sources (recorded as events).

    \b
    Example:
      storylog source merge "J. Ropcke" "Julian Röpcke" --reason "same analyst"
    """


@source.command("merge")
@click.argument("name")
@click.argument("into")
@click.option("--reason", required=True, help="Why they are one source (kept in the log).")
@click.option("--confidential-merge", is_flag=True,
              help="Join them although one is marked confidential (in any story): the "
                   "decision is recorded in the merge; public pages still keep them apart "
                   "and never show the confidential name.")
@editor_option
@click.pass_obj
def source_merge(
    session: Session, name: str, into: str, reason: str, confidential_merge: bool, editor: str,
    command_id: str,
) -> None:
    """Join source NAME into source INTO: they turned out to be one.

    A merge that would join a confidential source to another name is refused
    unless --confidential-merge records that decision.

    \b
    Example:
      storylog source merge "J. Ropcke" "Julian Röpcke" --reason "same analyst"
    """
    from storylog.app.commands import merge_sources
    from storylog.projections.queries import Views
    from storylog.projections.timeline import confidential_keys, resolve_source

    app = session.writer()
    views = Views(app)
    first, second = resolve_source(views, name), resolve_source(views, into)
    merge_sources(app, first["name"], second["name"], reason=reason, editor=editor,
                  command_id=command_id, confidential_merge=confidential_merge,
                  confidential=confidential_keys(views))
    say(f"merged {first['name']} into {second['name']}")


@cli.command()
@click.pass_obj
def rebuild(session: Session) -> None:
    """Drop the read models and rebuild them from the events, with a progress bar.

    After a failed `verify`, copy the database aside first: the read models may be the
    only sign left of deleted events, and a rebuild replaces them.

    \b
    Example:
      storylog rebuild
    """
    app = session.app()
    total = app.recorder.max_notification_id() or 0
    with click.progressbar(length=total, label="rebuilding read models", file=sys.stderr,
                           show_pos=True) as bar:
        applied = app.rebuild(progress=bar.update)
    say(f"rebuilt from {counted(applied, 'event')}")


@cli.command()
@click.option("--follow", is_flag=True, help="Keep following new events until interrupted.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between polls on SQLite (PostgreSQL is notified).")
@click.pass_obj
def project(session: Session, follow: bool, interval: float) -> None:
    """Bring the read models up to date; with --follow, keep them up to date.

    On PostgreSQL, --follow uses eventsourcing's ProjectionRunner (LISTEN/NOTIFY),
    so the read side can run on another machine than the editors' writes.

    \b
    Example:
      storylog --db postgresql://reader@db/news project --follow
    """
    from storylog.projections.follow import follow as follow_log

    app = session.app()
    say(f"applied {counted(app.catch_up(), 'event')}")
    if follow:
        stop_on_signals()
        follow_log(app, interval)


@cli.command()
@click.argument("slug")
@click.option("--update", "update_id", help="Only the events of this update.")
@click.option("-p", "--patch", is_flag=True,
              help="Show what each add and edit changed, word by word (like git log -p).")
@json_option
@click.pass_obj
def log(session: Session, slug: str, update_id: str | None, patch: bool, as_json: bool) -> None:
    """The audit trail: every event of a story, who, when, what kind, why.

    \b
    Example:
      storylog log pokrovsk-live --update u3 --patch
    """
    from storylog.render.audit import audit_text

    entries = session.views().log(slug, update_id, patch=patch)
    if as_json:
        echo_json(entries)
    else:
        click.echo(audit_text(safe_data(entries), color=color_wanted()), nl=False)


@cli.command()
@json_option
@click.pass_obj
def stories(session: Session, as_json: bool) -> None:
    """List the stories in the database.

    \b
    Example:
      storylog stories --json
    """

    summaries = session.views().summaries()
    if as_json:
        echo_json(summaries)
        return
    for s in safe_data(summaries):
        click.echo(
            f"{s['slug']}\t{counted(s['updates'], 'update')}\t{s['published_versions']} published\t"
            f"{s['headline']}"
        )


@cli.command()
@click.option("--story", "slug", help="Only this story.")
@click.option("--since", metavar="TIME", help="Changes recorded at or after TIME.")
@click.option("--until", metavar="TIME", help="Changes recorded at or before TIME.")
@click.option("--editor", "by", metavar="NAME", help="Only this editor's changes.")
@click.option("--kind", type=click.Choice([*KINDS, "retraction", "takedown"]))
@click.option("--stealth", is_flag=True, help="Only copy edits that changed facts.")
@click.option("--unreviewed", is_flag=True, help="Only changes waiting for sign-off.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@json_option
@click.pass_obj
def corrections(
    session: Session, slug: str | None, since: str | None, until: str | None,
    by: str | None, kind: str | None, stealth: bool, unreviewed: bool, as_csv: bool,
    as_json: bool,
) -> None:
    """Every change made to an update after it was first published, across stories.

    Kind, reason, public note, who, when, hours after first publication, whether
    the public was told in the next version, stealth flags, and sign-off.

    \b
    Example:
      storylog corrections --since 2025-11-01 --kind correction --csv
    """
    from storylog.projections.corrections import Filters
    from storylog.projections.corrections import corrections as audit
    from storylog.render.corrections import corrections_csv, corrections_text

    result = audit(session.views(), Filters(slug, since, until, by, kind, stealth,
                                                  unreviewed))
    if as_json:
        echo_json(result)
    elif as_csv:
        click.echo(safe_text(corrections_csv(result)), nl=False)
    else:
        click.echo(corrections_text(safe_data(result)), nl=False)


@cli.command("editor")
@click.argument("name")
@json_option
@click.pass_obj
def editor_contributions(session: Session, name: str, as_json: bool) -> None:
    """One editor's contributions across all stories, newest first.

    \b
    Example:
      storylog editor "Ines Duarte"
    """
    from storylog.projections.corrections import contributions

    result = contributions(session.views(), name)
    if as_json:
        echo_json(result)
        return
    for e in safe_data(result["contributions"]):
        detail = " ".join(str(x) for x in (e["update"], e["kind"]) if x)
        flags = f"  STEALTH: {','.join(e['stealth_flags'])}" if e["stealth_flags"] else ""
        click.echo(f"{e['at'][:19]}\t{e['story']}#{e['position']}\t{e['event']} "
                   f"{detail}{flags}")
    say(f"{counted(len(result['contributions']), 'contribution')} by {name}")


@cli.command()
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


@cli.command()
@click.argument("slug")
@click.argument("update_id")
@click.option("--grounds", required=True,
              type=click.Choice(["legal", "source-safety", "court-order", "privacy", "other"]),
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


@cli.command()
@click.argument("slug", required=False)
@click.option("--checkpoints", type=click.Path(dir_okay=False, path_type=Path),
              envvar="STORYLOG_CHECKPOINTS", help="A signed checkpoint log to hold the store to.")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="STORYLOG_PUBKEY", help="The newsroom's public key (with --checkpoints).")
@json_option
@click.pass_obj
def verify(
    session: Session, slug: str | None, checkpoints: Path | None, pubkey: Path | None,
    as_json: bool,
) -> None:
    """Recompute every hash chain; name the first modified, deleted, inserted or moved event.

    Without SLUG, also check the copies outside the chains: every snapshot against a
    replay of its events, and the read models against ones rebuilt from the events.
    With --checkpoints and --pubkey, also prove that the store still holds, unaltered,
    everything each signed checkpoint covered (truncation, deletion, reordering and a
    rewrite with recomputed hashes are all caught).

    \b
    Example:
      storylog verify pokrovsk-live
      storylog verify --checkpoints checkpoints.ndjson --pubkey newsroom.key.pub
    """
    from storylog.app.service import Archive
    from storylog.errors import VerificationFailed
    from storylog.store.verify import check_all

    archive = Archive(session.app())
    reports = list(check_all(archive.chains(slug)))
    problems = [r.problem for r in reports if r.problem]
    if not problems and slug is None:
        problems += archive.derived_problems()
    if checkpoints is not None:
        problems += _checkpoint_problems(archive, checkpoints, pubkey)
    if as_json:
        echo_json({"chains": [{k: v for k, v in vars(r).items() if k != "hashes"}
                              | {"ok": r.ok} for r in reports],
                   "problems": problems})
    else:
        for r in reports:
            if r.ok:
                click.echo(safe_text(f"ok\t{r.story}\t{counted(r.events, 'event')}\t"
                                     f"head {r.head}"))
    if problems:
        for problem in problems[1:]:
            say(f"also: {problem}")
        raise VerificationFailed(problems[0] or "verification failed")
    say(f"{counted(len(reports), 'chain')} verified"
        + (f" against {checkpoints}" if checkpoints is not None else ""))


def _checkpoint_problems(archive: Any, log: Path, pubkey: Path | None) -> list[str]:
    from storylog.store.checkpoints import load_public, read_log

    if pubkey is None:
        raise click.UsageError("--checkpoints needs --pubkey (the newsroom's public key)")
    lines = read_log(log)
    problems: list[str] = archive.check_checkpoints(lines, load_public(pubkey), log)
    if not lines and not problems:
        raise click.UsageError(f"{log} holds no checkpoint")
    return problems


@cli.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def keygen(session: Session, path: Path) -> None:
    """Make an Ed25519 signing key for checkpoints: PATH (private) and PATH.pub.

    Keep the private key outside the database and its backups; publish the .pub.

    \b
    Example:
      storylog keygen ~/.config/storylog/newsroom.key
    """
    from storylog.store.checkpoints import keygen as make_key

    click.echo(make_key(path))
    say(f"private key in {path} (keep it secret and away from the database)")


@cli.command()
@click.option("--key", "key_path", envvar="STORYLOG_SIGNING_KEY", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The private key (from `storylog keygen`). Env: STORYLOG_SIGNING_KEY.")
@click.option("--log", "log_path", envvar="STORYLOG_CHECKPOINTS", default="checkpoints.ndjson",
              show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The checkpoint log the newsroom publishes. Env: STORYLOG_CHECKPOINTS.")
@json_option
@click.pass_obj
def checkpoint(session: Session, key_path: Path, log_path: Path, as_json: bool) -> None:
    """Sign the heads of every story's chain and append them to the checkpoint log.

    Later publications carry the newest checkpoint, so readers can keep it.

    \b
    Example:
      storylog checkpoint --key newsroom.key --log public/checkpoints.ndjson
    """
    from storylog.app.service import Archive
    from storylog.store.checkpoints import load_private

    line = Archive(session.writer()).checkpoint(load_private(key_path), log_path)
    body = line["checkpoint"]
    if as_json:
        echo_json(line)
    else:
        click.echo(body["root"])
    say(f"checkpoint {body['seq']} signs {counted(len(body['chains']), 'chain')}; "
        f"appended to {log_path}")


@cli.command()
@click.argument("slug", required=False)
@click.option("--all", "everything", is_flag=True,
              help="Every story, the source registry and the store's checkpoint records.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output. It holds update keys and "
              "plaintext, so it is created readable by you only (mode 600).")
@click.option("--redacted", is_flag=True,
              help="For third parties: no keys, no sealed or taken-down content, no "
              "confidential sources, editors, command ids or internal reasons. It cannot "
              "be verified or loaded (`load` refuses it, saying what it lacks).")
@click.option("--audit", is_flag=True, hidden=True)  # exact is the default now; old scripts
@click.pass_obj
def events(session: Session, slug: str | None, everything: bool, output: str | None,
           redacted: bool, audit: bool) -> None:
    """Write a story's events, or the whole store's, as NDJSON: an exact copy to load.

    One event a line, as stored, with every update's key (a legal hold's too; an erased
    update has none), so `storylog load` into a fresh store gives back the same chains,
    views, verification and sources. With --all: every story and the source registry in
    the order they were recorded, then the checkpoints this store signed. The file
    holds keys and text in clear: keep it private. With -o it is created with mode
    600; standard output goes where you send it.

    \b
    Example:
      storylog events --all -o newsroom.ndjson
      storylog events pokrovsk-live --redacted > pokrovsk-for-partners.ndjson
    """
    from contextlib import nullcontext

    from storylog.app.service import Archive
    from storylog.store.transfer import private_file

    if not slug and not everything:
        raise click.UsageError("give a SLUG or --all")
    lines = Archive(session.app()).export(None if everything else slug, redacted=redacted)
    written: dict[str, int] = {"event": 0, "checkpoint": 0, "header": 0}
    with private_file(output) if output else nullcontext(sys.stdout.buffer) as out:
        for what, line in lines:
            out.write(line)
            written[what] += 1
        out.flush()
    if output:
        checkpoints = f" and {counted(written['checkpoint'], 'checkpoint record')}" \
            if written["checkpoint"] else ""
        kind = "a redacted export (not loadable)" if redacted else "an exact export"
        private = " (mode 600: it holds update keys and plaintext; keep it private)" \
            if not redacted and Path(output).is_file() else ""
        say(f"wrote {counted(written['event'], 'event')}{checkpoints} to {output}, "
            f"{kind}{private}")


@cli.command()
@click.argument("file", type=click.File("rb"))
@json_option
@click.pass_obj
def load(session: Session, file: Any, as_json: bool) -> None:
    """Load events written by `storylog events` into this database (- for stdin).

    The whole file is checked in memory first: every chain must verify, every record
    must be one a live command could have written (validated for its class), every
    story must replay under the commands' rules, and every checkpoint record must sign
    heads the file holds. Otherwise nothing is loaded and the refusal names the line.
    An export of every store loads only into a store without stories, source merges
    or checkpoints of the same; a redacted export is refused. What a file lacks (keys
    of updates that were not erased, from older exports) is said on stderr.

    \b
    Example:
      storylog --db postgresql://localhost/news load newsroom.ndjson
    """
    from storylog.app.service import Archive
    from storylog.store.transfer import read_export

    export = read_export(file)
    loaded = Archive(session.writer(create=True)).load(export.events, export.checkpoints)
    if as_json:
        echo_json(loaded)
    for story, count in loaded.items():
        say(f"loaded {story}: {counted(count, 'event')}")
    if export.checkpoints:
        say(f"loaded {counted(len(export.checkpoints), 'checkpoint record')} (the "
            "checkpoints the store signed)")
    for note in export.notes:
        say(note)


# -- backups that respect erasure: keys apart, backups, restore, the erasure report --


@cli.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def backup(session: Session, dest: Path, as_json: bool) -> None:
    """Back up the events, without any key, to a new file DEST (the store stays online).

    DEST holds the events, snapshots and signed checkpoints as of one moment, never a key
    nor the read models (which hold opened text): content erased later cannot be read
    from it once the key backups made before the erasure are destroyed. Back the keys
    up apart with `storylog backup-keys`; see docs/records.md.

    \b
    Example:
      storylog backup /backups/events-2025-11-12.storylog
    """
    from storylog.app.backup import backup_events

    done = backup_events(session.app(), dest)
    if as_json:
        echo_json(done)
    say(f"backed up {done['events']} events (no keys) to {dest}")


@cli.command("backup-keys")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--retention", "days", type=int, default=35, show_default=True, metavar="DAYS",
              help="How many days the newsroom keeps this key backup before destroying it.")
@json_option
@click.pass_obj
def backup_keys(session: Session, dest: Path, days: int, as_json: bool) -> None:
    """Back up the update keys to a new file DEST, to be destroyed after --retention days.

    The backup is recorded in the key store (where, when, which keys, until when), so
    that `storylog erasure-report` can say which backups still hold an erased key.
    Keep key backups apart from event backups.

    \b
    Example:
      storylog backup-keys /secure/keys-2025-11-12.storylog --retention 35
    """
    from storylog.app.backup import backup_keys as make

    record = make(session.app(), dest, days)
    if as_json:
        echo_json(record)
    say(f"backed up {record['keys']} keys to {dest} as key backup {record['backup_id']}; "
        f"destroy it by {record['expires_at'][:10]}")


@cli.command()
@click.argument("events_file", metavar="EVENTS_BACKUP",
                type=click.Path(dir_okay=False, path_type=Path))
@click.argument("keys_file", metavar="KEY_BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def restore(session: Session, events_file: Path, keys_file: Path, as_json: bool) -> None:
    """Restore an events backup and a key backup into a NEW store (--db, --keys), and verify.

    Refuses to write into a store that exists. Keys that the events say were erased
    after the key backup was made are not restored.

    \b
    Example:
      storylog --db restored.db --keys restored-keys.db restore events.storylog keys.storylog
    """
    from storylog.app.backup import restore as put_back

    done = put_back(events_file, keys_file, session.db, session.keys)
    if as_json:
        echo_json(done)
    say(f"restored {done['stories']} stories ({done['events']} events) into {done['db']}, "
        f"keys {done['keys']}; verified")


@cli.command("erasure-report")
@json_option
@click.pass_obj
def erasure_report(session: Session, as_json: bool) -> None:
    """List the key backups that still hold a key destroyed by a source-safety erasure.

    Each is named with where it was written, when it expires, and whether it has expired
    (then destroy it now). Nothing listed: no recorded key backup holds an erased key.

    \b
    Example:
      storylog erasure-report --json
    """
    from storylog.app.backup import erasure_report as report

    result = report(session.app())
    if as_json:
        echo_json(result)
        return
    for b in safe_data(result["backups"]):
        when = ("EXPIRED on " if b["expired"] else "expires ") + b["expires_at"][:10]
        click.echo(f"{b['backup_id']}\t{b['file']}\tmade {b['made_at'][:10]}\t{when}")
        for key in b["erased_keys"]:
            click.echo(f"  {key['story']} {key['update']}\terased {str(key['erased_at'])[:19]}")
    held, erased = len(result["backups"]), result["erased_keys"]
    say(f"{erased} erased key{'s' if erased != 1 else ''}; {held} key "
        f"{'backup still holds' if held == 1 else 'backups still hold'} one"
        + ("; destroy the expired ones now" if any(b["expired"] for b in result["backups"])
           else ""))


@cli.group()
def keys() -> None:
    """Where the update keys live (see --keys), and moving them out of the events.

    \b
    Example:
      storylog --keys keys.db keys where
    """


@keys.command("move")
@click.argument("dest", required=False, metavar="DEST")
@json_option
@click.pass_obj
def keys_move(session: Session, dest: str | None, as_json: bool) -> None:
    """Move the keys out of the events database into DEST (a SQLite file or a URL).

    Copies every key, checks that every sealed envelope opens with the copy, then
    deletes the keys from the events database, overwriting their bytes. Safe to run
    again after a crash. Afterwards give --keys DEST (or STORYLOG_KEYS) to every command.
    DEST defaults to --keys.

    \b
    Example:
      storylog --db newsroom.db keys move newsroom-keys.db
    """
    from storylog.app.backup import move_keys, refuse_unless_store

    target = dest or session.keys
    if not target:
        raise click.UsageError("give DEST, or --keys / STORYLOG_KEYS")
    refuse_unless_store(session.db)
    done = move_keys(session.db, target)
    if as_json:
        echo_json(done)
    say(f"the keys are in {done['to']}" + (" (already moved)" if done.get("already") else
        f": {done['keys']} keys moved, {done['envelopes_checked']} envelopes checked") +
        f"; give --keys {target} from now on")


@keys.command("where")
@json_option
@click.pass_obj
def keys_where(session: Session, as_json: bool) -> None:
    """Say where this store's keys live, how many there are, and how many key backups.

    \b
    Example:
      storylog keys where --json
    """
    from storylog.app.backup import where_keys

    found = where_keys(session.app())
    if as_json:
        echo_json(found)
        return
    click.echo(safe_text(f"{found['location']}\t{found['keys']} keys\t"
                         f"{found['backups']} key backups recorded"))


def _register_site_commands() -> None:
    """`export` and `serve` live in their own module (the public site, issue 6)."""
    try:
        from storylog.cli_site import export, serve
    except ImportError:  # the site module is not there yet
        return
    cli.add_command(export)
    cli.add_command(serve)


_register_site_commands()


def main() -> None:
    run(cli)


if __name__ == "__main__":
    main()
