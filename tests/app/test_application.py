"""The application on both stores: every test here runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from storylog.app.archive import Archive
from storylog.app.commands import add_update, edit_update, publish, retract_update
from storylog.app.service import StoryApp
from storylog.domain.payloads import StoryOpenedPayload
from storylog.store.verify import check_all
from tests.conftest import Cli


def opened(app: StoryApp, slug: str = "s") -> StoryApp:
    app.open_story(StoryOpenedPayload(slug=slug, headline="Pokrovsk", tz="Europe/Kyiv"),
                   editor="ana")
    return app


def test_published_version_shows_what_readers_saw_then(cli: Cli):
    cli.ok("new", "s", "--headline", "Pokrovsk")
    cli.ok("add", "s", "--id", "u1", "--stamp", "2025-11-04 12:21", "--text", "About 80%.",
           "--source", "Julian Röpcke,kind=analyst,via=Bild")
    assert cli.ok("publish", "s").strip() == "1"
    cli.ok("edit", "s", "u1", "--kind", "correction", "--reason", "misread",
           "--note", "We said 80%; he said 85%.", "--text", "About 85%.")
    cli.ok("add", "s", "--id", "u2", "--stamp", "2025-11-05 14:00", "--text", "Bild fears.")
    assert cli.ok("publish", "s").strip() == "2"

    v1 = json.loads(cli.ok("show", "s", "--version", "1", "--json"))
    v2 = json.loads(cli.ok("show", "s", "--version", "2", "--json"))
    assert [u["body"] for u in v1["updates"]] == ["About 80%."]
    assert [u["id"] for u in v2["updates"]] == ["u2", "u1"]  # newest first
    assert v2["updates"][1]["body"] == "About 85%."
    assert v2["updates"][1]["notes"][0]["note"] == "We said 80%; he said 85%."
    assert v2["updates"][1]["sources"][0]["via"] == "Bild"
    assert {"slug", "headline", "version", "updates"} <= v2.keys()
    assert {"id", "stamp", "body", "sources", "status", "retracted"} <= v2["updates"][0].keys()


def test_retracted_update_stays_in_the_story_with_its_notice(cli: Cli):
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "u1", "--text", "A claim.")
    cli.ok("retract", "s", "u1", "--reason", "footage from 2023", "--note", "Withdrawn.")
    update = json.loads(cli.ok("show", "s", "--json"))["updates"][0]
    assert (update["retracted"], update["retraction"]["note"], update["body"]) == (
        True, "Withdrawn.", "A claim.")
    log = json.loads(cli.ok("log", "s", "--json"))
    assert log[-1]["event"] == "UpdateRetracted"
    assert log[-1]["reason"] == "footage from 2023"


def test_log_of_one_update_lists_only_its_events(cli: Cli):
    cli.ok("new", "s", "--headline", "H")
    cli.ok("add", "s", "--id", "u1", "--text", "One.")
    cli.ok("add", "s", "--id", "u2", "--text", "Two.")
    cli.ok("edit", "s", "u1", "--kind", "copy-edit", "--reason", "style", "--text", "One!")
    entries = json.loads(cli.ok("log", "s", "--update", "u1", "--json"))
    assert [(e["event"], e.get("kind")) for e in entries] == [
        ("UpdateAdded", None), ("UpdateEdited", "copy-edit")]
    assert entries[1]["editor"] == "ana" and entries[1]["changed"] == ["body"]


def test_story_loaded_from_snapshots_equals_a_full_replay(app: StoryApp):
    opened(app)
    for i in range(130):
        add_update(app, "s", body=f"Update {i}.", editor="ana")
    edit_update(app, "s", "u7", kind="correction", reason="r", note="Fixed.", body="Fixed 7.",
                editor="bo")
    assert app.snapshots is not None
    assert list(app.snapshots.get(app.story("s").id))  # snapshots were taken
    from_snapshot = app.story("s")
    events = [app.event_of(row) for row in app.story_rows("s")]
    story = None
    for event in events:
        story = event.mutate(story)
    assert story is not None
    from storylog.projections.story_view import story_view

    assert story_view(story) == story_view(from_snapshot)
    assert story.updates == from_snapshot.updates  # contents opened by story_view
    assert from_snapshot.update("u7").content.body == "Fixed 7."


def test_update_text_is_never_stored_in_clear(app: StoryApp):
    opened(app)
    add_update(app, "s", body="A secret-ish sentence about Pokrovsk.",
               sources=[{"name": "Officer K", "kind": "anonymous", "confidential": True}],
               editor="ana")
    for _ in range(60):  # enough to take a snapshot too
        edit_update(app, "s", "u1", kind="update", reason="r", status="verified"
                    if _ % 2 == 0 else "unverified", editor="ana")
    rows = b"".join(r.state for r in app.story_rows("s"))
    snapshots = b"".join(s.state for s in app.snapshots.recorder.select_events(app.story("s").id))
    for raw in (rows, snapshots):
        assert b"secret-ish" not in raw and b"Officer K" not in raw
    assert app.story("s").update("u1").content.body.startswith("A secret-ish")


def test_destroying_an_update_key_erases_its_text_and_the_chain_still_verifies(app: StoryApp):
    opened(app)
    add_update(app, "s", body="Keep me.", editor="ana")
    add_update(app, "s", body="Erase me.", editor="ana")
    edit_update(app, "s", "u2", kind="copy-edit", reason="r", body="Erase me too.", editor="ana")
    key = f"{app.story('s').id}/u2"
    app.sql.execute("DELETE FROM storylog_keys WHERE key_id = ?", (key,))
    fresh = StoryApp(app.db)
    story = fresh.story("s")
    assert story.update("u2").content is None
    assert story.update("u1").content.body == "Keep me."
    assert all(report.ok for report in check_all(Archive(fresh).chains()))


def test_published_version_pins_the_previous_event_hash(app: StoryApp):
    opened(app)
    add_update(app, "s", body="One.", editor="ana")
    assert publish(app, "s", editor="ana") == 1
    story = app.story("s")
    import orjson

    rows = app.story_rows("s")
    assert story.published == [rows[-1].originator_version]
    assert orjson.loads(rows[-1].state)["payload"]["head"] == orjson.loads(rows[-2].state)["hash"]


def test_rerun_with_the_same_command_id_does_not_write_twice(app: StoryApp):
    opened(app)
    first = add_update(app, "s", body="Once.", editor="ana", command_id="cmd-1")
    again = add_update(app, "s", body="Once.", editor="ana", command_id="cmd-1")
    assert first == again
    assert len(app.story("s").order) == 1
    retract_update(app, "s", first, reason="r", note="n", editor="ana", command_id="cmd-2")
    assert retract_update(app, "s", first, reason="r", note="n", editor="ana",
                          command_id="cmd-2") == 2
    assert publish(app, "s", editor="ana", command_id="cmd-3") == 1
    assert publish(app, "s", editor="ana", command_id="cmd-3") == 1
    assert app.story("s").version == 4


def test_stories_lists_every_story(cli: Cli):
    cli.ok("new", "a", "--headline", "A")
    cli.ok("new", "b", "--headline", "B")
    cli.ok("add", "b", "--text", "x")
    listed = json.loads(cli.ok("stories", "--json"))
    assert [(s["slug"], s["updates"]) for s in listed] == [("a", 0), ("b", 1)]


def test_stamp_defaults_to_now_in_the_story_zone(cli: Cli):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    cli.ok("new", "s", "--headline", "H", "--tz", "Asia/Tokyo")
    cli.ok("add", "s", "--text", "x")
    stamp = json.loads(cli.ok("show", "s", "--json"))["updates"][0]["stamp"]
    now = datetime.now(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None)
    assert abs((datetime.fromisoformat(stamp) - now).total_seconds()) < 120
