"""The importer's one error: input it will not guess about."""

from __future__ import annotations

from storylog.errors import RefusedInput


class ImportRefused(RefusedInput):
    """A live page (or a gazetteer file) the importer cannot read without guessing.

    The message names the line and says what to fix.
    """
