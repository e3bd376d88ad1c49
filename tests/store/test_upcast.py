"""Stored events are forever: an old row is read through its class's upcasters."""

from __future__ import annotations

import orjson
import pytest

from storylog.app.commands import add_update, retract_update
from storylog.app.service import StoryApp
from storylog.domain.payloads import StoryOpenedPayload, UpdateRetractedPayload
from storylog.domain.story import Story
from storylog.store.verify import check_chain


class RetractedV2(UpdateRetractedPayload):
    """Version 2 adds a required field that version-1 rows do not have."""

    grounds: str


def upcast_v1_v2(state: dict) -> None:
    state["payload"]["grounds"] = "editorial"


def test_version_1_row_is_read_back_after_the_class_moves_to_version_2(sqlite_db, monkeypatch):
    app = StoryApp(sqlite_db)
    app.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    add_update(app, "s", body="Claim.", editor="ana")
    retract_update(app, "s", "u1", reason="wrong", note="Withdrawn.", editor="ana")
    old_row = app.story_rows("s")[-1]
    assert orjson.loads(old_row.state)["class_version"] == 1

    monkeypatch.setattr(Story.UpdateRetracted, "class_version", 2, raising=False)
    monkeypatch.setattr(Story.UpdateRetracted, "upcast_v1_v2", staticmethod(upcast_v1_v2),
                        raising=False)
    monkeypatch.setattr(Story.UpdateRetracted, "payload_model", RetractedV2)

    event = StoryApp(sqlite_db).event_of(old_row)
    assert isinstance(event.payload, RetractedV2)
    assert (event.payload.grounds, event.payload.note) == ("editorial", "Withdrawn.")
    story = StoryApp(sqlite_db).story("s")
    assert story.update("u1").retracted["note"] == "Withdrawn."
    assert check_chain("s", app.story_rows("s")).ok


def test_without_the_upcaster_the_old_row_does_not_load(sqlite_db, monkeypatch):
    app = StoryApp(sqlite_db)
    app.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    add_update(app, "s", body="Claim.", editor="ana")
    retract_update(app, "s", "u1", reason="wrong", note="Withdrawn.", editor="ana")
    monkeypatch.setattr(Story.UpdateRetracted, "payload_model", RetractedV2)
    with pytest.raises(Exception, match="grounds"):
        StoryApp(sqlite_db).event_of(app.story_rows("s")[-1])


def test_new_rows_record_the_current_class_version(sqlite_db, monkeypatch):
    monkeypatch.setattr(Story.UpdateRetracted, "class_version", 2, raising=False)
    monkeypatch.setattr(Story.UpdateRetracted, "payload_model", RetractedV2)
    app = StoryApp(sqlite_db)
    app.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    add_update(app, "s", body="Claim.", editor="ana")
    story = app.story("s")
    story.retract_update(
        RetractedV2(update_id="u1", base_revision=1, reason="r", note="n", grounds="legal"),
        editor="ana", command_id="c",
    )
    app.save(story)
    record = orjson.loads(app.story_rows("s")[-1].state)
    assert (record["class_version"], record["payload"]["grounds"]) == (2, "legal")


def test_a_snapshot_stored_with_every_versions_details_still_loads(sqlite_db):
    """Snapshots stored before 2026-11-26 kept each published version's details; now
    they keep its position only. An old one must load, and agree with a replay."""
    import sqlite3

    from storylog.app.archive import Archive
    from storylog.app.commands import publish

    app = StoryApp(sqlite_db)
    app.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    for n in range(30):
        add_update(app, "s", body=f"Claim {n}.", editor="ana")
        publish(app, "s", editor="desk")
    published = app.story("s").published
    assert len(published) == 30 and published == sorted(published)
    with sqlite3.connect(sqlite_db) as conn:
        (state,) = conn.execute("SELECT state FROM stored_snapshots").fetchone()
        record = orjson.loads(state)
        assert record["state"]["published"] == published[:len(record["state"]["published"])]
        record["state"]["versions"] = [
            {"version": k + 1, "position": p, "at": "2026-11-25T10:00:00+00:00",
             "editor": "desk", "head": "0" * 64, "note": None, "command_id": "",
             "checkpoint": None} for k, p in enumerate(record["state"].pop("published"))]
        conn.execute("UPDATE stored_snapshots SET state = ?", (orjson.dumps(record),))
    again = StoryApp(sqlite_db)
    assert again.story("s").published == published
    assert again.story("s").first_published(again.story("s").update("u3")) == 3
    assert Archive(again).derived_problems() == []
