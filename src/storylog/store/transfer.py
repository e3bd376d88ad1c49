"""A story's events as NDJSON, and back into any store with identical hashes.

One line per event::

    {"story": slug, "story_id": uuid, "position": n, "type": "UpdateAdded",
     "topic": ..., "record": {...the stored row...}, "key": hex?, "content": {...}?}

``record`` is the row exactly as stored (sealed content included), so loading
it reproduces every hash. ``key`` carries the update's key so the content can
be opened in the new store; ``content`` is the opened content, for people and
for schema checks (loading ignores it). An erased update has neither.
"""

from __future__ import annotations

import os
import tempfile
from binascii import a2b_base64
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from storylog.errors import RefusedInput
from storylog.store.sealing import KeyStore
from storylog.store.verify import check_chain


def export_lines(
    slug: str, rows: Iterable[StoredEvent], keys: KeyStore, withheld: frozenset[str] = frozenset()
) -> Iterator[bytes]:
    """NDJSON lines; the keys and content of ``withheld`` updates (taken down) are left
    out, so their text does not leave the store (the rows, sealed, still verify)."""
    for row in rows:
        record = orjson.loads(row.state)
        line: dict[str, Any] = {
            "story": slug,
            "story_id": str(row.originator_id),
            "position": row.originator_version,
            "type": row.topic.rsplit(".", 1)[-1],
            "topic": row.topic,
            "record": record,
        }
        sealed = record.get("sealed")
        if sealed and sealed["key"] not in withheld:
            secret = keys.get(sealed["key"])
            if secret is not None:
                line["key"] = secret.hex()
                line["content"] = keys.open(sealed)
        yield orjson.dumps(line) + b"\n"


@contextmanager
def private_file(path: str) -> Iterator[IO[bytes]]:
    """A file for an export, which holds update keys and plaintext: created readable by
    its owner only (mode 600, from the first byte), written beside the target and
    renamed over it when complete, so a failed export leaves the old file as it was.
    A device or pipe (``-o /dev/stdout``) is written directly."""
    if os.path.exists(path) and not os.path.isfile(path):
        with _opened(path, lambda: open(path, "wb")) as out:
            yield out
        return
    target = os.path.realpath(path)  # through a symlink, to the file it names
    descriptor, temp = _opened(path, lambda: tempfile.mkstemp(
        prefix=".storylog-events-", dir=os.path.dirname(target)))  # mkstemp: mode 600
    try:
        with os.fdopen(descriptor, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


def _opened(path: str, make: Any) -> Any:
    try:
        return make()
    except OSError as error:
        raise RefusedInput(f"cannot write {path}: {error.strerror or error}; give a file "
                           "in a folder that exists and you can write") from None


def parse_lines(lines: Iterable[bytes | str]) -> list[dict[str, Any]]:
    """Parse and check an NDJSON export, all in memory; refuse the whole file on any fault.

    Each record must be exactly what storylog writes for its class, every chain must
    verify, and every story must replay under the rules of the live commands
    (``admission``): hashes that check out prove nothing, as anyone can recompute them.
    """
    from storylog.store.admission import check_depth, check_record, replay

    parsed = []
    named: set[tuple[str, str]] = set()  # (story, story_id) pairs already checked
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            check_depth(line)
            _check_line(line, named)
            check_record(line)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError,
                AttributeError) as error:
            raise RefusedInput(f"line {number} is not a storylog event: {error}; "
                               "nothing was loaded") from None
        line.pop("content", None)  # for people and schema checks only: not kept in memory
        line["_line"] = number  # to name it in a refusal; never stored
        parsed.append(line)
    if not parsed:
        raise RefusedInput("the file holds no events")
    rows_of(parsed)  # every chain verifies
    replay(parsed)
    return parsed


def _check_line(line: Any, named: set[tuple[str, str]]) -> None:
    if not isinstance(line, dict) or not isinstance(line.get("record"), dict):
        raise ValueError("expected a JSON object with a record")
    for field in ("story", "story_id", "topic"):
        if not isinstance(line.get(field), str) or not line[field]:
            raise ValueError(f"{field} must be a non-empty string")
    pair = (line["story"], line["story_id"])
    if pair not in named:
        from storylog.domain.story import story_id

        if UUID(pair[1]) != story_id(pair[0]) and not pair[0].startswith("story "):
            raise ValueError(f"story {line['story']!r} does not match its story_id")
        named.add(pair)
    position = line.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise ValueError("position must be a whole number from 1")
    if not line["topic"].startswith("storylog."):
        raise ValueError(f"unknown event topic {line['topic']!r}")
    if "key" in line and not isinstance(line["key"], str):
        raise ValueError("key must be hex text")
    if "key" in line:
        bytes.fromhex(line["key"])
    sealed = line["record"].get("sealed")
    if sealed is not None and not (
        isinstance(sealed, dict)
        and all(isinstance(sealed.get(k), str) for k in ("key", "nonce", "box"))
    ):
        raise ValueError("record.sealed must hold key, nonce and box")


def rows_of(lines: list[dict[str, Any]]) -> dict[str, list[StoredEvent]]:
    """Rows grouped by story, in position order; every chain must verify."""
    stories: dict[str, list[StoredEvent]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, UUID] = {}
    for line in sorted(lines, key=lambda line: (line["story"], line["position"])):
        slug = line["story"]
        if slug not in ids:
            ids[slug] = UUID(line["story_id"])
        stories.setdefault(slug, []).append(
            StoredEvent(
                originator_id=ids[slug] if line["story_id"] == str(ids[slug])
                else UUID(line["story_id"]),
                originator_version=line["position"],
                topic=line["topic"],
                state=orjson.dumps(line["record"]),
            )
        )
        records.setdefault(slug, []).append(line["record"])
    for slug, rows in stories.items():
        report = check_chain(slug, rows, records[slug])
        if not report.ok:
            raise RefusedInput(f"the file does not verify: {report.problem}")
    return stories


def keys_of(lines: list[dict[str, Any]]) -> dict[str, bytes]:
    """The update keys a file carries; each must open the sealed content it came with."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    keys: dict[str, bytes] = {}
    for number, line in enumerate(lines, start=1):
        sealed = line["record"].get("sealed")
        if "key" not in line or not sealed:
            continue
        secret = bytes.fromhex(line["key"])
        try:
            AESGCM(secret).decrypt(a2b_base64(sealed["nonce"]), a2b_base64(sealed["box"]),
                                   sealed["key"].encode())
        except (InvalidTag, ValueError):
            raise RefusedInput(
                f"event {number} of the file: its key does not open its content "
                "(the key or the sealed content was changed); nothing was loaded"
            ) from None
        if keys.setdefault(sealed["key"], secret) != secret:
            raise RefusedInput(f"event {number} of the file carries a second key for "
                               f"{sealed['key']}; nothing was loaded")
    return keys
