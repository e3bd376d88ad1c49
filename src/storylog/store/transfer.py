"""A store's events as NDJSON, and back into any store with identical hashes.

One line per event, in the order the store recorded them::

    {"story": label, "story_id": uuid, "position": n, "type": "UpdateAdded",
     "topic": ..., "record": {...the stored row...}, "key": hex?, "content": {...}?}

``record`` is the row exactly as stored (sealed content included), so loading
it reproduces every hash. ``key`` carries the update's key so the content can
be opened in the new store; ``content`` is the opened content, for people and
for schema checks (loading ignores it). An erased update has neither; a legal
hold (taken down, not erased) has its key but no ``content``: auditors can still
read it, in the new store as in the old.

``label`` is a story's slug, or ``@source-registry`` for the source registry (no
slug can take a label with ``@``; exports before issue 13 called it ``sources``,
which loading still accepts). An export of every story ends with the store's own
record of the checkpoints it signed, one line each::

    {"storylog": "checkpoint", "seq": n, "hash": hex, "signed": {...the log line...}}

and then its public log (``store.public_log``, issue 15), which nothing else can make
again (a record commits salts an erasure destroys; a tree head is signed history)::

    {"storylog": "public-record", "seq": n, "story": slug, "version": n,
     "leaf": hex, "record": {...the public record...}}
    {"storylog": "tree-head", "size": n, "root": hex, "note": "...signed note..."}

A load checks that the records follow each other (seq 1, 2, 3...), that each leaf is its
record's, that each record names an event of the file's chains, and that every tree head
is the tree of the first ``size`` records, signed as a checkpoint of it.

A redacted export (``events --redacted``, for third parties) starts with a
``{"storylog": "redacted-export", "lacks": [...]}`` line; it cannot be verified or
loaded as a store, and ``load`` refuses it, saying what it lacks.
"""

from __future__ import annotations

import os
import tempfile
from binascii import a2b_base64
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import IO, Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent

from storylog.errors import RefusedInput
from storylog.store.sealing import KeyStore
from storylog.store.verify import check_chain

REGISTRY_LABEL = "@source-registry"  # the source registry's label: no slug has an @
OLD_REGISTRY_LABELS = frozenset({"sources"})  # what exports before issue 13 called it
REDACTED = "redacted-export"
REDACTED_LACKS = ("update keys", "sealed content", "the content of taken-down updates",
                  "confidential sources", "editors", "command ids", "internal reasons",
                  "stealth-edit flags and overrides", "the source registry's reasons",
                  "checkpoints", "the public log (it is on the site)")
PUBLIC_RECORD = "public-record"
TREE_HEAD = "tree-head"
INTERNAL_PAYLOAD_FIELDS = ("reason", "override", "flags")


def event_line(label: str, story_id: str, position: int, topic: str, state: bytes,
               keys: KeyStore, *, erased: frozenset[str] = frozenset(),
               held: frozenset[str] = frozenset(),
               erased_at: dict[str, str] | None = None) -> bytes:
    """One stored event as an exact line: the row, and its update's key unless the
    update was erased (``erased``: key ids); ``held`` updates (legal holds) carry
    their key but not their text in clear. An erasing takedown carries when the key
    was destroyed (``erased_at``, from the key store's tombstone)."""
    record = orjson.loads(state)
    line: dict[str, Any] = {
        "story": label, "story_id": story_id, "position": position,
        "type": topic.rsplit(".", 1)[-1], "topic": topic, "record": record,
    }
    if erased_at and line["type"] == "UpdateTakenDown" and record["payload"].get("erase"):
        moment = erased_at.get(f"{story_id}/{record['payload'].get('update_id')}")
        if moment is not None:
            line["key_erased_at"] = moment
    sealed = record.get("sealed")
    if sealed and sealed["key"] not in erased:
        secret = keys.get(sealed["key"])
        if secret is not None:
            line["key"] = secret.hex()
            if sealed["key"] not in held:
                line["content"] = keys.open(sealed)
    return orjson.dumps(line) + b"\n"


def checkpoint_line(seq: int, digest: str, signed: str) -> bytes:
    """The store's record of one checkpoint it signed (table storylog_checkpoints)."""
    return orjson.dumps({"storylog": "checkpoint", "seq": seq, "hash": digest,
                         "signed": orjson.loads(signed)}) + b"\n"


def public_record_line(seq: int, story: str, version: int, leaf: str, record: str) -> bytes:
    """One record of the public log (table storylog_public_log)."""
    return orjson.dumps({"storylog": PUBLIC_RECORD, "seq": seq, "story": story,
                         "version": version, "leaf": leaf,
                         "record": orjson.loads(record)}) + b"\n"


def tree_head_line(size: int, root: str, note: str) -> bytes:
    """One signed tree head of the public log, its cosignatures included."""
    return orjson.dumps({"storylog": TREE_HEAD, "size": size, "root": root,
                         "note": note}) + b"\n"


def redacted_header() -> bytes:
    return orjson.dumps({"storylog": REDACTED, "format": 1, "lacks": list(REDACTED_LACKS),
                         "loadable": False}) + b"\n"


def redacted_line(label: str, story_id: str, position: int, topic: str, state: bytes,
                  keys: KeyStore, taken_down: frozenset[str]) -> bytes:
    """One event for third parties: what happened and when, the public notes and the
    content as written (confidential sources left out), without editors, command
    ids, internal reasons, keys, sealed bytes or anything taken down. The hashes are
    kept for reference only: they cover what was left out, so they cannot be checked."""
    record = orjson.loads(state)
    payload = {k: v for k, v in record["payload"].items() if k not in INTERNAL_PAYLOAD_FIELDS}
    line: dict[str, Any] = {
        "story": label, "story_id": story_id, "position": position,
        "type": topic.rsplit(".", 1)[-1], "recorded_at": record.get("recorded_at"),
        "payload": payload, "hash": record.get("hash"), "prev": record.get("prev"),
    }
    sealed = record.get("sealed")
    if sealed:
        content = None if sealed["key"] in taken_down else keys.open(sealed)
        line["content"] = _public_content(content)
        if sealed["key"] in taken_down:
            line["withheld"] = "taken down"
        elif content is None:
            line["withheld"] = "erased"
    return orjson.dumps(line) + b"\n"


def _public_content(content: Any) -> Any:
    if not isinstance(content, dict) or not isinstance(content.get("sources"), list):
        return content
    return {**content, "sources": [s for s in content["sources"]
                                   if not (isinstance(s, dict) and s.get("confidential"))]}


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


@dataclass
class Export:
    """A checked export: its events (in the file's order), the checkpoint records it
    carries, and notes on what it lacks (for the one loading it)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    # the public log: (seq, story, version, leaf, record text) and (size, root, note)
    public_records: list[tuple[int, str, int, str, str]] = field(default_factory=list)
    tree_heads: list[tuple[int, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_lines(lines: Iterable[bytes | str]) -> list[dict[str, Any]]:
    """The events of an export, checked (``read_export``)."""
    return read_export(lines).events


def read_export(lines: Iterable[bytes | str]) -> Export:
    """Parse and check an NDJSON export, all in memory; refuse the whole file on any fault.

    Each record must be exactly what storylog writes for its class, every chain must
    verify, and every story must replay under the rules of the live commands
    (``admission``): hashes that check out prove nothing, as anyone can recompute them.
    Each checkpoint record must be intact and sign heads the file's chains hold.
    """
    from storylog.store.admission import check_depth, check_record, replay

    export = Export()
    named: dict[tuple[str, str], str] = {}  # (label, story_id) -> the chain's label
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = orjson.loads(raw)
            check_depth(line)
            if isinstance(line, dict) and "storylog" in line:
                _store_record(line, number, export)
                continue
            _check_line(line, named)
            check_record(line)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError,
                AttributeError) as error:
            raise RefusedInput(f"line {number} is not a storylog event: {error}; "
                               "nothing was loaded") from None
        line.pop("content", None)  # for people and schema checks only: not kept in memory
        line["_line"] = number  # to name it in a refusal; never stored
        export.events.append(line)
    if not export.events:
        raise RefusedInput("the file holds no events")
    rows_of(export.events)  # every chain verifies
    replay(export.events)
    _check_checkpoints(export)
    _check_public_log(export)
    export.notes += _unopened(export.events)
    return export


def _store_record(line: dict[str, Any], number: int, export: Export) -> None:
    kind = line["storylog"]
    if kind == REDACTED:
        lacks = line.get("lacks")
        said = ", ".join(str(x) for x in lacks) if isinstance(lacks, list) else "keys"
        raise RefusedInput(
            f"this is a redacted export for third parties (`storylog events --redacted`): "
            f"it lacks {said}, so its chains cannot be verified and it cannot be loaded as "
            "a store; load an exact export (`storylog events --all`); nothing was loaded")
    if kind == PUBLIC_RECORD:
        _public_record(line, export)
        return
    if kind == TREE_HEAD:
        _tree_head(line, export)
        return
    if kind != "checkpoint":
        raise ValueError(f"unknown kind of store record {str(kind)[:40]!r}")
    from storylog.store.checkpoints import _shape_problem, checkpoint_hash

    if set(line) != {"storylog", "seq", "hash", "signed"}:
        raise ValueError("a checkpoint record holds exactly storylog, seq, hash and signed")
    signed, seq = line["signed"], line["seq"]
    problem = _shape_problem(signed)
    if problem:
        raise ValueError(f"its signed checkpoint is malformed: {problem}")
    if type(seq) is not int or seq != signed["checkpoint"]["seq"]:
        raise ValueError("its seq is not its checkpoint's")
    if line["hash"] != checkpoint_hash(signed["checkpoint"]):
        raise ValueError(f"checkpoint {seq}: its hash is not its checkpoint's (altered)")
    if any(c["seq"] == seq for c in export.checkpoints):
        raise ValueError(f"checkpoint {seq} appears twice")
    export.checkpoints.append({**line, "_line": number})


def _public_record(line: dict[str, Any], export: Export) -> None:
    from storylog.transparency import record as rec

    if set(line) != {"storylog", "seq", "story", "version", "leaf", "record"}:
        raise ValueError("a public record line holds exactly storylog, seq, story, version, "
                         "leaf and record")
    seq = line["seq"]
    if type(seq) is not int or seq != len(export.public_records) + 1:
        raise ValueError(f"public record {str(seq)[:20]} is out of order (the log's records "
                         "come 1, 2, 3...)")
    try:
        record = rec.PublicRecord.model_validate_json(orjson.dumps(line["record"]))
    except ValueError as error:
        raise ValueError(f"public record {seq} is malformed: {_first(error)}") from None
    if (record.story, record.version) != (line["story"], line["version"]):
        raise ValueError(f"public record {seq} names {line['story']!r} v{line['version']} "
                         f"but holds {record.story!r} v{record.version}")
    if line["leaf"] != rec.record_hash(record):
        raise ValueError(f"public record {seq}: its leaf is not its record's (altered)")
    text = rec.record_bytes(record).decode("utf-8")
    export.public_records.append((seq, record.story, record.version, line["leaf"], text))


def _tree_head(line: dict[str, Any], export: Export) -> None:
    if set(line) != {"storylog", "size", "root", "note"}:
        raise ValueError("a tree head line holds exactly storylog, size, root and note")
    size, root, note = line["size"], line["root"], line["note"]
    if type(size) is not int or not isinstance(root, str) or not isinstance(note, str):
        raise ValueError("a tree head's size is a number, its root and note text")
    if export.tree_heads and size <= export.tree_heads[-1][0]:
        raise ValueError(f"tree head {size} is out of order (smallest first, each once)")
    export.tree_heads.append((size, root, note))


def _check_public_log(export: Export) -> None:
    """The public log the file carries must be whole: every record names an event of the
    file's chains, and every tree head is the signed tree of the records before it."""
    from storylog.errors import VerificationFailed
    from storylog.transparency import record as rec
    from storylog.transparency.checkpoint import Checkpoint
    from storylog.transparency.merkle import Tree
    from storylog.transparency.notes import parse

    if not export.public_records and not export.tree_heads:
        return
    heads: dict[tuple[str, int], str] = {(line["story"], line["position"]):
                                         line["record"]["hash"] for line in export.events}
    seen: set[tuple[str, int]] = set()
    for seq, story, version, _, text in export.public_records:
        record = rec.PublicRecord.model_validate_json(text)
        if (story, version) in seen:
            raise RefusedInput(f"public record {seq} ({story} v{version}) appears twice; "
                               "nothing was loaded")
        seen.add((story, version))
        if heads.get((story, record.chain.position)) != record.chain.head:
            raise RefusedInput(f"public record {seq} ({story} v{version}) names event "
                               f"{record.chain.position} of {story}, which the file does not "
                               "hold as recorded; nothing was loaded")
    tree = Tree(bytes.fromhex(leaf) for _, _, _, leaf, _ in export.public_records)
    for size, root, note in export.tree_heads:
        try:
            checkpoint = Checkpoint.parse(parse(note).text)
        except VerificationFailed as error:
            raise RefusedInput(f"tree head {size}: its note is not a signed checkpoint "
                               f"({_first(error)}); nothing was loaded") from None
        if not 0 < size <= tree.size or root != tree.root(size).hex() \
                or (checkpoint.size, checkpoint.root_hash.hex()) != (size, root):
            raise RefusedInput(f"tree head {size} is not the tree of the file's first {size} "
                               "public records (altered); nothing was loaded")


def _check_checkpoints(export: Export) -> None:
    """Every checkpoint the file carries must sign heads its chains hold, and follow
    the checkpoint before it where the file has that one."""
    heads: dict[str, dict[int, str]] = {}
    for line in export.events:
        heads.setdefault(line["story_id"], {})[line["position"]] = line["record"]["hash"]
    hashes = {c["seq"]: c["hash"] for c in export.checkpoints}
    for record in export.checkpoints:
        body = record["signed"]["checkpoint"]
        where = f"line {record['_line']} (checkpoint {record['seq']})"
        before = hashes.get(record["seq"] - 1)
        if before is not None and body["prev"] != before:
            raise RefusedInput(f"{where} does not follow checkpoint {record['seq'] - 1}; "
                               "nothing was loaded")
        for chain in body["chains"]:
            if heads.get(chain["id"], {}).get(chain["position"]) != chain["head"]:
                raise RefusedInput(
                    f"{where} signs {str(chain['name'])[:80]} at event {chain['position']}, "
                    "which the file does not hold as signed (an export of every story "
                    "holds it); nothing was loaded")


def _unopened(events: list[dict[str, Any]]) -> list[str]:
    """A note for updates whose sealed content comes without a key although nothing
    erased them (exports before issue 13 left out legal holds' keys): they will read
    as erased."""
    erased = {(line["story"], line["record"]["payload"]["update_id"]) for line in events
              if line["type"] == "UpdateTakenDown" and line["record"]["payload"].get("erase")}
    missing = sorted({(line["story"], line["record"]["payload"]["update_id"])
                      for line in events if "sealed" in line["record"] and "key" not in line}
                     - erased)
    if not missing:
        return []
    named = ", ".join(f"{story} {update}" for story, update in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return [f"note: the file carries no key for {len(missing)} update(s) that were not "
            f"erased ({named}{more}): their content arrives erased; an export made before "
            "storylog exported legal holds by default left their keys out unless given "
            "--audit"]


def _check_line(line: Any, named: dict[tuple[str, str], str]) -> None:
    if not isinstance(line, dict) or not isinstance(line.get("record"), dict):
        raise ValueError("expected a JSON object with a record")
    for field_name in ("story", "story_id", "topic"):
        if not isinstance(line.get(field_name), str) or not line[field_name]:
            raise ValueError(f"{field_name} must be a non-empty string")
    pair = (line["story"], line["story_id"])
    if pair not in named:
        named[pair] = _chain_label(*pair)
    line["story"] = named[pair]
    position = line.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise ValueError("position must be a whole number from 1")
    if not line["topic"].startswith("storylog."):
        raise ValueError(f"unknown event topic {line['topic']!r}")
    if "key" in line and not isinstance(line["key"], str):
        raise ValueError("key must be hex text")
    if "key" in line:
        bytes.fromhex(line["key"])
    if "key_erased_at" in line:
        _check_erased_at(line)
    sealed = line["record"].get("sealed")
    if sealed is not None and not (
        isinstance(sealed, dict)
        and all(isinstance(sealed.get(k), str) for k in ("key", "nonce", "box"))
    ):
        raise ValueError("record.sealed must hold key, nonce and box")


def _check_erased_at(line: dict[str, Any]) -> None:
    """When an erasure destroyed its key: only on an erasing takedown, a time with a zone."""
    from datetime import datetime

    payload = line["record"].get("payload")
    if line.get("type") != "UpdateTakenDown" or not isinstance(payload, dict) or \
            payload.get("erase") is not True:
        raise ValueError("key_erased_at belongs only on a takedown that erases")
    moment = line["key_erased_at"]
    try:
        parsed = datetime.fromisoformat(moment) if isinstance(moment, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None or len(moment) > 40:
        raise ValueError(f"key_erased_at {str(moment)[:40]!r} is not a time with a zone")


def tombstones_of(lines: list[dict[str, Any]]) -> list[tuple[str, bytes | None, str | None]]:
    """The key store's record of each erasure in a file (key id, no secret, when): the
    moment the file carries, or now (older files do not carry it)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat()
    return [(f"{line['story_id']}/{line['record']['payload']['update_id']}", None,
             line.get("key_erased_at", now)) for line in lines
            if line["type"] == "UpdateTakenDown" and line["record"]["payload"].get("erase")]


def _chain_label(label: str, chain_id: str) -> str:
    """The label a chain is loaded under: its slug, which must give its id, or the
    source registry's (``@source-registry``, or ``sources`` in older exports)."""
    from storylog.domain.registry import REGISTRY_ID
    from storylog.domain.story import story_id

    identity = UUID(chain_id)
    if identity == REGISTRY_ID and (label == REGISTRY_LABEL or label in OLD_REGISTRY_LABELS):
        return REGISTRY_LABEL
    if label.startswith("@"):
        raise ValueError(f"{label[:40]!r} labels no chain storylog writes (the source "
                         f"registry is {REGISTRY_LABEL!r}, under its own id)")
    if identity != story_id(label) and not label.startswith("story "):
        raise ValueError(f"story {label!r} does not match its story_id")
    return label


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


def _first(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__
