"""The standards desk: the corrections report, one editor's contributions, and
decisions about sources (merging two names that are one source)."""

from __future__ import annotations

import click

from storylog.cli.options import EnumChoice, GlobalOptionsGroup, editor_option, json_option
from storylog.cli.output import Document, chosen, emit, say
from storylog.cli.session import Session

CORRECTION_KINDS = EnumChoice("storylog.domain.values:ChangeKind", ("retraction", "takedown"))


@click.group(cls=GlobalOptionsGroup)
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
    from storylog.projections.identities import confidential_keys
    from storylog.projections.queries import Views
    from storylog.projections.timeline import resolve_source

    app = session.writer()
    views = Views(app)
    first, second = resolve_source(views, name), resolve_source(views, into)
    merge_sources(app, first["name"], second["name"], reason=reason, editor=editor,
                  command_id=command_id, confidential_merge=confidential_merge,
                  confidential=confidential_keys(views.store))
    say(f"merged {first['name']} into {second['name']}")


@click.command()
@click.option("--story", "slug", help="Only this story.")
@click.option("--since", metavar="TIME", help="Changes recorded at or after TIME.")
@click.option("--until", metavar="TIME", help="Changes recorded at or before TIME.")
@click.option("--editor", "by", metavar="NAME", help="Only this editor's changes.")
@click.option("--kind", type=CORRECTION_KINDS)
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

    result = audit(session.views(), Filters(slug, since, until, by, kind, stealth, unreviewed))
    emit(result, chosen("text", as_json, as_csv),
         {"text": corrections_text, "csv": Document(corrections_csv)})


@click.command("editor")
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
    from storylog.render.corrections import contributions_summary, contributions_text

    result = contributions(session.views(), name)
    emit(result, chosen("text", as_json), {"text": contributions_text})
    if not as_json:
        say(contributions_summary(result))


COMMANDS = (source, corrections, editor_contributions)
