"""A loaded file's events are let in only as a live command would have written them.

The hash chain proves that a file was not changed after its hashes were computed,
not that what was hashed is valid: anyone can recompute every hash. So before
`storylog load` opens a store, every record must be exactly what storylog writes
for its class (``check_record``: a known topic and class version, a UTC
``recorded_at``, an editor, a payload that its model validates and dumps back
unchanged, sealed content where and only where the class seals it, opened by its
key into valid content), and every chain must replay into its aggregate in memory
under the rules the commands enforce (``replay``: opened once, at event 1, under its
own slug; an update id used once; edits based on the current revision; nothing
changed after a retraction or takedown; versions numbered in order; ...).

Rules that are judgement, not structure (the stealth-edit detector), are not run
again: they change over time, and a file that was right when written must load.
"""

from __future__ import annotations

from binascii import a2b_base64
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate
from pydantic import BaseModel, TypeAdapter, ValidationError

from storylog.errors import RefusedInput, StorylogError

RECORD_FIELDS = {"class_version", "recorded_at", "editor", "command_id", "payload", "prev",
                 "hash"}
SEALED_FIELDS = {"key", "nonce", "box"}
MAX_DEPTH = 16  # storylog's own lines are 5 deep; orjson cannot write past 255


# -- one record ------------------------------------------------------------------------


@cache
def event_classes() -> dict[str, type[Any]]:
    """Every event class storylog stores, by the topic written into its rows."""
    from eventsourcing.utils import get_topic

    from storylog.contract import EVENT_CLASSES

    return {get_topic(cls): cls for cls in EVENT_CLASSES}


def payload_model(cls: type[Any], version: int) -> type[BaseModel]:
    from storylog.contract import PAST_VERSIONS

    if version == getattr(cls, "class_version", 1):
        return cast(type[BaseModel], cls.payload_model)
    return PAST_VERSIONS[(cls, version)]


def check_depth(value: Any) -> None:
    """Refuse nesting deeper than any storylog line (a record 500 deep is no event)."""
    level: list[Any] = [value]
    for _ in range(MAX_DEPTH):
        level = [inner for item in level if isinstance(item, dict | list)
                 for inner in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return
    raise ValueError(f"it is nested more than {MAX_DEPTH} levels deep")


def check_record(line: dict[str, Any]) -> None:
    """Everything one line must be on its own; raises ValueError saying what is wrong."""
    cls = event_classes().get(line["topic"])
    if cls is None:
        raise ValueError(f"unknown event topic {line['topic']!r}")
    if line.get("type") != cls.__name__:
        raise ValueError(f"its type {line.get('type')!r} is not its topic's ({cls.__name__})")
    record = line["record"]
    fields = set(record) - {"sealed"}
    if fields != RECORD_FIELDS:
        extra, missing = sorted(fields - RECORD_FIELDS), sorted(RECORD_FIELDS - fields)
        raise ValueError("record " + (f"has unknown fields {extra}" if extra else
                                      f"lacks {missing}"))
    version = record["class_version"]
    current = getattr(cls, "class_version", 1)
    if type(version) is not int or not 1 <= version <= current:
        raise ValueError(f"class_version {version!r} of {cls.__name__} is not one storylog "
                         f"writes (1 to {current})")
    _check_recorded_at(record["recorded_at"])
    _check_who(record["editor"], record["command_id"])
    _check_payload(line, cls, payload_model(cls, version))


def _check_recorded_at(value: Any) -> None:
    example = "like 2025-11-04T09:00:00.123456+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"recorded_at {value!r} is not a time ({example})") from None
    if moment.utcoffset() != timedelta(0) or moment.isoformat() != value:
        raise ValueError(f"recorded_at {value!r} is not a UTC time as storylog writes it "
                         f"({example})")
    if not 1970 <= moment.year <= 9998:
        raise ValueError(f"recorded_at {value!r} is out of range (years 1970 to 9998)")


@cache
def _line_adapter() -> TypeAdapter[str]:
    from storylog.domain.values import Line

    return TypeAdapter(Line)


def _check_text(name: str, value: Any, *, required: bool) -> None:
    """One line of text, as the live commands take it: no control character."""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{name} must be {'non-empty ' if required else ''}text")
    if any(c in value for c in "\n\r\t"):
        raise ValueError(f"{name} {value[:40]!r} must be one line")
    try:
        _line_adapter().validate_python(value)
    except ValidationError as error:
        raise ValueError(f"{name} {value[:40]!r}: {_first_message(error)}") from None


def _check_who(editor: Any, command_id: Any) -> None:
    """The editor and command id as the live commands take them (domain/values.py)."""
    from storylog.domain.values import command_id as checked_command_id
    from storylog.domain.values import editor_name

    _check_text("editor", editor, required=True)
    _check_text("command_id", command_id, required=False)
    if editor_name(editor) != editor:
        raise ValueError(f"editor {editor[:40]!r} is not as storylog writes it (spaces around "
                         "it, or not NFC)")
    checked_command_id(command_id)


def _check_payload(line: dict[str, Any], cls: type[Any], model: type[BaseModel]) -> None:
    record = line["record"]
    payload = record["payload"]
    if not isinstance(payload, dict):
        raise ValueError("record.payload must be an object")
    sealing = "content" in model.model_fields
    if "content" in payload:
        raise ValueError("the payload holds content in clear (storylog seals it)")
    sealed = record.get("sealed")
    if sealed is None and "sealed" in record:
        raise ValueError("record.sealed is null")
    if not sealing and (sealed is not None or "key" in line):
        raise ValueError(f"no {cls.__name__} seals content, but this one has some")
    if sealing and sealed is None and model.model_fields["content"].is_required():
        raise ValueError(f"every {cls.__name__} carries its sealed content (record.sealed)")
    if "key" in line and sealed is None:
        raise ValueError("it carries a key but no sealed content")
    given = dict(payload)
    if sealing:
        given["content"] = _opened(line, sealed) if sealed is not None else None
    try:
        valid = model.model_validate(given)
    except ValidationError as error:
        raise ValueError(f"its payload is not a valid {cls.__name__}: "
                         f"{_first_message(error)}") from None
    dumped = valid.model_dump(mode="json")
    content = dumped.pop("content", None)
    if _exact(dumped) != _exact(payload) or (sealing and _exact(content) != _exact(
            given["content"])):
        raise ValueError(f"its payload is not as storylog writes a {cls.__name__} "
                         "(not normalised, or a field in another form)")


def _exact(value: Any) -> bytes:
    """Bytes that tell 1 from true and 1.0 from 1, as the hash does."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _opened(line: dict[str, Any], sealed: Any) -> Any:
    """The sealed content opened with the line's key (None without one: withheld or
    erased, which the store then treats as erased)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from storylog.store.sealing import key_id

    if not isinstance(sealed, dict) or set(sealed) != SEALED_FIELDS or not all(
            isinstance(v, str) for v in sealed.values()):
        raise ValueError("record.sealed must hold exactly key, nonce and box, as text")
    update_id = line["record"]["payload"].get("update_id")
    if sealed["key"] != key_id(line["story_id"], str(update_id)):
        raise ValueError(f"its content is sealed under key {sealed['key'][:80]!r}, not its "
                         "own update's")
    if "key" not in line:
        return None
    secret = bytes.fromhex(line["key"])
    if len(secret) != 32:
        raise ValueError("its key is not 32 bytes")
    try:
        plain = AESGCM(secret).decrypt(a2b_base64(sealed["nonce"]), a2b_base64(sealed["box"]),
                                       sealed["key"].encode())
        content = orjson.loads(plain)
    except (InvalidTag, ValueError, orjson.JSONDecodeError):
        raise ValueError("its key does not open its sealed content (the key or the sealed "
                         "content was changed)") from None
    check_depth(content)
    return content


def _first_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


# -- every chain, replayed -------------------------------------------------------------


class FileKeys:
    """The keys a file carries, in memory, as the mapper asks for them."""

    def __init__(self, lines: Iterable[dict[str, Any]]):
        self.secrets: dict[str, bytes] = {}
        for line in lines:
            if "key" not in line:
                continue
            name, secret = line["record"]["sealed"]["key"], bytes.fromhex(line["key"])
            if self.secrets.setdefault(name, secret) != secret:
                raise RefusedInput(f"line {line.get('_line', '?')} carries a second key for "
                                   f"{name}; nothing was loaded")

    def open(self, envelope: dict[str, str]) -> Any | None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        secret = self.secrets.get(envelope["key"])
        if secret is None:
            return None
        return orjson.loads(AESGCM(secret).decrypt(
            a2b_base64(envelope["nonce"]), a2b_base64(envelope["box"]),
            envelope["key"].encode()))


def replay(lines: list[dict[str, Any]]) -> None:
    """Fold every chain of a checked file into its aggregate, in memory, under the rules
    of the live commands; refuse, naming the line, at the first event that breaks one."""
    from cryptography.exceptions import InvalidTag

    from storylog.store.mapper import EventMapper

    mapper = EventMapper(cast(Any, FileKeys(lines)))
    chains: dict[str, list[dict[str, Any]]] = {}
    for line in sorted(lines, key=lambda line: (line["story"], line["position"])):
        chains.setdefault(line["story"], []).append(line)
    for label, chain in chains.items():
        aggregate: Any = None
        for line in chain:
            where = (f"line {line.get('_line', '?')} ({label} event {line['position']}, "
                     f"{line['type']})")
            try:
                event = mapper.from_record(line["topic"], UUID(line["story_id"]),
                                           line["position"], line["record"])
                unopened = "sealed" in line["record"] and "key" not in line
                aggregate = admit(label, aggregate, event, content_unknown=unopened)
            except StorylogError as error:
                raise RefusedInput(f"{where} breaks a rule of the story: {error}; "
                                   "nothing was loaded") from None
            except (KeyError, ValueError, TypeError, AttributeError, InvalidTag) as error:
                raise RefusedInput(f"{where} cannot be replayed ({type(error).__name__}: "
                                   f"{error}); nothing was loaded") from None


def admit(label: str, aggregate: Any, event: Any, *, content_unknown: bool = False) -> Any:
    """The aggregate after ``event``, if a live command could have written it.
    ``content_unknown``: the event's content is sealed and the file has no key for it."""
    from storylog.domain.registry import SourceRegistry
    from storylog.domain.story import Story

    if isinstance(event, Aggregate.Created):
        if aggregate is not None:
            raise RefusedInput(f"{label} is opened again at event {event.originator_version}")
        _check_opened(label, event)
        return event.mutate(None)
    if aggregate is None:
        raise RefusedInput(f"{label} does not open with event 1")
    if isinstance(aggregate, Story) and isinstance(event, Story.Event):
        _check_story_rule(aggregate, event, content_unknown)
    elif isinstance(aggregate, SourceRegistry) and isinstance(event, SourceRegistry.Event):
        _check_registry_rule(aggregate, event)
    else:
        raise RefusedInput(f"a {type(event).__qualname__} does not belong in {label}")
    return event.mutate(aggregate)


def _check_opened(label: str, event: Any) -> None:
    from storylog.domain.registry import REGISTRY_ID, SourceRegistry
    from storylog.domain.story import story_id

    if isinstance(event, SourceRegistry.Opened):
        if event.originator_id != REGISTRY_ID:
            raise RefusedInput("the source registry is stored under another id")
        return
    slug = event.payload.slug
    if slug != label:
        raise RefusedInput(f"the file labels story {slug!r} as {label!r}")
    if event.originator_id != story_id(slug):
        raise RefusedInput(f"story {slug!r} is stored under another story's id")


def _check_story_rule(story: Any, event: Any, content_unknown: bool) -> None:
    from storylog.domain.story import Story

    p = event.payload
    if isinstance(event, Story.DetailsChanged):
        if p.headline in (None, story.headline) and p.standfirst in (None, story.standfirst):
            raise RefusedInput("it changes neither the headline nor the standfirst")
    elif isinstance(event, Story.UpdateAdded):
        if p.update_id in story.updates:
            raise RefusedInput(f"update id {p.update_id!r} is already used in {story.slug}")
    elif isinstance(event, Story.UpdateEdited | Story.UpdateRetracted):
        update = _changeable(story, p.update_id, p.base_revision)
        known = update.content is not None and not content_unknown
        if isinstance(event, Story.UpdateEdited) and known and \
                not story._edit_changes_something(update, p):
            raise RefusedInput(f"the edit to {p.update_id} changes nothing")
    elif isinstance(event, Story.UpdateTakenDown):
        update = story.update(p.update_id)
        if update.taken_down is not None:
            raise RefusedInput(f"update {p.update_id} was already taken down")
        if p.erase != p.grounds.erases:
            raise RefusedInput(f"a takedown on {p.grounds.value} grounds has erase "
                               f"{str(p.grounds.erases).lower()}")
    elif isinstance(event, Story.CorrectionReviewed):
        update = story.update(p.update_id)
        if p.revision not in update.reviewable or p.revision in update.reviewed:
            raise RefusedInput(f"revision {p.revision} of {p.update_id} is not a change "
                               "waiting for review")
    elif isinstance(event, Story.VersionPublished):
        _check_publication(story, p)


def _changeable(story: Any, update_id: str, base_revision: int) -> Any:
    update = story.update(update_id)
    if update.taken_down is not None or update.retracted is not None:
        done = "taken down" if update.taken_down is not None else "retracted"
        raise RefusedInput(f"update {update_id} was {done}; it cannot be changed")
    if base_revision != update.revision:
        raise RefusedInput(f"it is based on revision {base_revision} of {update_id}, "
                           f"which is at revision {update.revision}")
    return update


def _check_publication(story: Any, p: Any) -> None:
    if p.version != len(story.published) + 1:
        raise RefusedInput(f"it publishes version {p.version}, but {story.slug} has "
                           f"{len(story.published)} published versions")
    if not story.order:
        raise RefusedInput(f"{story.slug} has no updates to publish")
    if story.published and story.published[-1] == story.version:
        raise RefusedInput(f"nothing changed since version {len(story.published)}")


def _check_registry_rule(registry: Any, event: Any) -> None:
    from storylog.domain.sources import source_key

    source, into = source_key(event.payload.source), source_key(event.payload.into)
    if registry.resolve(source) == registry.resolve(into):
        raise RefusedInput(f"{event.payload.source!r} and {event.payload.into!r} are "
                           "already one source")
    if registry.resolve(into) == source:
        raise RefusedInput(f"{event.payload.into!r} was merged into {event.payload.source!r}")
