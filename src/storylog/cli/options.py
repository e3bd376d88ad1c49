"""What several commands share on their command line: the global ``--db`` / ``--keys``
accepted after any command, who makes a change, the output flags, a picture or a link,
and the parameter types (a source spec, choices taken from the domain's own enums).

Nothing here imports pydantic or the application: the enums behind the choices are
looked up only when a value is given or help is shown, so reads stay light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import click

from storylog.cli.session import Session
from storylog.errors import RefusedInput

Decorator = Callable[[Any], Any]


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


class EnumChoice(click.Choice):  # type: ignore[type-arg]
    """The values of one of the domain's enums (``module:Name``), plus any ``extra``,
    looked up on first use so that the domain's models load only when needed."""

    def __init__(self, where: str, extra: Sequence[str] = ()):
        self.where = where
        self.extra = tuple(extra)
        self.case_sensitive = True

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        module, name = self.where.split(":")
        members = getattr(importlib.import_module(module), name)
        return (*(member.value for member in members), *self.extra)


STATUS = EnumChoice("storylog.domain.values:Status")
CHANGE_KIND = EnumChoice("storylog.domain.values:ChangeKind")
TAKEDOWN_GROUNDS = EnumChoice("storylog.domain.payloads:TakedownGrounds")


def _checked(check: Callable[[str], Any]) -> Any:
    """An option callback: a value the domain refuses is refused input (exit 1)."""

    def callback(ctx: click.Context, param: click.Parameter, value: str) -> str:
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
    """``--editor`` (who makes the change) and ``--command-id`` (recognises a re-run)."""
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


def format_option(*formats: str, help: str = "Output format.") -> Decorator:
    """``--format`` among ``formats`` (text first, the default), and ``--json``."""

    def decorate(f: Any) -> Any:
        f = json_option(f)
        return click.option(
            "--format", "fmt", type=click.Choice(list(formats)), default=formats[0],
            show_default=True, help=help,
        )(f)

    return decorate


def media_options(f: Any) -> Any:
    """A picture and a link of an update; `media_of` turns them into the update's media."""
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


SOURCE_KEYS = ("kind", "via", "url")
SOURCE_FLAGS = ("confidential",)


class SourceSpec(click.ParamType):
    """``--source NAME[,kind=K][,via=NAME][,url=URL][,confidential]``, as a Source's
    fields (see `parse_source`)."""

    name = "spec"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dict[str, Any]:
        return value if isinstance(value, dict) else parse_source(value)


SOURCE = SourceSpec()


def parse_source(spec: str) -> dict[str, Any]:
    """``NAME[,kind=K][,via=NAME][,url=URL][,confidential]`` to a Source's fields.

    Strict on purpose: a flag that is misspelt or capitalised (``,Confidential``,
    ``;confidential``, ``,confidental``) must not end up inside a published name, so
    anything after the name that is not exactly a known key or flag is refused. A comma
    inside a name is written ``\\,``.
    """
    from storylog.domain.kinds import SourceKind

    parts = [p.replace("\0", ",") for p in spec.replace("\\,", "\0").split(",")]
    name = parts[0].strip()
    source: dict[str, Any] = {"name": name}
    for part in parts[1:]:
        key, equals, value = (x.strip() for x in part.partition("="))
        if key in source or (key == "confidential" and "confidential" in source):
            raise RefusedInput(f"--source {spec!r}: {key!r} is given twice")
        if key in SOURCE_FLAGS and not equals:
            source[key] = True
        elif key in SOURCE_KEYS and equals and value:
            source[key] = value
        else:
            raise RefusedInput(
                f"--source {spec!r}: {part.strip()!r} is not a source option; after the name "
                "write kind=K, via=NAME, url=URL or confidential, each after a comma "
                "(a comma inside a name is written \\,)"
            )
    if ";" in name:
        raise RefusedInput(f"--source {spec!r}: a name must not contain ';'; give each source "
                           "its own --source, and options after a comma")
    if "confiden" in name.casefold() and not source.get("confidential"):
        raise RefusedInput(f"--source {spec!r}: the name mentions confidentiality but the "
                           "source is not marked; add ,confidential to keep its name out of "
                           "every public view")
    kinds = [k.value for k in SourceKind]
    if "kind" in source and source["kind"] not in kinds:
        raise RefusedInput(f"--source {spec!r}: unknown kind {source['kind']!r}; use one of "
                           f"{', '.join(kinds)}")
    if "kind" not in source:
        from storylog.domain.sources import guess_kind

        source["kind"] = guess_kind(name)
    return source
