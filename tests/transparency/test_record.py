"""The public record contract: hashes readers can recompute, takedowns that keep every proof."""

from __future__ import annotations

import json

import jsonschema
import orjson
import pytest

from storylog.errors import RefusedInput, VerificationFailed
from storylog.transparency.merkle import Tree, leaf_hash, verify_inclusion
from storylog.transparency.record import (
    SCHEMA_NAME,
    MalformedRecord,
    check_chain,
    commitment,
    derive_salt,
    dumps,
    loads,
    record_bytes,
    record_hash,
    record_leaf,
    withdraw,
)
from tests.conftest import REPO
from tests.transparency.records import SECRET, removed, story, view

SCHEMA = json.loads((REPO / "events" / SCHEMA_NAME).read_text())


def test_a_record_file_round_trips_and_matches_its_schema():
    for published in story():
        data = dumps(published)
        jsonschema.validate(json.loads(data), SCHEMA)
        assert loads(data) == published
        assert published.hash == record_hash(published.record)
        assert record_leaf(published.record) == leaf_hash(record_bytes(published.record))


def test_a_record_that_breaks_the_schema_is_caught_by_both():
    data = json.loads(dumps(story()[0]))
    data["record"]["version"] = "1"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)
    with pytest.raises(MalformedRecord, match=r"record\.version"):
        loads(orjson.dumps(data))


@pytest.mark.parametrize("change", [
    lambda d: d["record"].pop("standfirst"),          # every field is required (null if empty)
    lambda d: d["record"].update(extra=1),             # nothing unknown
    lambda d: d["record"].update(format="storylog.public-record.v2"),
    lambda d: d["record"].update(previous="00" * 32),  # version 1 has no previous record
    lambda d: d["record"].update(published_at="2024-11-01 12:00"),
    lambda d: d["openings"][0]["view"].update(removed={"grounds": "legal",
                                                       "at": "2024-11-06T09:00:00Z"}),
    lambda d: d["openings"][0].update(salt=None),
    lambda d: d["openings"][0]["view"].update(id="u9"),
    lambda d: d["record"]["updates"].append(d["record"]["updates"][0]),
])
def test_records_outside_the_contract_are_refused(change):
    data = json.loads(dumps(story()[0]))
    change(data)
    with pytest.raises(VerificationFailed):
        loads(orjson.dumps(data))


def test_what_readers_see_is_checked_against_the_commitment():
    data = json.loads(dumps(story()[1]))
    data["openings"][1]["view"]["body"] = "Update 2: the line broke."
    with pytest.raises(VerificationFailed, match="update u2 is not what was committed"):
        loads(orjson.dumps(data))
    data = json.loads(dumps(story()[1]))
    data["openings"][0]["view"]["notes"] = []
    data["openings"][0]["view"]["status"] = "verified"
    with pytest.raises(VerificationFailed, match="update u1"):
        loads(orjson.dumps(data))
    data = json.loads(dumps(story()[1]))
    data["openings"].reverse()
    with pytest.raises(VerificationFailed, match="in their order"):
        loads(orjson.dumps(data))
    data = json.loads(dumps(story()[1]))
    data["record"]["headline"] = "Pokrovsk: quiet day"
    with pytest.raises(VerificationFailed, match="hash"):
        loads(orjson.dumps(data))


def test_a_takedown_keeps_the_records_hash_leaf_and_proofs():
    records = story(versions=3)
    tree = Tree(record_leaf(p.record) for p in records)
    proof, root = tree.inclusion_proof(1), tree.root()
    before = records[1]
    after = withdraw(before, "u2", "taken-down", "source-safety", "2024-11-06T09:00:00Z")
    assert after.record == before.record and after.hash == before.hash
    data = dumps(after)
    assert b"Update 2" not in data and derive_salt(SECRET, "pokrovsk-live", 2, "u2").hex() \
        not in data.decode()
    reread = loads(data)
    verify_inclusion(1, 3, record_leaf(reread.record), proof, root)
    [notice] = [o.withdrawn for o in reread.openings if o.withdrawn]
    assert (notice.reason, notice.grounds) == ("taken-down", "source-safety")
    # the versions after the takedown commit to the notice, openly
    assert records[2].openings[1].view == removed("u2")
    with pytest.raises(RefusedInput):
        withdraw(before, "u9", "taken-down", "legal", "2024-11-06T09:00:00Z")
    with pytest.raises(RefusedInput):
        withdraw(before, "u2", "forgotten", None, "2024-11-06T09:00:00Z")


def test_a_story_chain_catches_missing_reordered_and_rewritten_versions():
    records = [p.record for p in story(versions=4)]
    check_chain(records)
    with pytest.raises(VerificationFailed, match="missing or out of order"):
        check_chain([records[0], records[2], records[3]])
    with pytest.raises(VerificationFailed, match="missing or out of order"):
        check_chain([records[0], records[2], records[1], records[3]])
    with pytest.raises(VerificationFailed, match="start at version 1"):
        check_chain(records[1:])
    rewritten = records[1].model_copy(update={"headline": "Rewritten"})
    with pytest.raises(VerificationFailed, match="previous record is not v2"):
        check_chain([records[0], rewritten, *records[2:]])


def test_salts_hide_and_bind():
    a = derive_salt(SECRET, "s", 1, "u1")
    assert a == derive_salt(SECRET, "s", 1, "u1")
    assert len({a, derive_salt(SECRET, "s", 2, "u1"), derive_salt(SECRET, "s", 1, "u2"),
                derive_salt(b"t" * 32, "s", 1, "u1")}) == 4
    assert commitment(a, view("u1")) != commitment(derive_salt(SECRET, "s", 2, "u1"), view("u1"))
    with pytest.raises(RefusedInput):
        derive_salt(b"short", "s", 1, "u1")
