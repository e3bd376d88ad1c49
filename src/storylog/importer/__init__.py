"""The live-page importer's parsing half: text in, updates out; no database.

- ``parse_page(text, year=..., tz=...)`` reads a page into its standfirst and
  its updates (stamp, body, sources, media), newest first, as the page shows them.
- ``Gazetteer`` knows sources by name and alias (storylog's defaults, plus a user
  file: see ``storylog.importer.gazetteer`` for its format).
- ``align(old, new)`` pairs the updates of two copies of a page, to turn a newer
  copy into edits.

Everything it refuses raises ``ImportRefused``, whose message names the line.
"""

from __future__ import annotations

from storylog.importer.align import CERTAIN, THRESHOLD, AlignedPair, Alignment, align, similarity
from storylog.importer.attribution import find_sources
from storylog.importer.errors import ImportRefused
from storylog.importer.gazetteer import Gazetteer, GazetteerEntry, GazetteerMatch
from storylog.importer.page import ParsedPage, ParsedUpdate, parse_page

__all__ = [
    "CERTAIN",
    "THRESHOLD",
    "AlignedPair",
    "Alignment",
    "Gazetteer",
    "GazetteerEntry",
    "GazetteerMatch",
    "ImportRefused",
    "ParsedPage",
    "ParsedUpdate",
    "align",
    "find_sources",
    "parse_page",
    "similarity",
]
