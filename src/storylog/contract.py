"""The stored-event contract: JSON Schemas generated from the payload models.

``python -m storylog.contract`` rewrites ``events/*.schema.json``; a test
regenerates them and compares, so the files are never edited by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from storylog.domain.payloads import UpdateEditedPayloadV1, VersionPublishedPayloadV1
from storylog.domain.registry import SourceRegistry, SourcesMergedPayloadV1
from storylog.domain.story import Story

EVENT_CLASSES: tuple[type[Any], ...] = (
    Story.Opened,
    Story.DetailsChanged,
    Story.UpdateAdded,
    Story.UpdateEdited,
    Story.UpdateRetracted,
    Story.UpdateTakenDown,
    Story.CorrectionReviewed,
    Story.VersionPublished,
    SourceRegistry.Opened,
    SourceRegistry.SourcesMerged,
)

# Payload models of class versions that are no longer current, kept because rows of
# those shapes are stored forever (and their schemas stay in events/).
PAST_VERSIONS: dict[tuple[type[Any], int], type[BaseModel]] = {
    (Story.UpdateEdited, 1): UpdateEditedPayloadV1,
    (Story.VersionPublished, 1): VersionPublishedPayloadV1,
    (SourceRegistry.SourcesMerged, 1): SourcesMergedPayloadV1,
}


def schema_name(cls: type[Any], version: int | None = None) -> str:
    version = version or getattr(cls, "class_version", 1)
    prefix = "" if cls.__qualname__.startswith("Story.") else "SourceRegistry."
    return f"{prefix}{cls.__name__}.v{version}.schema.json"


def event_schema(
    cls: type[Any], version: int | None = None, model: type[BaseModel] | None = None
) -> dict[str, Any]:
    version = version or getattr(cls, "class_version", 1)
    payload = (model or cls.payload_model).model_json_schema(mode="validation")
    defs = payload.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_name(cls, version),
        "title": f"storylog {cls.__qualname__} event, class version {version}",
        "description": (cls.__doc__ or "").strip() or None,
        "x-topic": f"{cls.__module__}:{cls.__qualname__}",
        "type": "object",
        "required": ["recorded_at", "editor", "command_id", "payload"],
        "additionalProperties": False,
        "properties": {
            "recorded_at": {"type": "string", "format": "date-time"},
            "editor": {"type": "string", "minLength": 1},
            "command_id": {"type": "string"},
            "payload": payload,
        },
    }
    if defs:
        schema["$defs"] = defs
    return {k: v for k, v in schema.items() if v is not None}


def render(schema: dict[str, Any]) -> bytes:
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def all_schemas() -> dict[str, bytes]:
    schemas = {schema_name(cls): render(event_schema(cls)) for cls in EVENT_CLASSES}
    for (cls, version), model in PAST_VERSIONS.items():
        schemas[schema_name(cls, version)] = render(event_schema(cls, version, model))
    from storylog.transparency import record  # the public record: a stored contract too

    schemas[record.SCHEMA_NAME] = render(record.schema())
    return schemas


def sample_event(line: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """An exported NDJSON line as (schema file name, the object its schema describes)."""
    record = line["record"]
    payload = dict(record["payload"])
    if "sealed" in record:
        payload["content"] = line.get("content")
    qualname = line["topic"].split(":")[-1]
    prefix = "" if qualname.startswith("Story.") else qualname.rsplit(".", 1)[0] + "."
    name = f"{prefix}{qualname.rsplit('.', 1)[-1]}.v{record.get('class_version', 1)}"
    event = {k: record[k] for k in ("recorded_at", "editor", "command_id")}
    return f"{name}.schema.json", {**event, "payload": payload}


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in all_schemas().items():
        path = directory / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "events")
    for path in write(target):
        print(path)
