"""Synthetic, genuine story histories for the benchmark.

A story of N events is built in-process with storylog's own classes: the Story
aggregate's command methods check every rule and trigger the events, and
``StoryApp.save`` writes them through storylog's mapper and chained event store,
so every row is sealed with its update's own key and linked into the hash chain
exactly as the command line would write it. Nothing is written behind storylog's
back.

The mix: about 5% publishes (one every 20 changes), a few retractions (about one
per 1,000 events), and adds spread evenly over the story until it holds
``max_updates`` updates (2,000 by default: a long live story); every other event
is an edit of an existing update (copy-edit, update, clarification, correction,
editor's note; a note whenever the kind needs one). Bodies are 300-1,500
characters, made of sentences from the seed story when it is present.

One deliberate shortcut: the real application takes a snapshot every 50
events, each built by replaying the store and holding every update's whole
revision history. Taking all of those would cost minutes and gigabytes for a
100,000-event story, and a later command only ever reads the newest one, so the
generator skips the intermediate snapshots and writes just the newest one (at
the last multiple of 50), from the aggregate in memory, through storylog's own
snapshot mapper. ``BuildReport`` says how big that snapshot is, so the cost of
the skipped ones can be estimated. When the application keeps read models
(``StoryApp.catch_up``), they are brought up to date at the end, as the command
line does after each write.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from storylog.app.service import StoryApp
from storylog.cli.options import parse_source
from storylog.domain.payloads import (
    StoryOpenedPayload,
    UpdateAddedPayload,
    UpdateEditedPayload,
    UpdateRetractedPayload,
)
from storylog.domain.story import Story, story_id
from storylog.domain.values import ChangeKind, ContentChange, Status, UpdateContent
from storylog.errors import RefusedInput

SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds" / "pokrovsk-live.txt"
SNAPSHOT_INTERVAL = StoryApp.snapshotting_intervals[Story]
SAVE_EVERY = 500

EDITORS = ["anna.kovalenko", "oleh.marchenko", "night.desk", "j.weber", "standards.desk"]
SOURCES = [
    "Bild",
    "Le Monde",
    "Reuters",
    "The Economist",
    "Julian Röpcke,kind=analyst,via=Bild",
    "Oliver Carroll,via=The Economist",
    "Ukraine's General Staff",
    "Andrii Koval,kind=official,via=Ukraine's General Staff",
    "Volodymyr Zelensky",
    "Deep State,url=https://deepstatemap.live",
    "Ukrainian officer,via=Le Monde",
    "Army and intelligence sources,via=Bild,confidential",
    "Social media video",
]
FALLBACK_TEXT = (
    "Russian forces advanced toward the northern outskirts of the city, according to the "
    "General Staff. The footage has not yet been verified. Local officials said supply routes "
    "remained under fire. An officer told Le Monde the situation was very difficult. Analysts "
    "put Russian control of the city at about 85 percent. The General Staff denied reports of "
    "an encirclement. Reuters could not independently confirm the claims. Drone units are "
    "reported to be operating along the main road. Civilians were evacuated overnight from "
    "two districts. The mayor urged the remaining residents to leave."
)
# Copy edits of the kind the seed needs: spelling and style, never a fact (no number,
# name, date, negation, attribution or quotation changes).
COPY_EDITS = [
    ("toward", "towards"), ("towards", "toward"), ("—", " — "), (" — ", "—"),
    (", and ", " and "), (" and ", ", and "), ("  ", " "), ("city", "town"),
    ("situation", "position"), ("very ", ""), ("reinforcing", "strengthening"),
    ("practically", "virtually"), ("growing", "mounting"), ("units", "formations"),
]
EDIT_KINDS = [  # (kind, weight)
    ("copy-edit", 40), ("update", 30), ("clarification", 10), ("correction", 15),
    ("editors-note", 5),
]


def sentences() -> list[str]:
    text = SEED.read_text(encoding="utf-8") if SEED.exists() else FALLBACK_TEXT
    lines = [
        ln for ln in text.splitlines() if ln and not ln.startswith(("Updated", "Last updated"))
    ]
    found = re.split(r"(?<=[.!?”])\s+", " ".join(lines))
    found = [s.strip() for s in found if 20 <= len(s.strip()) <= 400]
    return found or [FALLBACK_TEXT]


@dataclass
class BuildReport:
    slug: str
    events: int
    updates: int
    adds: int = 0
    edits: int = 0
    retractions: int = 0
    publishes: int = 0
    edit_kinds: dict[str, int] = field(default_factory=dict)
    copy_edits_refiled: int = 0  # refused by the stealth-edit policy, filed as updates
    body_chars_min: int = 10**9
    body_chars_max: int = 0
    revisions: int = 0
    snapshot_at: int | None = None
    snapshot_bytes: int | None = None
    saves: int = 0
    read_model_catch_up_s: float | None = None
    seconds: float = 0.0
    db_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class GeneratorApp(StoryApp):
    """StoryApp that leaves snapshots to the generator (see the module doc)."""

    def _take_snapshots(self, processing_event: Any) -> None:
        return None


class Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = sentences()

    def body(self, low: int = 300, high: int = 1500) -> str:
        target = self.rng.randint(low, high)
        parts: list[str] = []
        size = 0
        while size < target:
            s = self.rng.choice(self.pool)
            parts.append(s)
            size += len(s) + 1
        return self.fit(" ".join(parts))

    def sources(self) -> list[dict[str, Any]]:
        return [parse_source(s) for s in self.rng.sample(SOURCES, self.rng.randint(1, 3))]

    def fit(self, text: str) -> str:
        """Keep a body within 300-1,500 characters, cutting at a word."""
        while len(text) < 300:
            text = f"{text} {self.rng.choice(self.pool)}"
        if len(text) > 1500:
            text = text[:1500].rsplit(" ", 1)[0].rstrip(",;:")
        return text

    def copy_edit(self, old: str) -> str | None:
        """A style fix that changes no fact, or None if none applies to this text."""
        for a, b in self.rng.sample(COPY_EDITS, len(COPY_EDITS)):
            if a not in old:
                continue
            i = old.find(a, self.rng.randrange(len(old)))
            i = i if i >= 0 else old.find(a)
            new = old[:i] + b + old[i + len(a):]
            if new.strip() != old:
                return new
        return None

    def extend(self, old: str) -> str:
        """An update: one new sentence, the oldest sentence dropped if it grows too long."""
        new = f"{old} {self.rng.choice(self.pool)}"
        while len(new) > 1500:
            cut = new.find(". ")
            if not 0 < cut < len(new) - 300:
                break
            new = new[cut + 2:]
        return self.fit(new)

    def rewrite(self, old: str) -> str:
        """A correction: one sentence replaced by another."""
        parts = re.split(r"(?<=\.)\s+", old)
        parts[self.rng.randrange(len(parts))] = self.rng.choice(self.pool)
        new = self.fit(" ".join(parts))
        return new if new != old else self.body()


def build_story(
    db: str, slug: str, events: int, *, max_updates: int = 2000, seed: int = 1,
    log: Any = None,
) -> BuildReport:
    """Write a story of exactly ``events`` events to the SQLite file ``db``."""
    if events < 2:
        raise ValueError("a story needs at least 2 events (opened, one add)")
    started = time.perf_counter()
    rng = random.Random(seed)
    w = Writer(rng)
    app = GeneratorApp(db)
    report = BuildReport(slug=slug, events=events, updates=0)

    changes_total = events - 1
    publish_every = 20 if events >= 100 else max(3, events // 3)
    publishes_planned = changes_total // (publish_every + 1)
    edits_and_adds = changes_total - publishes_planned
    retractions_left = max(1, events // 1000) if events >= 10 else 0
    adds_left = min(max_updates, max(1, round(0.6 * edits_and_adds)))
    adds_left = min(adds_left, edits_and_adds - retractions_left)
    change_slots_left = edits_and_adds
    snapshot_at = (events // SNAPSHOT_INTERVAL) * SNAPSHOT_INTERVAL or None

    stamp = datetime(2025, 11, 1, 6, 0)
    story = Story.open(
        StoryOpenedPayload(
            slug=slug, headline="Battle for Pokrovsk: live", tz="Europe/Kyiv",
            standfirst="This piece compiles and updates verified information about events in "
            "Pokrovsk. The text will be updated as new information emerges.",
        ),
        editor=EDITORS[0], command_id=uuid.uuid4().hex,
    )
    live: list[str] = []  # updates that can still be edited
    since_publish = 0

    def save() -> None:
        if story.pending_events:
            app.save(story)
            report.saves += 1

    def cid() -> str:
        return uuid.uuid4().hex

    while story.version < events:
        editor = rng.choice(EDITORS)
        if since_publish >= publish_every and publishes_planned > 0:
            save()  # the published head is the stored hash of the event before it
            story.publish(
                head=app.chain.hash_at(story.id, story.version),
                note=rng.choice([None, "Morning update", "Evening update", "New details"]),
                editor=editor, command_id=cid(), base_position=story.version,
            )
            report.publishes += 1
            publishes_planned -= 1
            since_publish = 0
        else:
            since_publish += 1
            must_add = not live
            want_add = must_add or (adds_left > 0 and rng.random() < adds_left / change_slots_left)
            want_retract = (not want_add and retractions_left > 0 and len(live) > 2
                            and rng.random() < retractions_left / change_slots_left)
            change_slots_left -= 1
            if want_add:
                stamp += timedelta(minutes=rng.randint(1, 30))
                text = w.body()
                payload = UpdateAddedPayload(
                    update_id=story.next_update_id(), stamp=stamp.strftime("%Y-%m-%d %H:%M"),
                    status=Status.UNVERIFIED, key_event=rng.random() < 0.05,
                    content=UpdateContent.model_validate(
                        {"body": text, "sources": w.sources(), "media": []}
                    ),
                )
                story.add_update(payload, editor=editor, command_id=cid())
                live.append(payload.update_id)
                adds_left -= 1
                report.adds += 1
                _count_body(report, text)
            elif want_retract:
                uid = live.pop(rng.randrange(len(live) - 1))  # never the newest
                story.retract_update(
                    UpdateRetractedPayload(
                        update_id=uid, base_revision=story.updates[uid].revision,
                        reason="the video is older than reported",
                        note="This update has been withdrawn: the footage was older than "
                        "reported.",
                    ),
                    editor=editor, command_id=cid(),
                )
                retractions_left -= 1
                report.retractions += 1
            else:
                _edit(story, w, rng, live, editor, cid(), report)
        if story.version == snapshot_at:
            save()
            report.snapshot_at = snapshot_at
            report.snapshot_bytes = _snapshot(app, story)
        elif len(story.pending_events) >= SAVE_EVERY:
            save()
        if log and story.version % 10_000 == 0:
            log(f"  {slug}: {story.version:,} / {events:,} events "
                f"({time.perf_counter() - started:.0f} s)")
    save()
    # The command line brings the read models up to date after every write (when the
    # application has them); do the same once, so the first timed command does not pay
    # for folding the whole generated history.
    catch_up = getattr(app, "catch_up", None)
    if callable(catch_up):
        folded = time.perf_counter()
        catch_up()
        report.read_model_catch_up_s = time.perf_counter() - folded
    report.updates = len(story.updates)
    report.revisions = sum(u.revision for u in story.updates.values())
    report.seconds = time.perf_counter() - started
    app.close()
    report.db_bytes = sum(
        p.stat().st_size for p in Path(db).parent.glob(Path(db).name + "*")
    )
    assert story.version == events
    assert story.id == story_id(slug)
    return report


def _edit(
    story: Story, w: Writer, rng: random.Random, live: list[str], editor: str, command_id: str,
    report: BuildReport,
) -> None:
    # Editors mostly touch recent updates, sometimes an old one.
    uid = rng.choice(live[-50:]) if rng.random() < 0.7 else rng.choice(live)
    update = story.updates[uid]
    old = update.content
    assert old is not None
    kind = rng.choices([k for k, _ in EDIT_KINDS], [wt for _, wt in EDIT_KINDS])[0]
    status = None
    note = None
    body = w.copy_edit(old.body) if kind == "copy-edit" else None
    if kind == "copy-edit" and body is None:
        kind = "update"  # nothing to tidy in this text without touching a fact
    if kind == "copy-edit":
        reason = "style"
    elif kind == "update":
        if update.status is Status.UNVERIFIED and rng.random() < 0.3:
            status, body = Status.VERIFIED, None
        else:
            body = w.extend(old.body)
        reason = "new information"
    else:
        body = w.rewrite(old.body)
        reason = "the report was misread"
        note = {
            "clarification": "An earlier version could be read as saying the city had fallen.",
            "correction": "An earlier version said 80%; Röpcke put it at 85%.",
            "editors-note": "An earlier version did not include the General Staff's response.",
        }[kind]
    while body is not None and body.strip() == old.body:
        body = w.body()

    def edit(kind: str, body: str | None) -> None:
        story.edit_update(
            UpdateEditedPayload(
                update_id=uid, base_revision=update.revision, kind=ChangeKind(kind),
                reason=reason, note=note, status=status,
                content=None if body is None else ContentChange.model_validate({"body": body}),
            ),
            editor=editor, command_id=command_id,
        )

    try:
        edit(kind, body)
    except RefusedInput:
        if kind != "copy-edit":
            raise
        # storylog's stealth-edit policy saw a fact change in this tidy-up of a
        # published update: file it as an update instead, as an editor would.
        kind, reason, body = "update", "new information", w.extend(old.body)
        edit(kind, body)
        report.copy_edits_refiled += 1
    report.edits += 1
    report.edit_kinds[kind] = report.edit_kinds.get(kind, 0) + 1
    if body is not None:
        _count_body(report, body)


def _count_body(report: BuildReport, text: str) -> None:
    report.body_chars_min = min(report.body_chars_min, len(text))
    report.body_chars_max = max(report.body_chars_max, len(text))


def _snapshot(app: StoryApp, story: Story) -> int:
    """The newest snapshot, as ``take_snapshot`` would make it; returns its stored size."""
    assert app.snapshots is not None
    snapshot = Story.Snapshot.take(story)
    app.snapshots.put([snapshot])
    rows = app.snapshots.recorder.select_events(story.id, desc=True, limit=1)
    return len(rows[0].state)
