"""Who a cited name is: its identity key, and whether it is confidential anywhere."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import orjson

from storylog.domain.sources import canonical_name, source_key
from storylog.store.readmodel.questions import ReadStore


def identity_key(name: str) -> str:
    """The identity key of a source name, before merges."""
    key = source_key(canonical_name(name))
    if key:
        return key
    # A name source_key folds to nothing (punctuation, symbols) gets a key of its own.
    return "~" + " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def confidential_keys(store: ReadStore) -> set[str]:
    """The identity keys of every name marked confidential in any revision of any story,
    published or not: a name confidential anywhere is confidential everywhere."""
    keys: set[str] = set()
    for sources in store.confidential_source_lists():
        for s in orjson.loads(sources) or []:
            if s.get("confidential"):
                keys.add(identity_key(s["name"]))
    return keys


def secret_names(store: ReadStore) -> Callable[[str], bool]:
    """A test of whether a name is marked confidential in any revision of any story."""
    keys = confidential_keys(store)
    return lambda name: identity_key(name) in keys
