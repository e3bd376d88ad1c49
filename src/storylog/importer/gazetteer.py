"""Known sources: storylog's default gazetteer plus the user's own file.

Names and aliases match the text case- and accent-insensitively, on word
boundaries ("Röpcke", "ROPCKE" and "Ropcke" are one name; "Bild" does not match
inside "Bilderberg").

The user file is UTF-8 text, one source a line::

    # comments and blank lines are ignored
    # name                 | kind    | aliases (separated by ;)        | link (optional)
    Kyiv Independent       | outlet  | The Kyiv Independent; KI         | https://kyivindependent.com
    Deep State             | osint   |                                  | https://deepstatemap.live
    Institute for the Study of War | other | ISW

Only the name is required; ``kind`` is one of storylog's source kinds (outlet,
person, official, analyst, osint, social-media, anonymous, agency, other;
default other). A line whose name is already known, as a name or an alias, adds
its aliases to that source and replaces its kind and link when it gives them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from storylog.domain.sources import DEFAULT_GAZETTEER
from storylog.domain.values import SourceKind
from storylog.importer.errors import ImportRefused
from storylog.importer.text import fold, key, phrase_pattern


@dataclass(frozen=True)
class GazetteerEntry:
    name: str
    kind: SourceKind = SourceKind.OTHER
    aliases: tuple[str, ...] = ()
    url: str | None = None


@dataclass(frozen=True)
class GazetteerMatch:
    """Where a known source is named: text[start:end] names ``entry``."""

    start: int
    end: int
    entry: GazetteerEntry


class Gazetteer:
    """Sources by name and alias, and a scanner that finds them in text."""

    def __init__(self, entries: Iterable[GazetteerEntry] = ()) -> None:
        self._entries: dict[str, GazetteerEntry] = {}
        self._by_alias: dict[str, str] = {}
        self._by_spelling: dict[str, GazetteerEntry] = {}  # folded text as found -> entry
        for entry in entries:
            self._add(entry)
        self._pattern = phrase_pattern(
            alias for entry in self._entries.values() for alias in (entry.name, *entry.aliases)
        )

    @classmethod
    def default(cls) -> Gazetteer:
        """storylog's DEFAULT_GAZETTEER."""
        return _default()

    @classmethod
    def from_file(cls, path: str | Path, *, with_defaults: bool = True) -> Gazetteer:
        """The default gazetteer (unless with_defaults=False) plus the sources in ``path``."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ImportRefused(f"cannot read the gazetteer file {path}: {error}") from None
        return cls.from_text(text, origin=str(path), with_defaults=with_defaults)

    @classmethod
    def from_text(
        cls, text: str, *, origin: str = "gazetteer", with_defaults: bool = True
    ) -> Gazetteer:
        """Like from_file, with the file's text; ``origin`` names it in errors."""
        base = list(_default_entries()) if with_defaults else []
        return cls([*base, *parse_gazetteer(text, origin)])

    @property
    def entries(self) -> tuple[GazetteerEntry, ...]:
        return tuple(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, name: str) -> GazetteerEntry | None:
        """The source that ``name`` names, as a name or an alias."""
        found = self._by_alias.get(key(name))
        return self._entries[found] if found else None

    def find(self, text: str, folded: str | None = None) -> list[GazetteerMatch]:
        """Every known source named in ``text``, left to right, longest name first
        (``folded`` is ``fold(text)``, when the caller has it already)."""
        if self._pattern is None:
            return []
        matches = []
        for found in self._pattern.finditer(folded if folded is not None else fold(text)):
            start, end = found.span()
            entry = self._by_spelling.get(found.group())
            if entry is None:
                entry = self.lookup(text[start:end])
                if entry is not None:
                    self._by_spelling[found.group()] = entry
            if entry is not None:
                matches.append(GazetteerMatch(start, end, entry))
        return matches

    def _add(self, entry: GazetteerEntry) -> None:
        known = self._by_alias.get(key(entry.name))
        if known is not None:
            entry = _merged(self._entries[known], entry)
            del self._entries[known]
        name_key = key(entry.name)
        self._entries[name_key] = entry
        for alias in (entry.name, *entry.aliases):
            if key(alias):
                self._by_alias[key(alias)] = name_key


def _merged(old: GazetteerEntry, new: GazetteerEntry) -> GazetteerEntry:
    aliases = tuple(dict.fromkeys((*old.aliases, *new.aliases, new.name)))
    aliases = tuple(a for a in aliases if key(a) != key(old.name))
    kind = new.kind if new.kind is not SourceKind.OTHER else old.kind
    return replace(old, kind=kind, aliases=aliases, url=new.url or old.url)


@cache
def _default() -> Gazetteer:
    return Gazetteer(_default_entries())


# News agencies and broadcasters that live pages everywhere cite, known to the importer
# beside storylog's own defaults (which are about the seed story).
WIRES: dict[str, tuple[SourceKind, tuple[str, ...]]] = {
    "AFP": (SourceKind.AGENCY, ("Agence France-Presse", "Agence France Presse")),
    "Associated Press": (SourceKind.AGENCY, ("AP", "The Associated Press")),
    "EFE": (SourceKind.AGENCY, ("Agencia EFE",)),
    "dpa": (SourceKind.AGENCY, ("Deutsche Presse-Agentur",)),
    "ANSA": (SourceKind.AGENCY, ()),
    "Xinhua": (SourceKind.AGENCY, ()),
    "Kyodo": (SourceKind.AGENCY, ("Kyodo News",)),
    "Yonhap": (SourceKind.AGENCY, ()),
    "Interfax": (SourceKind.AGENCY, ()),
    "Ukrinform": (SourceKind.AGENCY, ()),
    "Bloomberg": (SourceKind.OUTLET, ("Bloomberg News",)),
    "BBC": (SourceKind.OUTLET, ("BBC News",)),
    "CNN": (SourceKind.OUTLET, ()),
    "Sky News": (SourceKind.OUTLET, ()),
    "NBC News": (SourceKind.OUTLET, ()),
}


def _default_entries() -> Iterator[GazetteerEntry]:
    for name, (kind, aliases) in {**WIRES, **DEFAULT_GAZETTEER}.items():
        yield GazetteerEntry(name, kind, tuple(aliases))


def parse_gazetteer(text: str, origin: str = "gazetteer") -> list[GazetteerEntry]:
    """The entries of a gazetteer file (see the module docstring for the format)."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(_entry(line, f"{origin} line {number}"))
    return entries


def _entry(line: str, where: str) -> GazetteerEntry:
    fields = [field.strip() for field in line.split("|")]
    if len(fields) > 4:
        raise ImportRefused(
            f"{where}: {len(fields)} fields; write NAME | KIND | ALIAS; ALIAS | LINK"
        )
    fields += [""] * (4 - len(fields))
    name, kind, aliases, url = fields
    if not key(name):
        raise ImportRefused(f"{where}: the source has no name; the name comes first")
    if url and not re.match(r"^https?://\S+$", url):
        raise ImportRefused(f"{where}: the link {url!r} must be an http:// or https:// address")
    alias_list = tuple(a.strip() for a in aliases.split(";") if a.strip())
    return GazetteerEntry(name, _kind(kind, where), alias_list, url or None)


def _kind(text: str, where: str) -> SourceKind:
    if not text:
        return SourceKind.OTHER
    try:
        return SourceKind(re.sub(r"[\s_]+", "-", text.strip().lower()))
    except ValueError:
        kinds = ", ".join(kind.value for kind in SourceKind)
        raise ImportRefused(f"{where}: the kind {text!r} is unknown; use one of {kinds}") from None
