"""`storylog export` and `storylog serve`: the public change history as a static site.

The site's libraries (Jinja2 and the read side) are imported inside the commands, so
that `storylog --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from storylog.cli.output import say
from storylog.cli.session import Session, stop_on_signals


def site_options(f: Any) -> Any:
    f = click.option("--checkpoint/--no-checkpoint", default=True, show_default=True,
                     help="Show the latest signed checkpoint in every page's footer.")(f)
    f = click.option("--publisher", metavar="NAME",
                     help="The newsroom's name, for the feed's author and JSON-LD.")(f)
    f = click.option("--base-url", metavar="URL",
                     help="The http(s) address the site will be served from (canonical "
                          "links, absolute addresses in the feed and JSON-LD).")(f)
    return click.option("--show-editors", is_flag=True,
                        help="Name who published each version and who withdrew an update "
                             "(editors are otherwise never shown).")(f)


def _options(show_editors: bool, base_url: str | None, publisher: str | None,
             checkpoint: bool) -> Any:
    from storylog.site.public_view import SiteOptions

    return SiteOptions(show_editors=show_editors, base_url=base_url, publisher=publisher,
                       checkpoint=checkpoint)


def log_options(f: Any) -> Any:
    f = click.option("--cosigned", type=click.Path(dir_okay=False, path_type=Path),
                     help="The latest checkpoint as a witness returned it, cosigned "
                          "(`storylog witness`): its cosignatures are kept and published.")(f)
    f = click.option("--origin", metavar="NAME",
                     help="The public log's name, e.g. news.example/live (default: the "
                          "--base-url without its scheme); fixed by the first export.")(f)
    return click.option("--key", "key_path", envvar="STORYLOG_SIGNING_KEY",
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="The newsroom's private key (`storylog keygen`): publish the "
                             "public log, signed, in .well-known/storylog/. "
                             "Env: STORYLOG_SIGNING_KEY.")(f)


@click.command()
@click.argument("slug", required=False)
@click.argument("outdir", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--all", "all_stories", is_flag=True,
              help="Every story with a published version, each in OUTDIR/SLUG/.")
@site_options
@log_options
@click.pass_obj
def export(
    session: Session, slug: str | None, outdir: Path | None, all_stories: bool,
    show_editors: bool, base_url: str | None, publisher: str | None, checkpoint: bool,
    key_path: Path | None, origin: str | None, cosigned: Path | None,
) -> None:
    """Write the public site of a published story to OUTDIR (replaced as a whole).

    The story page (latest published version), its change history, a page per
    published version and per version's changes, a page per cited source, an Atom
    feed. Nothing internal is written: no reasons, no editors (unless
    --show-editors), no confidential source, nothing taken down, nothing unpublished.
    The new site replaces OUTDIR in one step; unchanged pages keep their files.

    With --key, the public log goes with it (.well-known/storylog/): a public
    record of every published version, inclusion and consistency proofs, the
    checkpoint signed with the key, and a signed list of every file; every
    version page names its record, and readers check it all with
    `storylog verify-site` or the single-file verifier shipped in the site.

    \b
    Example:
      storylog export pokrovsk-live site/
      storylog export --all site/ --base-url https://news.example/live
      storylog export --all site/ --key newsroom.key --origin news.example/live
    """
    from storylog.site.pages import render_site, render_sites
    from storylog.site.write import write_site

    if all_stories:
        if outdir is None and slug is not None:  # `export --all OUTDIR`
            outdir = Path(slug)
            slug = None
        if slug is not None or outdir is None:
            raise click.UsageError("with --all, give only OUTDIR")
    elif slug is None or outdir is None:
        raise click.UsageError("give SLUG and OUTDIR, or --all and OUTDIR")
    options = _options(show_editors, base_url, publisher, checkpoint)
    if key_path is not None:
        from storylog.site.publiclog import site_files

        note = _read_text(cosigned) if cosigned is not None else None
        files, skipped, log = site_files(session.writer(), None if all_stories else slug,
                                         options, key_path, origin, note)
        for name in skipped:
            say(f"skipped {name}: no published version yet")
        report = write_site(files, outdir)
        say(f"exported to {outdir}: {report.summary()}; public log {log.origin}, "
            f"{log.size} records")
        return
    if origin is not None or cosigned is not None:
        raise click.UsageError("--origin and --cosigned go with --key")
    views = session.views()
    if all_stories:
        files, skipped = render_sites(views, None, options)
        for name in skipped:
            say(f"skipped {name}: no published version yet")
    else:
        assert slug is not None
        files = render_site(views, slug, options)
    report = write_site(files, outdir)
    say(f"exported to {outdir}: {report.summary()}")


def _read_text(path: Path) -> str:
    from storylog.errors import RefusedInput

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RefusedInput(f"cannot read {path}: {error}") from None


@click.command()
@click.argument("slug")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 (0: any free port).")
@site_options
@click.option("--key", "key_path", envvar="STORYLOG_SIGNING_KEY",
              type=click.Path(dir_okay=False, path_type=Path),
              help="Serve the public log too, signed with this key, as `export --key` "
                   "writes it. Env: STORYLOG_SIGNING_KEY.")
@click.option("--origin", metavar="NAME", help="The public log's name (see `export`).")
@click.pass_obj
def serve(
    session: Session, slug: str, port: int, show_editors: bool, base_url: str | None,
    publisher: str | None, checkpoint: bool, key_path: Path | None, origin: str | None,
) -> None:
    """Preview a story's public site on localhost, as `export` would write it.

    Pages are rendered again when the story changes. Ctrl-C stops.

    \b
    Example:
      storylog serve pokrovsk-live --port 8000
    """
    from storylog.site.serve import preview_server

    server = preview_server(session.app(), slug,
                            _options(show_editors, base_url, publisher, checkpoint), port,
                            key_path, origin)
    host, bound = server.server_address[:2]
    stop_on_signals()
    say(f"serving {slug} at http://{host!s}:{bound}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("stopped")
    finally:
        server.server_close()


COMMANDS = (export, serve)
