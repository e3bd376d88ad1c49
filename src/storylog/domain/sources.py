"""Known sources: a small default gazetteer of names, aliases and kinds.

Names are compared by their ``source_key``: case, accents and punctuation do
not count, so "Röpcke", "Ropcke" and "ROPCKE" are one key.
"""

from __future__ import annotations

import re
import unicodedata

from storylog.domain.kinds import SourceKind

# canonical name -> (kind, aliases)
DEFAULT_GAZETTEER: dict[str, tuple[SourceKind, tuple[str, ...]]] = {
    "Bild": (SourceKind.OUTLET, ("Bild newspaper", "German outlet Bild")),
    "Le Monde": (SourceKind.OUTLET, ()),
    "Reuters": (SourceKind.AGENCY, ()),
    "The Economist": (SourceKind.OUTLET, ("Economist",)),
    "Julian Röpcke": (SourceKind.ANALYST, ("Röpcke", "Julian Ropcke", "Ropcke")),
    "Oliver Carroll": (SourceKind.PERSON, ("Carroll",)),
    "Ukraine's General Staff": (
        SourceKind.OFFICIAL,
        ("General Staff", "Ukrainian General Staff", "General Staff of Ukraine"),
    ),
    "Andrii Koval": (SourceKind.OFFICIAL, ("Koval",)),
    "Volodymyr Zelensky": (SourceKind.OFFICIAL, ("Zelensky", "President Zelensky")),
    "Deep State": (SourceKind.OSINT, ("DeepState", "Deep State Map")),
    "Privat": (SourceKind.OTHER, ()),
    "Social media video": (SourceKind.SOCIAL_MEDIA, ("video on social media",)),
    "Ukrainian officer": (SourceKind.ANONYMOUS, ("officer", "an officer")),
    "Ukrainian diplomat": (SourceKind.ANONYMOUS, ("diplomat", "a Ukrainian diplomat")),
}


def source_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters of any script count (Генштаб has a key); punctuation and spacing do not.
    return re.sub(r"[\W_]+", " ", letters.replace("'", "").replace("’", "")).strip()


_KNOWN: dict[str, tuple[str, SourceKind]] = {}
for _name, (_kind, _aliases) in DEFAULT_GAZETTEER.items():
    for _alias in (_name, *_aliases):
        _KNOWN[source_key(_alias)] = (_name, _kind)


def canonical_name(name: str) -> str:
    return _KNOWN.get(source_key(name), (name, SourceKind.OTHER))[0]


def guess_kind(name: str) -> SourceKind:
    known = _KNOWN.get(source_key(name))
    if known:
        return known[1]
    if re.search(r"\b(anonymous|unnamed|sources?|officer|soldier)\b", name, re.I):
        return SourceKind.ANONYMOUS
    return SourceKind.OTHER
