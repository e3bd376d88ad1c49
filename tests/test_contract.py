"""The stored-event contract in events/: generated schemas and sample streams."""

from __future__ import annotations

import json

import jsonschema
import pytest

from storylog.contract import all_schemas, sample_event
from tests.conftest import REPO

EVENTS = REPO / "events"
SAMPLES = sorted((EVENTS / "samples").glob("*.ndjson"))


def test_schemas_in_events_are_generated_from_the_models():
    generated = all_schemas()
    on_disk = {p.name: p.read_bytes() for p in EVENTS.glob("*.schema.json")}
    assert on_disk.keys() >= generated.keys(), "run: python -m storylog.contract events"
    for name, data in generated.items():
        assert on_disk[name] == data, f"{name} is stale; run: python -m storylog.contract events"


def test_there_are_sample_streams():
    assert SAMPLES


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_line_validates_against_its_schema(sample):
    for number, raw in enumerate(sample.read_text().splitlines(), start=1):
        name, event = sample_event(json.loads(raw))
        schema = json.loads((EVENTS / name).read_text())
        try:
            jsonschema.validate(event, schema)
        except jsonschema.ValidationError as error:
            pytest.fail(f"{sample.name} line {number} breaks {name}: {error.message}")


def test_a_sample_line_that_breaks_its_schema_is_caught():
    raw = (SAMPLES[0].read_text().splitlines())[1]
    name, event = sample_event(json.loads(raw))
    event["payload"]["content"]["body"] = 42
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(event, json.loads((EVENTS / name).read_text()))


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_stream_verifies(sample):
    from storylog.store.transfer import parse_lines, rows_of

    rows_of(parse_lines(sample.read_bytes().splitlines()))  # raises if a chain is broken
