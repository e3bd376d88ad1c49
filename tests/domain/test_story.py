"""The Story aggregate's rules, with no database."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from storylog.domain.payloads import (
    StoryOpenedPayload,
    UpdateAddedPayload,
    UpdateEditedPayload,
    UpdateRetractedPayload,
)
from storylog.domain.story import Story, story_id
from storylog.domain.values import ContentChange, Source, UpdateContent
from storylog.errors import Conflict, NotFound, RefusedInput

WHO = {"editor": "ana", "command_id": "c"}


def opened() -> Story:
    return Story.open(StoryOpenedPayload(slug="pokrovsk-live", headline="Pokrovsk"), **WHO)


def added(story: Story, update_id: str = "u1", body: str = "Russian forces hold 85%.") -> Story:
    story.add_update(
        UpdateAddedPayload(
            update_id=update_id, stamp="2025-11-04 12:21",
            content=UpdateContent(body=body, sources=(Source(name="Bild", kind="outlet"),)),
        ),
        **WHO,
    )
    return story


def edit(update_id="u1", base=1, kind="correction", note="We said 80%.", body="85%."):
    return UpdateEditedPayload(
        update_id=update_id, base_revision=base, kind=kind, reason="misread", note=note,
        content=ContentChange(body=body),
    )


def test_story_id_is_derived_from_the_slug():
    assert opened().id == story_id("pokrovsk-live") != story_id("other")


def test_added_update_is_at_revision_one_with_its_content():
    story = added(opened())
    update = story.update("u1")
    assert (update.revision, update.content.body) == (1, "Russian forces hold 85%.")
    assert update.added.action == "added" and update.last.action == "added"


def test_update_id_must_be_unique_in_the_story():
    story = added(opened())
    with pytest.raises(RefusedInput, match="already used"):
        added(story)


def test_correction_changes_body_and_keeps_public_note():
    story = added(opened())
    story.edit_update(edit(), **WHO)
    update = story.update("u1")
    assert (update.revision, update.content.body, update.last.note) == (2, "85%.", "We said 80%.")


def test_edit_based_on_an_old_revision_is_a_conflict_naming_who_changed_it():
    story = added(opened())
    story.edit_update(edit(), editor="bo", command_id="c2")
    with pytest.raises(Conflict, match="revision 2, not 1: bo made a correction"):
        story.edit_update(edit(body="84%."), **WHO)


@pytest.mark.parametrize("kind", ["clarification", "correction", "editors-note"])
def test_kinds_that_need_a_public_note_refuse_without_one(kind):
    with pytest.raises(ValidationError, match="needs a public note"):
        edit(kind=kind, note=None)


@pytest.mark.parametrize("kind", ["copy-edit", "update"])
def test_kinds_without_public_note_are_accepted(kind):
    assert edit(kind=kind, note=None).note is None


def test_edit_that_changes_nothing_is_refused():
    story = added(opened())
    with pytest.raises(RefusedInput, match="changes nothing"):
        story.edit_update(edit(kind="copy-edit", note=None, body="Russian forces hold 85%."), **WHO)


def test_retracted_update_stays_and_cannot_be_edited():
    story = added(opened())
    story.retract_update(
        UpdateRetractedPayload(update_id="u1", base_revision=1, reason="r", note="Withdrawn."),
        **WHO,
    )
    assert story.update("u1").retracted["note"] == "Withdrawn."
    assert "u1" in story.order
    with pytest.raises(RefusedInput, match="retracted"):
        story.edit_update(edit(base=2), **WHO)


def test_unknown_update_is_not_found():
    with pytest.raises(NotFound):
        opened().edit_update(edit(update_id="nope"), **WHO)


def test_publish_numbers_versions_and_refuses_when_nothing_changed():
    story = added(opened())
    assert story.publish(head="a" * 64, note=None, **WHO) == 1
    with pytest.raises(RefusedInput, match="nothing changed"):
        story.publish(head="b" * 64, note=None, **WHO)
    added(story, "u2")
    assert story.publish(head="c" * 64, note="two", **WHO) == 2
    assert len(story.published) == 2 and story.published == sorted(story.published)


def test_publish_based_on_an_old_position_is_a_conflict():
    story = added(opened())
    with pytest.raises(Conflict, match="moved on"):
        story.publish(head="a" * 64, note=None, base_position=1, **WHO)


def test_publishing_an_empty_story_is_refused():
    with pytest.raises(RefusedInput, match="no updates"):
        opened().publish(head="a" * 64, note=None, **WHO)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": "   "}, "text is empty"),
        ({"body": "x", "media": [{"type": "link", "url": "javascript:alert(1)"}]}, "http"),
        ({"body": "x", "sources": [{"name": "X", "url": "ftp://a.b/c"}]}, "http"),
        ({"body": "a\x00b"}, "control character"),
        ({"body": "x" * 100_001}, "limit"),
    ],
)
def test_bad_content_is_refused_with_what_to_fix(fields, message):
    with pytest.raises(ValidationError, match=message):
        UpdateContent.model_validate(fields)


def test_text_is_normalised_to_nfc():
    decomposed = "Ro\u0308pcke"
    assert UpdateContent(body=decomposed).body == "R\u00f6pcke"


@pytest.mark.parametrize("stamp", ["2025-13-01 10:00", "tomorrow", "0001-01-01 00:00",
                                   "2025-11-04T12:21+02:00"])
def test_bad_stamps_are_refused(stamp):
    with pytest.raises(ValidationError, match="stamp"):
        UpdateAddedPayload(update_id="u1", stamp=stamp, content=UpdateContent(body="x"))


def test_bad_slug_and_zone_are_refused():
    with pytest.raises(ValidationError, match="lower-case"):
        StoryOpenedPayload(slug="Bad Slug", headline="H")
    with pytest.raises(ValidationError, match="time zone"):
        StoryOpenedPayload(slug="ok", headline="H", tz="Mars/Olympus")


def test_snapshot_state_round_trips():
    story = added(added(opened()), "u2")
    story.edit_update(edit(), **WHO)
    state = story.to_state()
    copy = Story.from_state(story.id, story.version, story.modified_on, state)
    assert copy.to_state() == state
    # Snapshots keep where each part of the content was set, not the text itself.
    assert "content" not in state["updates"][0]
    assert state["updates"][0]["content_at"] == {"body": 4, "sources": 2, "media": 2}
