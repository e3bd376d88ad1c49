"""What the record says: a story at any version or moment, what changed between
versions, its audit trail, a source's timeline, the sources and stories there are.
Every command asks the read side and hands the answer to `emit` with its renderers."""

from __future__ import annotations

from functools import partial

import click

from storylog.cli.options import format_option, json_option
from storylog.cli.output import Document, chosen, color_wanted, emit
from storylog.cli.session import Session

READ_FORMATS = ("text", "markdown", "json")

@click.command()
@click.argument("slug")
@click.option("--version", "version", type=int, help="What readers saw in published version N.")
@click.option("--at", "at", metavar="TIME",
              help="What the page showed at TIME (the last version published before it).")
@click.option("--known-at", metavar="TIME",
              help="Everything recorded by TIME, published or not.")
@click.option("--audit", is_flag=True,
              help="Auditors: also show what a legal takedown removed.")
@format_option(*READ_FORMATS)
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
    emit(view, chosen(fmt, as_json),
         {"text": partial(to_text, color=color_wanted()), "markdown": to_markdown})


@click.command()
@click.argument("slug")
@click.argument("version_a", type=int, required=False)
@click.argument("version_b", type=int, required=False)
@format_option(*READ_FORMATS, "patch",
               help="patch: a unified diff of the Markdown that GNU patch applies.")
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
    from storylog.render.story import to_markdown

    views = session.views()
    a, b = resolve_versions(views, slug, version_a, version_b)
    fmt = fmt if fmt == "patch" else chosen(fmt, as_json)  # a patch is asked for by name
    result = unified_patch(views, slug, a, b, to_markdown) if fmt == "patch" else \
        version_diff(views, slug, a, b)
    emit(result, fmt, {"text": partial(diff_text, color=color_wanted()),
                       "markdown": diff_markdown, "patch": Document(str)})


@click.command()
@click.argument("sources_", metavar="SOURCE...", nargs=-1, required=True)
@click.option("--story", "slug", help="Only this story.")
@format_option(*READ_FORMATS)
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
    emit(result, chosen(fmt, as_json),
         {"text": partial(timeline_text, color=color_wanted()), "markdown": timeline_markdown})


@click.command()
@json_option
@click.pass_obj
def sources(session: Session, as_json: bool) -> None:
    """List every cited source with its kind, aliases and how often it is cited.

    \b
    Example:
      storylog sources --json
    """
    from storylog.projections.timeline import source_list
    from storylog.render.listing import sources_text

    emit(source_list(session.views()), chosen("text", as_json), {"text": sources_text})


@click.command()
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
    emit(entries, chosen("text", as_json), {"text": partial(audit_text, color=color_wanted())})


@click.command()
@json_option
@click.pass_obj
def stories(session: Session, as_json: bool) -> None:
    """List the stories in the database.

    \b
    Example:
      storylog stories --json
    """
    from storylog.render.listing import stories_text

    emit(session.views().summaries(), chosen("text", as_json), {"text": stories_text})


COMMANDS = (show, diff, timeline, sources, log, stories)
