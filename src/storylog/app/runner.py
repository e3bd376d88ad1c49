"""The command runner: the one way an editor's command reaches the event log.

Every write goes through ``saved``: it runs the command on the newest state, saves what
the command triggered, and when another writer saved first (the log refuses a second
event at the same story position) runs it all again, after a short jittered pause, so
that racing writers stop colliding. An add then simply lands after the other change,
while a change based on what the editor saw is refused as a conflict if that moved on.

A change to a story goes through ``run``, which adds what every such command needs:
- the editor's name is checked where it enters;
- what the editor saw (an update's revision, the story's position) is noted on the
  first load, and the change is based on it, unless the editor said what they saw;
- a command id already applied is never written twice: a re-run checks that it asks
  for the change it made then (``app.rerun``) and answers what it answered then; an id
  the story has forgotten (it keeps the last 1,000) is found in the read models.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from eventsourcing.application import Application
from pydantic import BaseModel

from storylog.app.rerun import different_change, same_as_before
from storylog.domain.story import Story
from storylog.errors import Conflict, RefusedInput
from storylog.store.eventlog import WrittenMeanwhile

if TYPE_CHECKING:
    from storylog.app.service import StoryApp

T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)
RETRIES = 100
# What a story remembers of a recent command id (``Story.done_by``): (update id,
# revision) for a change to an update, ("", version) for one to the story.
Done = tuple[str, int]


def retried(attempt: Callable[[], T], *, lost: Callable[[Exception], bool],
            tries: int = RETRIES, pause: Callable[[int], float] | None = None) -> T:
    """``attempt()``, run again while it fails with an error that ``lost`` says is a race
    lost to another process (after ``pause(n)`` seconds, n = the attempts so far); the
    last such error is raised after ``tries`` attempts."""
    pause = pause or _jittered
    made = 1
    while True:
        try:
            return attempt()
        except Exception as error:
            if made >= tries or not lost(error):
                raise
        time.sleep(pause(made))
        made += 1


def _jittered(made: int) -> float:
    return random.uniform(0, 0.002 * min(made, 20))


def saved(app: Application[Any], attempt: Callable[[], tuple[Any, T]], *, too_fast: str) -> T:
    """Run ``attempt`` (it loads the newest state and returns the aggregate it changed,
    or None to write nothing, with its answer) and save the aggregate's new events, all
    over again whenever another writer saved first. Gives up with a Conflict saying
    ``too_fast`` after RETRIES races lost in a row."""

    def once() -> T:
        aggregate, answer = attempt()
        if aggregate is not None and aggregate.pending_events:
            app.save(aggregate)
        return answer

    try:
        return retried(once, lost=lambda error: isinstance(error, WrittenMeanwhile))
    except WrittenMeanwhile:
        raise Conflict(too_fast) from None


@dataclass(frozen=True)
class Change(Generic[P, T]):
    """An editor's change to one story, told to the runner in parts, so that it can be
    made again on the newest story after a race, and compared when it is run again."""

    records: type[Story.Event]  # the event it writes
    asked: Callable[[Story, int], P]  # the change asked for, as that event's payload
    make: Callable[[Story, P, int, str], T]  # make it (story, payload, base, command id)
    answered: Callable[[Done], T]  # what it answered when it was made, for a re-run
    saw: Callable[[Story], int] = lambda story: story.version  # what the editor saw
    based_on: int | None = None  # what the editor said they saw (default: ``saw``)
    about: str | None = None  # the update a re-run must be about
    left_out: frozenset[str] = frozenset()  # payload fields a re-run may differ in


def run(app: StoryApp, slug: str, change: Change[Any, T], *, editor: str,
        command_id: str = "") -> T:
    """Make ``change`` on the latest story and save it, once per command id."""
    check_editor(editor)
    if command_id:
        _refuse_forgotten(app, slug, command_id)
    cid = command_id or new_command_id()
    seen: list[int] = []  # on the first load

    def attempt() -> tuple[Story, T]:
        story = app.story(slug)
        return story, _made(app, slug, story, change, cid, seen)

    return saved(app, attempt, too_fast=f"{slug} is changing too fast to save; try again")


def _made(app: StoryApp, slug: str, story: Story, change: Change[Any, T], cid: str,
          seen: list[int]) -> T:
    done = story.done_by(cid)
    if done is not None and change.about is not None and done[0] != change.about:
        earlier = app.recorded(slug, cid)
        raise different_change(slug, cid, earlier[0].originator_version if earlier else 0,
                               f"it changed {done[0] or 'the story'}, not {change.about}")
    if not seen:
        seen.append(change.saw(story))
    base = change.based_on if change.based_on is not None else seen[0]
    payload = change.asked(story, base)
    if done is None:
        return change.make(story, payload, base, cid)
    erased = done[0] in story.updates and story.updates[done[0]].content is None
    same_as_before(slug, cid, app.recorded(slug, cid), change.records, payload,
                   ignore=change.left_out | ({"content"} if erased else set()))
    return change.answered(done)


def _refuse_forgotten(app: StoryApp, slug: str, command_id: str) -> None:
    """A command id the story has since forgotten (only the last 1,000 are kept in
    the aggregate) may still be in the read models: never write it twice."""
    if app.story(slug).done_by(command_id) is not None:
        return  # recent: the command itself answers what it did
    found = app.written_by(slug, command_id)
    if found is not None:
        raise RefusedInput(f"command {command_id} was already applied to {slug} "
                           f"(event {found[0]}); it is not written twice")


def check_editor(editor: str) -> None:
    from storylog.domain.values import editor_name

    try:
        if editor_name(editor) != editor:
            raise ValueError(f"the editor name {editor!r} has spaces around it or is not NFC")
    except ValueError as error:
        raise RefusedInput(str(error)) from None


def new_command_id() -> str:
    return uuid.uuid4().hex
