"""Synthetic stories for ``bench/compare.py``, written through storylog's own classes.

Every story is driven through the ``Story`` aggregate's commands (``add_update``,
``edit_update`` with its stealth-edit check, ``retract_update``, ``publish``), so every
event passed storylog's rules; every row is made by storylog's own ``EventMapper``
(content sealed with the update's own key, chained by SHA-256 to the story's previous
event) and inserted by eventsourcing's SQLite recorder, exactly as ``StoryApp.save``
would, with two shortcuts that change no byte of any row:

* Rows are chained as each event is made and inserted in large batches (the app
  saves once per command); a publication pins the hash of the event before it, which
  the chainer already knows.
* Update keys are made in memory and written to ``storylog_keys`` in one statement per
  batch (``KeyStore.key_for`` writes one per transaction).

The hashes are storylog's own (``storylog.store.canonical``: orjson with sorted keys
where that gives RFC 8785's bytes, ``rfc8785`` otherwise). As a check, every
``CHECK_EVERY``-th event is hashed again with the ``rfc8785`` package and must match,
and ``compare.py`` re-verifies stories with storylog's ``check_chain`` in a separate
process.

Only the newest snapshot of a story is written (as ``bench/history.py`` does: the app
would take one every 50 events; a load only reads the newest).

The text generator (``Writer``) is copied from ``bench/history.py`` (another person's
module, still changing), so that this benchmark does not break when it does.
"""

from __future__ import annotations

import hashlib
import random
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import StoredEvent

import storylog.store.canonical as canonical_module
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
from storylog.projections.story_view import story_view, update_view
from storylog.render.story import to_markdown
from storylog.store.mapper import EventMapper
from storylog.store.sealing import KeyStore
from storylog.store.sql import Sql

REPO = Path(__file__).resolve().parent.parent
SEEDS = [REPO.parent / "shared" / "seeds" / "pokrovsk-live.txt",
         REPO / "src" / "storylog" / "data" / "pokrovsk-live.txt"]
SNAPSHOT_INTERVAL = StoryApp.snapshotting_intervals[Story]
CHECK_EVERY = 25  # hash every n-th event with rfc8785 too, and compare
BATCH = 10_000

EDITORS = ["anna.kovalenko", "oleh.marchenko", "night.desk", "j.weber", "standards.desk"]
SOURCES = [
    "Bild", "Le Monde", "Reuters", "The Economist", "Julian Röpcke,kind=analyst,via=Bild",
    "Oliver Carroll,via=The Economist", "Ukraine's General Staff",
    "Andrii Koval,kind=official,via=Ukraine's General Staff", "Volodymyr Zelensky",
    "Deep State,url=https://deepstatemap.live", "Ukrainian officer,via=Le Monde",
    "Army and intelligence sources,via=Bild,confidential", "Social media video",
]
FALLBACK_TEXT = (
    "Russian forces advanced toward the northern outskirts of the city, according to the "
    "General Staff. The footage has not yet been verified. Local officials said supply routes "
    "remained under fire. An officer told Le Monde the situation was very difficult. Analysts "
    "put Russian control of the city at about 85 percent. The General Staff denied reports of "
    "an encirclement. Reuters could not independently confirm the claims."
)
COPY_EDITS = [
    ("toward", "towards"), ("towards", "toward"), ("—", " — "), (" — ", "—"),
    (", and ", " and "), (" and ", ", and "), ("  ", " "), ("situation", "position"),
    ("very ", ""), ("reinforcing", "strengthening"), ("practically", "virtually"),
    ("growing", "mounting"), ("units", "formations"),
]
NOTES = {
    "clarification": "An earlier version could be read as saying the city had fallen.",
    "correction": "An earlier version said 80%; Röpcke put it at 85%.",
    "editors-note": "An earlier version did not include the General Staff's response.",
}


# -- text (copied from bench/history.py) ---------------------------------------------


def sentences() -> list[str]:
    seed = next((p for p in SEEDS if p.exists()), None)
    text = seed.read_text(encoding="utf-8") if seed else FALLBACK_TEXT
    lines = [ln for ln in text.splitlines()
             if ln and not ln.startswith(("Updated", "Last updated"))]
    found = re.split(r"(?<=[.!?”])\s+", " ".join(lines))
    found = [s.strip() for s in found if 20 <= len(s.strip()) <= 400]
    return found or [FALLBACK_TEXT]


class Writer:
    """Bodies of 300-1,500 characters made of the seed story's sentences."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.pool = sentences()
        self.source_specs = [parse_source(s) for s in SOURCES]

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
        return [dict(s) for s in self.rng.sample(self.source_specs, self.rng.randint(1, 3))]

    def fit(self, text: str) -> str:
        while len(text) < 300:
            text = f"{text} {self.rng.choice(self.pool)}"
        if len(text) > 1500:
            text = text[:1500].rsplit(" ", 1)[0].rstrip(",;:")
        return text

    def copy_edit(self, old: str) -> str | None:
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
        new = f"{old} {self.rng.choice(self.pool)}"
        while len(new) > 1500:
            cut = new.find(". ")
            if not 0 < cut < len(new) - 300:
                break
            new = new[cut + 2:]
        return self.fit(new)

    def rewrite(self, old: str) -> str:
        parts = re.split(r"(?<=\.)\s+", old)
        parts[self.rng.randrange(len(parts))] = self.rng.choice(self.pool)
        new = self.fit(" ".join(parts))
        return new if new != old else self.body()


# -- the mix ---------------------------------------------------------------------------


@dataclass
class Mix:
    """What a story's changes are made of.

    ``adds`` updates are added, spread evenly over the story (the first change is
    always an add); one change in ``publish_every + 1`` is a publication; about one
    event in ``retract_per`` is a retraction; every other change edits an existing
    update, of a kind drawn from ``edit_kinds``. ``focus`` names an update that gets
    exactly ``focus_edits`` of the edits.
    """

    adds: int
    publish_every: int = 10
    retract_per: int = 1000
    edit_kinds: tuple[tuple[str, int], ...] = (
        ("update", 40), ("copy-edit", 20), ("correction", 20), ("clarification", 12),
        ("editors-note", 8),
    )
    focus: str | None = None
    focus_edits: int = 0


def plan_events(adds: int, edits: int, publish_every: int) -> int:
    """The story length that holds ``adds`` adds and ``edits`` edits (and publications)."""
    changes = adds + edits
    return 1 + changes + changes // publish_every


# -- storage shortcuts (identical rows) ----------------------------------------------------


class BulkKeyStore(KeyStore):
    """Keys made in memory and written in one statement per batch (same rows)."""

    def __init__(self, sql: Sql):
        super().__init__(sql)
        self.pending: list[tuple[str, bytes]] = []

    def key_for(self, key_id: str) -> bytes:
        secret = self._cache.get(key_id)
        if secret is None:
            secret = AESGCM.generate_key(bit_length=256)
            self._cache[key_id] = secret
            self.pending.append((key_id, secret))
        return secret

    def prepare(self, key_ids: list[str]) -> None:
        for k in key_ids:
            self.key_for(k)

    def flush(self) -> None:
        if self.pending:
            with self.sql.transaction() as c:
                c.executemany("INSERT INTO storylog_keys (key_id, secret) VALUES (?, ?) "
                              "ON CONFLICT (key_id) DO NOTHING", self.pending)
            self.pending = []


class GenApp(StoryApp):
    """StoryApp with the bulk key store; snapshots are left to the generator."""

    keys: BulkKeyStore

    def construct_mapper(self) -> EventMapper:
        datastore = self.factory.datastore  # type: ignore[attr-defined]
        self.sql = Sql(datastore, postgres=False)
        self.keys = BulkKeyStore(self.sql)
        return EventMapper(self.keys)

    def _take_snapshots(self, processing_event: Any) -> None:
        return None


def exact_canonical(value: Any) -> bytes:
    import rfc8785

    return rfc8785.dumps(value)


def fast_canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def use_canonical(which: str | None) -> None:
    """Force "fast" (orjson, sorted keys) or "exact" (rfc8785) canonical JSON in this
    process; None leaves storylog's own choice."""
    if which is not None:
        canonical_module.canonical = (  # type: ignore[assignment]
            fast_canonical if which == "fast" else exact_canonical)


def exact_hash(row: StoredEvent) -> tuple[str, str]:
    """(stored hash, the hash recomputed with rfc8785) of one row."""
    record = orjson.loads(row.state)
    hashed = {k: v for k, v in record.items() if k != "hash"}
    hashed.update(type=row.topic, story=str(row.originator_id),
                  position=row.originator_version)
    return record["hash"], hashlib.sha256(exact_canonical(hashed)).hexdigest()


class Chainer:
    """Chains events into rows as they are made; inserts them in batches."""

    def __init__(self, app: GenApp, batch: int = BATCH, check_every: int = CHECK_EVERY):
        self.app = app
        self.batch = batch
        self.check_every = check_every
        self.heads: dict[uuid.UUID, str] = {}
        self.rows: list[StoredEvent] = []
        self.count = 0
        self.checked = 0

    def add(self, event: Any) -> str:
        prev = self.heads.get(event.originator_id, canonical_module.GENESIS)
        mapper = cast(EventMapper, self.app.mapper)
        row = mapper.chained(event, prev)
        head = orjson.loads(row.state)["hash"]
        self.heads[event.originator_id] = head
        self.rows.append(row)
        self.count += 1
        if self.check_every and self.count % self.check_every == 1:
            stored, exact = exact_hash(row)
            if stored != exact:
                raise AssertionError(f"canonical JSON differs from RFC 8785 at {row}")
            self.checked += 1
        if len(self.rows) >= self.batch:
            self.flush()
        return head

    def flush(self) -> None:
        self.app.keys.flush()
        if self.rows:
            self.app.recorder.insert_events(self.rows)
            self.rows = []


# -- the story as Markdown, and git ------------------------------------------------------


def update_block(update: Any) -> bytes:
    """One update as storylog's ``to_markdown`` renders it (its lines, with the blank
    line that ends them)."""
    view = {"headline": "H", "version": None, "standfirst": "", "updates": [update]}
    return to_markdown(view)[len("# H\n\n"):].encode()


class Mirror:
    """The story's working copy as Markdown (``to_markdown(story_view(story))``), kept
    per update so that a change re-renders one update, not the whole story."""

    def __init__(self, headline: str, standfirst: str):
        self.header = f"# {headline}\n\n" + (f"{standfirst}\n\n" if standfirst else "")
        self.blocks: dict[str, bytes] = {}
        self.order: list[str] = []  # newest first: stamps only grow in this generator

    def touch(self, story: Story, uid: str) -> bytes:
        if uid not in self.blocks:
            self.order.insert(0, uid)
        block = update_block(update_view(story.updates[uid]))
        self.blocks[uid] = block
        return block

    def text(self) -> bytes:
        if not self.order:
            return (self.header.rstrip("\n") + "\n").encode()
        return self.header.encode() + b"\n".join(self.blocks[u] for u in self.order)

    def check(self, story: Story) -> None:
        if self.text() != to_markdown(story_view(story)).encode():
            raise AssertionError(f"the Markdown mirror of {story.slug} differs at "
                                 f"position {story.version}")


class FastImport:
    """A ``git fast-import`` process fed one commit per change (publications also tag)."""

    def __init__(self, repo: Path):
        git_init(repo)
        self.repo = repo
        self.proc = subprocess.Popen(
            ["git", "-C", str(repo), "fast-import", "--quiet", "--done"],
            stdin=subprocess.PIPE)
        assert self.proc.stdin is not None
        self.write = self.proc.stdin.write
        self.mark = 0

    def commit(self, who: str, when: int, message: str, files: list[tuple[str, bytes]],
               tag: str | None = None) -> None:
        self.mark += 1
        msg = message.encode()
        person = f"{who} <{who}@newsroom.example> {when} +0000".encode()
        self.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                   % (self.mark, person, person, len(msg), msg))
        if self.mark > 1:
            self.write(b"from :%d\n" % (self.mark - 1))
        for path, data in files:
            self.write(b"M 100644 inline %s\ndata %d\n" % (path.encode(), len(data)))
            self.write(data)
            self.write(b"\n")
        self.write(b"\n")
        if tag:
            self.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (tag.encode(), self.mark))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.write(b"done\n")
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError(f"git fast-import failed in {self.repo}")
        subprocess.run(["git", "-C", str(self.repo), "reset", "-q", "--hard", "main"],
                       check=True)


def git_init(repo: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    for key, value in (("user.name", "bench.editor"), ("user.email", "bench@newsroom.example"),
                       ("commit.gpgsign", "false"), ("core.pager", "cat")):
        subprocess.run(["git", "-C", str(repo), "config", key, value], check=True)


# -- one story -----------------------------------------------------------------------------


@dataclass
class Report:
    slug: str
    events: int = 0
    updates: int = 0
    adds: int = 0
    edits: int = 0
    retractions: int = 0
    publishes: int = 0
    edit_kinds: dict[str, int] = field(default_factory=dict)
    copy_edits_refiled: int = 0
    focus_edits: int = 0
    snapshot_at: int | None = None
    snapshot_bytes: int | None = None
    markdown_bytes: int | None = None
    git_commits: int = 0
    mirror_checks: int = 0
    hash_checks: int = 0
    seconds: float = 0.0


class StoryMaker:
    """Drives one Story through its commands; ``emit`` receives every event."""

    def __init__(self, slug: str, events: int, mix: Mix, seed: int, *,
                 headline: str = "Battle for Pokrovsk: live",
                 head: Callable[[uuid.UUID], str]):
        self.slug = slug
        self.total = events
        self.mix = mix
        self.rng = random.Random(seed)
        self.w = Writer(self.rng)
        self.head = head
        self.report = Report(slug)
        changes = events - 1
        self.publishes_left = changes // (mix.publish_every + 1)
        non_publish = changes - self.publishes_left
        self.retractions_left = events // mix.retract_per if events >= mix.retract_per else 0
        self.adds_left = min(mix.adds, non_publish)
        self.focus_left = min(mix.focus_edits, max(0, non_publish - self.adds_left))
        self.slots_left = non_publish
        self.since_publish = 0
        self.stamp = datetime(2025, 11, 1, 6, 0)
        self.live: list[str] = []
        self.story = Story.open(
            StoryOpenedPayload(
                slug=slug, headline=headline, tz="Europe/Kyiv",
                standfirst="This piece compiles and updates verified information about "
                "events in Pokrovsk. The text will be updated as new information emerges."),
            editor=EDITORS[0], command_id=uuid.uuid4().hex)

    def step(self) -> str:
        """Make the next change; returns the update it touched ('' for none)."""
        story, rng, mix = self.story, self.rng, self.mix
        editor = rng.choice(EDITORS)
        cid = uuid.uuid4().hex
        if self.since_publish >= mix.publish_every and self.publishes_left > 0:
            story.publish(head=self.head(story.id), note=rng.choice(
                [None, "Morning update", "Evening update", "New details"]),
                editor=editor, command_id=cid, base_position=story.version)
            self.report.publishes += 1
            self.publishes_left -= 1
            self.since_publish = 0
            return ""
        self.since_publish += 1
        slots = self.slots_left
        self.slots_left -= 1
        draw = rng.random() * slots
        if not self.live or draw < self.adds_left:
            return self._add(editor, cid)
        if (mix.focus in story.updates and self.focus_left > 0
                and draw < self.adds_left + self.focus_left):
            self.focus_left -= 1
            self.report.focus_edits += 1
            return self._edit(mix.focus, editor, cid)
        candidates = [u for u in self.live if u != mix.focus] or self.live
        if (self.retractions_left > 0 and len(candidates) > 2
                and rng.random() < self.retractions_left / slots):
            uid = candidates[rng.randrange(len(candidates) - 1)]  # never the newest
            self.live.remove(uid)
            story.retract_update(UpdateRetractedPayload(
                update_id=uid, base_revision=story.updates[uid].revision,
                reason="the video is older than reported",
                note="This update has been withdrawn: the footage was older than reported."),
                editor=editor, command_id=cid)
            self.retractions_left -= 1
            self.report.retractions += 1
            return uid
        recent = candidates[-50:]
        uid = rng.choice(recent) if rng.random() < 0.7 else rng.choice(candidates)
        return self._edit(uid, editor, cid)

    def _add(self, editor: str, cid: str) -> str:
        self.stamp += timedelta(minutes=self.rng.randint(1, 30))
        payload = UpdateAddedPayload(
            update_id=self.story.next_update_id(), stamp=self.stamp.strftime("%Y-%m-%d %H:%M"),
            status=Status.UNVERIFIED, key_event=self.rng.random() < 0.05,
            content=UpdateContent.model_validate(
                {"body": self.w.body(), "sources": self.w.sources(), "media": []}))
        self.story.add_update(payload, editor=editor, command_id=cid)
        self.live.append(payload.update_id)
        self.adds_left -= 1
        self.report.adds += 1
        return payload.update_id

    def _edit(self, uid: str, editor: str, cid: str) -> str:
        story, rng, w = self.story, self.rng, self.w
        update = story.updates[uid]
        old = update.content
        assert old is not None
        kinds = self.mix.edit_kinds
        kind = rng.choices([k for k, _ in kinds], [wt for _, wt in kinds])[0]
        status = None
        note = None
        body = w.copy_edit(old.body) if kind == "copy-edit" else None
        if kind == "copy-edit" and body is None:
            kind = "update"
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
            note = NOTES[kind]
        while body is not None and body.strip() == old.body:
            body = w.body()

        def edit(kind: str, body: str | None) -> None:
            story.edit_update(UpdateEditedPayload(
                update_id=uid, base_revision=update.revision, kind=ChangeKind(kind),
                reason=reason, note=note, status=status,
                content=None if body is None else ContentChange.model_validate({"body": body})),
                editor=editor, command_id=cid)

        try:
            edit(kind, body)
        except RefusedInput:
            if kind != "copy-edit":
                raise
            # The stealth-edit policy saw a fact change in this tidy-up of a published
            # update: file it as an update, as an editor would.
            kind, reason, body = "update", "new information", w.extend(old.body)
            while body.strip() == old.body:
                body = w.body()
            edit(kind, body)
            self.report.copy_edits_refiled += 1
        self.report.edits += 1
        self.report.edit_kinds[kind] = self.report.edit_kinds.get(kind, 0) + 1
        return uid


def describe(event: Any, uid: str) -> str:
    kind = getattr(event.payload, "kind", None)
    what = type(event).__name__ + (f" {uid}" if uid else "")
    if kind is not None:
        what += f" [{kind.value}]"
    version = getattr(event.payload, "version", None)
    if version is not None and type(event).__name__ == "VersionPublished":
        what += f" v{version}"
    lines = [what, ""]
    for label in ("reason", "note"):
        value = getattr(event.payload, label, None)
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines) + "\n"


def build_story(db: str, slug: str, events: int, mix: Mix, *, seed: int = 1,
                git: str | None = None, layout: str = "story",
                mirror_checks: int = 4, snapshot: bool = True,
                log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Write one story of exactly ``events`` events; optionally its git twin.

    ``layout`` "story": one commit per change of ``story.md`` (the whole story's
    Markdown after the change); "updates": one file per update, ``updates/ID.md``.
    A publication is an empty commit tagged ``vN``.
    """
    started = time.perf_counter()
    app = GenApp(db)
    chainer = Chainer(app)
    maker = StoryMaker(slug, events, mix, seed, head=lambda sid: chainer.heads[sid])
    story = maker.story
    report = maker.report
    mirror = Mirror(story.headline, story.standfirst) if git else None
    fast = FastImport(Path(git)) if git else None
    snapshot_at = (events // SNAPSHOT_INTERVAL) * SNAPSHOT_INTERVAL if snapshot else 0
    check_at = {events} | {round(events * k / mirror_checks) for k in range(1, mirror_checks)}
    uid = ""
    while True:
        for event in cast(list[Any], story.collect_events()):
            chainer.add(event)
            if fast is not None and mirror is not None:
                files: list[tuple[str, bytes]] = []
                if uid:
                    block = mirror.touch(story, uid)
                    if layout == "story":
                        files = [("story.md", mirror.text())]
                    else:
                        files = [(f"updates/{uid}.md", block)]
                elif story.version == 1:
                    files = ([("story.md", mirror.text())] if layout == "story" else
                             [("README.md", mirror.header.encode())])
                tag = (f"v{event.payload.version}"
                       if type(event).__name__ == "VersionPublished" else None)
                fast.commit(event.editor, int(event.timestamp.timestamp()),
                            describe(event, uid), files, tag)
                report.git_commits += 1
                if story.version in check_at:
                    mirror.check(story)
                    report.mirror_checks += 1
            if story.version == snapshot_at:
                chainer.flush()
                report.snapshot_at = snapshot_at
                report.snapshot_bytes = put_snapshot(app, story)
        if story.version >= events:
            break
        uid = maker.step()
        if log and story.version % 20_000 == 0:
            log(f"  {slug}: {story.version:,} / {events:,} events "
                f"({time.perf_counter() - started:.0f} s)")
    chainer.flush()
    if fast is not None and mirror is not None:
        fast.close()
        report.markdown_bytes = len(mirror.text())
    report.events = story.version
    report.updates = len(story.updates)
    report.hash_checks = chainer.checked
    app.close()
    report.seconds = time.perf_counter() - started
    assert story.id == story_id(slug) and report.events == events
    return vars(report)


def put_snapshot(app: StoryApp, story: Story) -> int:
    """The newest snapshot, as ``take_snapshot`` would make it; its stored size."""
    assert app.snapshots is not None
    app.snapshots.put([Story.Snapshot.take(story)])
    rows = app.snapshots.recorder.select_events(story.id, desc=True, limit=1)
    return len(rows[0].state)


# -- many stories: a wire of them, for the rebuild -----------------------------------------


def retarget(event: Any, sid: uuid.UUID, slug: str, prev: str, shift: timedelta) -> Any:
    """The same event in another story: its id, slug, time, command id and the head a
    publication pins change; the chainer then seals and chains it afresh."""
    state = dict(event.__dict__)
    state["originator_id"] = sid
    state["timestamp"] = event.timestamp + shift
    state["command_id"] = uuid.uuid4().hex
    name = type(event).__name__
    if name == "Opened":
        state["payload"] = event.payload.model_copy(update={"slug": slug})
    elif name == "VersionPublished":
        state["payload"] = event.payload.model_copy(update={"head": prev})
    copy = object.__new__(type(event))
    object.__setattr__(copy, "__dict__", state)
    return copy


def build_many(db: str, stories: int, events: int, *, bases: int = 10, seed: int = 7,
               log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``stories`` stories of ``events`` events each, "mostly adds".

    ``bases`` of them are driven through the Story's commands; the rest are copies of
    those bases under other slugs, every event re-sealed (new keys) and re-chained by
    storylog's mapper, so that each story's chain is its own and verifies.
    """
    started = time.perf_counter()
    bases = max(1, min(bases, stories))
    app = GenApp(db)
    chainer = Chainer(app)
    mix = Mix(adds=round((events - 1) * 0.55), publish_every=10, retract_per=400)
    base_events: list[list[Any]] = []
    reports = []
    for b in range(bases):
        maker = StoryMaker(f"wire-{b:04d}-0000", events, mix, seed + b,
                           headline=f"Live: story {b}", head=lambda sid: chainer.heads[sid])
        made: list[Any] = []
        while True:
            for event in maker.story.collect_events():
                chainer.add(event)
                made.append(event)
            if maker.story.version >= events:
                break
            maker.step()
        base_events.append(made)
        reports.append(vars(maker.report) | {"events": maker.story.version,
                                             "updates": len(maker.story.updates)})
    per_base = -(-stories // bases)
    written = bases
    for r in range(1, per_base):
        for b in range(bases):
            if written >= stories:
                break
            slug = f"wire-{b:04d}-{r:04d}"
            sid = story_id(slug)
            shift = timedelta(minutes=r)
            prev = canonical_module.GENESIS
            for event in base_events[b]:
                prev = chainer.add(retarget(event, sid, slug, prev, shift))
            written += 1
            if log and written % 100 == 0:
                log(f"  {written:,} / {stories:,} stories "
                    f"({time.perf_counter() - started:.0f} s)")
    chainer.flush()
    app.close()
    kinds: dict[str, int] = {}
    for rep in reports:
        for k, v in rep["edit_kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    return {
        "stories": written, "events_per_story": events, "events": chainer.count,
        "bases": bases, "hash_checks": chainer.checked,
        "base_mix": {k: sum(rep[k] for rep in reports) for k in
                     ("adds", "edits", "retractions", "publishes", "copy_edits_refiled")}
        | {"edit_kinds": kinds, "updates_per_story": reports[0]["updates"]},
        "seconds": time.perf_counter() - started,
    }
