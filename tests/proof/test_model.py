"""Model-based: random sequences of editors' commands against storylog and against a
plain in-memory model of a live story, checked against each other after every step.

The commands (adds; edits of every kind, copy edits with and without --override;
retractions; publications, some held to --position; legal, privacy and source-safety
takedowns; retitles; source merges; and stale edits, retractions and publications,
based on a revision or position someone else has moved on, as a concurrent editor's
would be) run through storylog.app.commands or through the real command line (the Cli
fixture), chosen at random. The model predicts each command's exit code, and after
every step these must agree with it:

- `show --json` (projections.queries.Views) of the working copy and of every published
  version, and the aggregate's own fold (projections.story_view);
- each cited source's timeline, the diff of every two consecutive versions, and the
  corrections audit;
- `verify` (every chain recomputed; through the command line every few steps);
- the read models kept incrementally equal the read models rebuilt from the events.

Merges and erasures are in the mix. Four bugs this suite found (a merge of a source cited
via another losing citations; verify calling rm_citations altered after a merge, and a
snapshot altered after an erasure; a rebuilt rm_sources giving a source an erased update
cited another kind) are fixed, and their tests at the end guard against their return.
Any difference fails.
Merges go through the command line, which resolves names first.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import ValidationError

from storylog.app import commands
from storylog.app.archive import Archive
from storylog.app.service import StoryApp
from storylog.domain.payloads import StoryOpenedPayload
from storylog.domain.sources import source_key
from storylog.domain.stealth import source_findings, text_findings
from storylog.domain.values import Source
from storylog.errors import StorylogError
from storylog.projections.corrections import Filters, corrections
from storylog.projections.diff import version_diff
from storylog.projections.queries import Views
from storylog.projections.story_view import story_view
from storylog.projections.timeline import timeline
from storylog.store.readmodel.schema import TABLES
from storylog.store.verify import check_all
from tests.conftest import Cli, postgres_url
from tests.proof.support import assert_fixed
from tests.store.moves import differences, shown

EXAMPLES = int(os.environ.get("STORYLOG_PROOF_MODEL_EXAMPLES", "500"))
# Shrinking a failure of this machine can take many minutes; STORYLOG_PROOF_SHRINK=1 for it.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("STORYLOG_PROOF_SHRINK") else [])
STEPS = int(os.environ.get("STORYLOG_PROOF_MODEL_STEPS", "15"))
# The machine that also moves whole stores is slower a step (two fresh stores, one of them
# on PostgreSQL, and everything they show): few examples, derandomized, so its time is fixed.
MOVE_EXAMPLES = int(os.environ.get("STORYLOG_PROOF_MOVE_EXAMPLES", "24"))
MOVE_STEPS = int(os.environ.get("STORYLOG_PROOF_MOVE_STEPS", "28"))
MOVED_WITH: Counter[str] = Counter()  # what the stores held when they moved
SLUG = "model-live"
SOURCES = [("Alpha Wire", "agency"), ("Beta Times", "outlet"), ("Gamma Watch", "osint"),
           ("Delta Desk", "official")]
WORDS = ["the bridge", "was hit", "at 9:00", "in Kyiv", "twelve", "80%", "not", "said",
         "reportedly", "again", "near the river", "Mykola", "on Monday", "shelling"]
KINDS = ["update", "copy-edit", "clarification", "correction", "editors-note"]
NOTE_KINDS = {"clarification", "correction", "editors-note"}
STATUSES = ["unverified", "verified", "disputed", "denied", "false"]
HEADLINES = ["Battle for the bridge", "Bridge destroyed", "Bridge retaken"]
REVIEWABLE = {"clarification", "correction", "editors-note", "retraction", "takedown"}

OUTCOMES: Counter[str] = Counter()

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(
    lambda ws: (" ".join(ws) + ".").capitalize())
source_lists = st.lists(
    st.tuples(st.sampled_from(SOURCES), st.sampled_from([None, None, None, "Beta Times"])),
    max_size=2, unique_by=lambda s: s[0][0],
).map(lambda ss: [{"name": n, "kind": k, "via": v, "url": None, "confidential": False}
                  for (n, k), v in ss if v != n])
stamps = st.tuples(st.integers(4, 9), st.integers(0, 23)).map(
    lambda dh: f"2025-11-{dh[0]:02d} {dh[1]:02d}:00")


def iso(stamp: str) -> str:
    return stamp.replace(" ", "T")


@dataclass
class Update:
    id: str
    stamp: str
    status: str
    key_event: bool
    body: str | None
    sources: list[dict[str, Any]]
    media: list[dict[str, Any]]
    added_position: int
    revision: int = 1
    retraction: dict[str, Any] | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)  # source keys, every revision
    via: list[str] = field(default_factory=list)  # keys of sources cited via another, and
    # of those others
    taken_down: str | None = None
    takedown_position: int | None = None
    erased: bool = False


@dataclass
class Version:
    position: int
    headline: str
    standfirst: str
    updates: dict[str, Update]


class Model:
    """A live story as plain data: what storylog should show."""

    def __init__(self) -> None:
        self.headline, self.standfirst = HEADLINES[0], ""
        self.position = 1
        self.updates: dict[str, Update] = {}
        self.versions: list[Version] = []
        self.changes: list[dict[str, Any]] = []  # edits, retractions, takedowns
        self.merged: dict[str, str] = {}
        self.erasures = 0
        self.reviewed: set[tuple[str, int]] = set()
        self.retitles = 0

    def reviewable(self, uid: str) -> set[int]:
        """Revisions of an update the standards desk signs off: changes with a public
        note, retractions, takedowns, and copy edits the stealth check flagged."""
        return {c["revision"] for c in self.changes if c["update"] == uid and (
            c["kind"] in REVIEWABLE or c["flagged"])}

    def find(self, key: str) -> str:
        while key in self.merged:
            key = self.merged[key]
        return key

    def known(self) -> set[str]:
        """Source keys `source merge` and `timeline` resolve: cited by an update that was
        not erased, or part of a merge (those stay through erasures)."""
        keys = {k for u in self.updates.values() if not u.erased for k in u.cited}
        return keys | set(self.merged) | {self.find(k) for k in self.merged}

    def next_id(self) -> str:
        number = len(self.updates) + 1
        while f"u{number}" in self.updates:
            number += 1
        return f"u{number}"

    def first_published(self, u: Update) -> Version | None:
        return next((v for v in self.versions if v.position > u.added_position), None)

    # -- views --------------------------------------------------------------------

    def public(self, u: Update) -> dict[str, Any]:
        now = self.updates[u.id]  # takedowns hide an update from every version
        view = {
            "id": u.id, "stamp": iso(u.stamp), "body": u.body, "sources": u.sources,
            "media": u.media, "status": u.status, "key_event": u.key_event,
            "revision": u.revision, "retracted": u.retraction is not None,
            "retraction": u.retraction, "erased": now.erased,
            "notes": u.notes,
            "taken_down": {"grounds": now.taken_down, "at": None} if now.taken_down else None,
        }
        if now.erased or now.taken_down:
            view.update(body=None, sources=[], media=[], notes=[])
        return view

    def view(self, version: int | None = None) -> dict[str, Any]:
        if version is None:
            updates, position = self.updates, self.position
            headline, standfirst = self.headline, self.standfirst
        else:
            v = self.versions[version - 1]
            updates, position, headline, standfirst = v.updates, v.position, v.headline, \
                v.standfirst
        ranked = sorted(updates.values(), key=lambda u: (iso(u.stamp), u.added_position),
                        reverse=True)
        return {
            "slug": SLUG, "headline": headline, "standfirst": standfirst,
            "tz": "Europe/Kyiv", "lang": "en", "version": version,
            "published_versions": sum(1 for v in self.versions if v.position <= position),
            "position": position, "updates": [self.public(u) for u in ranked],
        }

    def timeline(self, name: str) -> list[tuple[str, str | None, str, bool]]:
        final = self.find(source_key(name))
        entries = []
        for u in self.updates.values():
            if u.erased or not any(self.find(k) == final for k in u.cited):
                continue
            entries.append((u.id, None if u.taken_down else u.body, u.status,
                            u.retraction is not None))
        return sorted(entries)

    def diff(self, a: int, b: int) -> dict[str, Any]:
        va = self.versions[a - 1] if a else Version(0, "", "", {})
        vb = self.versions[b - 1]
        result: dict[str, list[str]] = {"added": [], "retracted": [], "edited": [],
                                        "taken_down": []}
        for uid, now in sorted(self.updates.items()):
            if not any(va.position < p <= vb.position for p in now.touched):
                continue
            old, new = va.updates.get(uid), vb.updates.get(uid)
            if now.takedown_position is not None:
                if va.position < now.takedown_position <= vb.position and new is not None:
                    result["taken_down"].append(uid)
                continue
            if new is None:
                continue
            if old is None:
                result["added"].append(uid)
            elif new.retraction and not old.retraction:
                result["retracted"].append(uid)
            elif ((old.body != new.body and old.body is not None and new.body is not None)
                  or (old.status, old.stamp, old.key_event, old.sources, old.media)
                  != (new.status, new.stamp, new.key_event, new.sources, new.media)):
                result["edited"].append(uid)
        headline = None if va.headline == vb.headline else (va.headline, vb.headline)
        return {**{k: sorted(v) for k, v in result.items()}, "headline": headline}

    def corrections(self) -> list[tuple[str, int, str, bool]]:
        found = []
        for c in self.changes:
            first = self.first_published(self.updates[c["update"]])
            if first is not None and c["position"] > first.position:
                found.append((c["update"], c["revision"], c["kind"], c["flagged"]))
        return sorted(found)


def without_times(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (None if k == "at" else without_times(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


def dump(app: StoryApp) -> dict[str, list[tuple[Any, ...]]]:
    assert app.sql is not None
    return {t: sorted(tuple(r) for r in app.sql.fetchall(f"SELECT * FROM {t}"))
            for t in TABLES}


class StoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="storylog-model-")
        self.db = os.path.join(self.folder, "model.db")
        self.app = StoryApp(self.db)
        self.cli = Cli(self.db, "ana")
        self.model = Model()
        self.steps = 0
        self.said = ""

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def open_story(self) -> None:
        self.app.open_story(StoryOpenedPayload(slug=SLUG, headline=HEADLINES[0],
                                               tz="Europe/Kyiv"), editor="ana")

    # -- running a command one way or the other ---------------------------------------

    def api(self, call: Any) -> tuple[int, Any]:
        self.said = ""
        try:
            return 0, call()
        except StorylogError as error:
            self.said = str(error)
            return error.exit_code, None
        except ValidationError as error:
            self.said = str(error)
            return 1, None

    def via_cli(self, *args: str, editor: str = "ana") -> tuple[int, str]:
        result = self.cli(*args, editor=editor)
        assert "Traceback" not in result.stderr, result.stderr
        self.said = result.stderr.strip()
        return result.exit_code, result.stdout.strip()

    def live(self) -> list[str]:
        return sorted(self.model.updates)

    def ran(self, code: int, expected: int, what: str) -> None:
        OUTCOMES[f"{what.split()[0]} exit {code}"] += 1
        assert code == expected, (f"{what}: exit {code}, the model expected {expected} "
                                  f"({self.said[:300]})")
        self.steps += 1

    def touch(self, u: Update) -> None:
        self.model.position += 1
        u.touched.append(self.model.position)

    # -- the commands ----------------------------------------------------------------

    @rule(text=texts, sources=source_lists, stamp=stamps, key_event=st.booleans(),
          picture=st.booleans(), cli=st.booleans())
    def add(self, text: str, sources: list[dict[str, Any]], stamp: str, key_event: bool,
            picture: bool, cli: bool) -> None:
        media = ([{"type": "picture", "url": "https://example.org/p.jpg",
                   "caption": "The bridge", "credit": "AP"}] if picture else [])
        if cli:
            args = ["add", SLUG, "--text", text, "--stamp", stamp]
            for s in sources:
                args += ["--source", f"{s['name']},kind={s['kind']}"
                         + (f",via={s['via']}" if s["via"] else "")]
            if key_event:
                args.append("--key-event")
            if picture:
                args += ["--picture", "The bridge", "--picture-url",
                         "https://example.org/p.jpg", "--credit", "AP"]
            code, out = self.via_cli(*args)
        else:
            code, out = self.api(lambda: commands.add_update(
                self.app, SLUG, body=text, stamp=stamp, sources=sources, key_event=key_event,
                media=media, editor="ana"))
        self.ran(code, 0, "add")
        uid = self.model.next_id()
        assert out == uid
        u = Update(uid, stamp, "unverified", key_event, text, sources, media,
                   self.model.position + 1)
        u.cited, u.via = self.citations(sources), self.vias(sources)
        self.model.updates[uid] = u
        self.touch(u)

    @precondition(lambda self: self.model.position < 60)
    @rule(n=st.integers(10, 30))
    def add_many(self, n: int) -> None:
        """A busy hour: enough updates that the story is loaded from a snapshot (every 50
        events), so the aggregate's fold from a snapshot is checked too."""
        for i in range(n):
            self.add(text=f"Bulk report {i}.", sources=[], stamp="2025-11-04 08:00",
                     key_event=False, picture=False, cli=False)
        OUTCOMES["add exit 0"] -= n
        OUTCOMES["bulk adds (add_many)"] += n

    @staticmethod
    def vias(sources: list[dict[str, Any]]) -> list[str]:
        return [source_key(s[f]) for s in sources if s["via"] for f in ("name", "via")]

    @staticmethod
    def citations(sources: list[dict[str, Any]]) -> list[str]:
        keys = [source_key(s["name"]) for s in sources]
        return keys + [source_key(s["via"]) for s in sources if s["via"]]

    @precondition(lambda self: self.model.updates)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), text=st.none() | texts,
          sources=st.none() | source_lists, status=st.none() | st.sampled_from(STATUSES),
          stamp=st.none() | stamps, key_event=st.none() | st.booleans(),
          override=st.booleans(), stale=st.sampled_from([False, False, False, True]),
          cli=st.booleans())
    def edit(self, data: st.DataObject, kind: str, text: str | None,
             sources: list[dict[str, Any]] | None, status: str | None, stamp: str | None,
             key_event: bool | None, override: bool, stale: bool, cli: bool) -> None:
        if cli and sources == []:
            sources = None  # no --source at all means "keep them"
        if text is None and sources is None and status is None and stamp is None \
                and key_event is None:
            text = "Nothing new."  # else the command line would open $EDITOR
        uid = data.draw(st.sampled_from(self.live()))
        u = self.model.updates[uid]
        base = u.revision if not stale else (u.revision - 1 or u.revision + 1)
        note = f"A {kind} for readers." if kind in NOTE_KINDS else None
        why = "the harness overrides" if override else None

        expected, findings = 0, []
        if u.taken_down or u.retraction:
            expected = 1
        elif base != u.revision:
            expected = 4
        elif not any([stamp is not None and iso(stamp) != iso(u.stamp),
                      status is not None and status != u.status,
                      key_event is not None and key_event != u.key_event,
                      u.body is not None and text is not None and text != u.body,
                      u.body is not None and sources is not None and sources != u.sources]):
            expected = 1
        else:
            if kind == "copy-edit" and u.body is not None:
                if text is not None:
                    findings += text_findings(u.body, text)
                if sources is not None:
                    findings += source_findings([Source(**s) for s in u.sources],
                                                [Source(**s) for s in sources])
            if findings and self.model.first_published(u) and not override:
                expected = 1

        if cli:
            args = ["edit", SLUG, uid, "--kind", kind, "--reason", "desk", "--revision",
                    str(base)]
            if note:
                args += ["--note", note]
            if text is not None:
                args += ["--text", text]
            for s in sources or []:
                args += ["--source", f"{s['name']},kind={s['kind']}"
                         + (f",via={s['via']}" if s["via"] else "")]
            if status is not None:
                args += ["--status", status]
            if stamp is not None:
                args += ["--stamp", stamp]
            if key_event is not None:
                args.append("--key-event" if key_event else "--not-key-event")
            if why:
                args += ["--override", why]
            code, out = self.via_cli(*args, editor="bo")
        else:
            code, out = self.api(lambda: commands.edit_update(
                self.app, SLUG, uid, kind=kind, reason="desk", note=note, body=text,
                sources=sources, status=status, stamp=stamp, key_event=key_event,
                base_revision=base if stale or data.draw(st.booleans()) else None,
                override=why, editor="bo"))
        self.ran(code, expected, f"edit {uid} ({kind}, base {base} of {u.revision})")
        if code != 0:
            return
        u.revision += 1
        assert str(out) == str(u.revision)
        if stamp is not None:
            u.stamp = stamp
        if status is not None:
            u.status = status
        if key_event is not None:
            u.key_event = key_event
        if u.body is not None:
            u.body = text if text is not None else u.body
            if sources is not None:
                u.sources = sources
                u.cited += self.citations(sources)
                u.via += self.vias(sources)
        if note:
            u.notes = [*u.notes, {"kind": kind, "note": note, "at": None}]
        self.touch(u)
        self.model.changes.append({"update": uid, "revision": u.revision, "kind": kind,
                                   "position": self.model.position,
                                   "flagged": bool(findings)})

    # Adds and edits are most of what a newsroom does: drawn twice as often.
    @rule(text=texts, sources=source_lists, stamp=stamps, key_event=st.booleans(),
          picture=st.booleans(), cli=st.booleans())
    def add_more(self, **kw: Any) -> None:
        self.add(**kw)

    @precondition(lambda self: self.model.updates)
    @rule(data=st.data(), kind=st.sampled_from(KINDS), text=st.none() | texts,
          sources=st.none() | source_lists, status=st.none() | st.sampled_from(STATUSES),
          stamp=st.none() | stamps, key_event=st.none() | st.booleans(),
          override=st.booleans(), stale=st.sampled_from([False, False, False, True]),
          cli=st.booleans())
    def edit_more(self, **kw: Any) -> None:
        self.edit(**kw)

    @precondition(lambda self: self.model.updates)
    @rule(data=st.data(), stale=st.sampled_from([False, False, True]), cli=st.booleans())
    def retract(self, data: st.DataObject, stale: bool, cli: bool) -> None:
        uid = data.draw(st.sampled_from(self.live()))
        u = self.model.updates[uid]
        base = u.revision if not stale else u.revision + 1
        expected = 1 if (u.taken_down or u.retraction) else (4 if stale else 0)
        note = "This update was withdrawn."
        if cli:
            code, _ = self.via_cli("retract", SLUG, uid, "--reason", "wrong", "--note", note,
                                   "--revision", str(base), editor="cy")
        else:
            code, _ = self.api(lambda: commands.retract_update(
                self.app, SLUG, uid, reason="wrong", note=note, base_revision=base,
                editor="cy"))
        self.ran(code, expected, f"retract {uid}")
        if code == 0:
            u.revision += 1
            u.retraction = {"note": note, "at": None, "by": "cy"}
            self.touch(u)
            self.model.changes.append({"update": uid, "revision": u.revision,
                                       "kind": "retraction", "position": self.model.position,
                                       "flagged": False})

    @rule(held=st.sampled_from([None, "current", "stale"]), cli=st.booleans())
    def publish(self, held: str | None, cli: bool) -> None:
        m = self.model
        position = {None: None, "current": m.position, "stale": m.position - 1}[held]
        if position is not None and position != m.position:
            expected = 4
        elif not m.updates or (m.versions and m.versions[-1].position == m.position):
            expected = 1
        else:
            expected = 0
        if cli:
            args = ["publish", SLUG] + (["--position", str(position)]
                                        if position is not None else [])
            code, out = self.via_cli(*args)
        else:
            code, out = self.api(lambda: commands.publish(
                self.app, SLUG, editor="ana", base_position=position))
        self.ran(code, expected, f"publish at {position} (story at {m.position})")
        if code == 0:
            assert str(out) == str(len(m.versions) + 1)
            m.position += 1
            m.versions.append(Version(m.position, m.headline, m.standfirst,
                                      copy.deepcopy(m.updates)))

    @precondition(lambda self: self.model.updates)
    @rule(data=st.data(), grounds=st.sampled_from(["legal", "privacy", "source-safety"]),
          cli=st.booleans())
    def takedown(self, data: st.DataObject, grounds: str, cli: bool) -> None:
        uid = data.draw(st.sampled_from(self.live()))
        u = self.model.updates[uid]
        expected = 1 if u.taken_down else 0
        if cli:
            code, _ = self.via_cli("takedown", SLUG, uid, "--grounds", grounds, "--reason",
                                   "lawyers", "--yes", editor="desk")
        else:
            code, _ = self.api(lambda: commands.takedown_update(
                self.app, SLUG, uid, grounds=grounds, reason="lawyers", editor="desk"))
        self.ran(code, expected, f"takedown {uid}")
        if code == 0:
            u.revision += 1
            u.taken_down = grounds
            self.touch(u)
            u.takedown_position = self.model.position
            if grounds == "source-safety":
                OUTCOMES["erasures (source-safety takedowns)"] += 1
                u.erased = True
                u.body, u.sources, u.media = None, [], []
                for v in self.model.versions:
                    if uid in v.updates:
                        v.updates[uid].body = None
                self.model.erasures += 1
            self.model.changes.append({"update": uid, "revision": u.revision,
                                       "kind": "takedown", "position": self.model.position,
                                       "flagged": False})

    @precondition(lambda self: self.model.changes)
    @rule(data=st.data(), off=st.sampled_from([0, 0, 0, 1]), cli=st.booleans())
    def review(self, data: st.DataObject, off: int, cli: bool) -> None:
        """The standards desk signs off a change; now and then a revision that is no
        change to review, or one already reviewed (exit 1)."""
        change = data.draw(st.sampled_from(self.model.changes))
        uid, revision = change["update"], change["revision"] + off
        done = (uid, revision) in self.model.reviewed
        expected = 0 if revision in self.model.reviewable(uid) and not done else 1
        if cli:
            code, _ = self.via_cli("review", SLUG, uid, "--revision", str(revision),
                                   "--note", "checked", editor="desk")
        else:
            code, _ = self.api(lambda: commands.review(
                self.app, SLUG, uid, revision, note="checked", editor="desk"))
        self.ran(code, expected, f"review {uid} revision {revision}")
        if code == 0:
            self.model.reviewed.add((uid, revision))
            self.model.position += 1

    @rule(headline=st.sampled_from(HEADLINES), cli=st.booleans())
    def retitle(self, headline: str, cli: bool) -> None:
        expected = 1 if headline == self.model.headline else 0
        if cli:
            code, _ = self.via_cli("retitle", SLUG, "--headline", headline, "--reason", "news")
        else:
            from storylog.domain.payloads import StoryDetailsChangedPayload

            code, _ = self.api(lambda: commands.change_details(
                self.app, SLUG, StoryDetailsChangedPayload(headline=headline, reason="news"),
                editor="ana"))
        self.ran(code, expected, f"retitle to {headline}")
        if code == 0:
            self.model.headline = headline
            self.model.position += 1
            self.model.retitles += 1

    @precondition(lambda self: len(self.model.known()) >= 2)
    @rule(data=st.data(), anywhere=st.sampled_from([False, False, False, False, True]))
    def merge(self, data: st.DataObject, anywhere: bool) -> None:
        """Mostly two names storylog knows (some already one source), now and then any
        of the four, known or not (exit 3)."""
        m = self.model
        names = [n for n, _ in SOURCES if anywhere or source_key(n) in m.known()]
        a = data.draw(st.sampled_from(names))
        b = data.draw(st.sampled_from(names))
        ka, kb = source_key(a), source_key(b)
        if ka not in m.known() or kb not in m.known():
            expected = 3
        elif m.find(ka) == m.find(kb):
            expected = 1
        else:
            expected = 0
        code, _ = self.via_cli("source", "merge", a, b, "--reason", "one agency")
        self.ran(code, expected, f"merge {a} into {b}")
        if code == 0:
            m.merged[m.find(ka)] = m.find(kb)

    # -- what must agree after every step ------------------------------------------------

    @invariant()
    def agree(self) -> None:
        if not hasattr(self, "model") or (self.steps == 0 and not self.model.updates):
            return
        m = self.model
        views = Views(self.app)
        shown = without_times(views.view(SLUG))
        assert shown == without_times(m.view()), "show --json differs from the model"
        assert without_times(story_view(self.app.story(SLUG))) == shown, \
            "the aggregate's view differs from the read models'"
        for v in range(1, len(m.versions) + 1):
            assert without_times(views.view(SLUG, version=v)) == without_times(m.view(v)), \
                f"version {v} differs from the model"
        for name, _ in SOURCES:
            if source_key(name) in m.known():
                got = timeline(views, [name], SLUG)["entries"]
                assert sorted((e["update"], e["said"], e["status"], e["retracted"])
                              for e in got) == m.timeline(name), f"timeline of {name}"
        for v in range(1, len(m.versions) + 1):
            d = version_diff(views, SLUG, v - 1, v)
            got = {k: sorted(e["id"] for e in d[k])
                   for k in ("added", "retracted", "edited", "taken_down")}
            got["headline"] = (d["headline"]["from"], d["headline"]["to"]) \
                if d["headline"] else None
            assert got == m.diff(v - 1, v), f"diff {v - 1} {v}"
        found = corrections(views, Filters(story=SLUG))["corrections"]
        assert sorted((e["update"], e["revision"], e["kind"], bool(e["stealth_flags"]))
                      for e in found) == m.corrections(), "corrections"
        reports = list(check_all(Archive(self.app).chains()))
        assert all(r.ok for r in reports), [r.problem for r in reports]
        if self.steps % 5 == 4:
            verify = self.cli("verify")
            assert verify.exit_code == 0, verify.stderr
            assert without_times(orjson.loads(self.cli.ok("show", SLUG, "--json"))) == shown
        incremental = dump(self.app)
        self.app.readmodel.drop()
        self.app.catch_up()
        rebuilt = dump(self.app)
        assert rebuilt == incremental, "rebuilt read models differ"


class MovingStoryMachine(StoryMachine):
    """The same newsroom, moved whole now and then: `events --all`, then `load` into a
    fresh SQLite store and a fresh PostgreSQL store, each of which must show exactly what
    the store it came from shows (chain heads, every version with and without --audit,
    the story as known at its moments, verify with the checkpoints, corrections, sources
    and their timelines); then back from PostgreSQL into a fresh SQLite store, whose read
    models must equal the old store's, and where the commands carry on. Checkpoints are
    signed now and then, so their records move too and publications pin them."""

    def __init__(self) -> None:
        super().__init__()
        self.key = os.path.join(self.folder, "newsroom.key")
        self.log = os.path.join(self.folder, "checkpoints.ndjson")
        self.cli.ok("keygen", self.key)
        self.moves = 0
        self.signed = 0
        self.databases: list[str] = []

    def teardown(self) -> None:
        import psycopg

        if self.databases:
            with psycopg.connect(postgres_url(), autocommit=True) as conn:
                for name in self.databases:
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        super().teardown()

    def fresh_pg(self) -> str:
        import uuid
        from urllib.parse import urlsplit, urlunsplit

        import psycopg

        name = f"t_move_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(postgres_url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        self.databases.append(name)
        return urlunsplit(urlsplit(postgres_url())._replace(path=f"/{name}"))

    # Publications drawn twice as often here: a move must show every version.
    @rule(held=st.sampled_from([None, None, "current", "stale"]), cli=st.booleans())
    def publish_more(self, held: str | None, cli: bool) -> None:
        self.publish(held=held, cli=cli)

    @precondition(lambda self: self.model.updates)
    @rule()
    def sign(self) -> None:
        code, _ = self.via_cli("checkpoint", "--key", self.key, "--log", self.log)
        self.ran(code, 0, "checkpoint")
        self.signed += 1

    def held(self) -> set[str]:
        """What the store holds, of what a move must carry."""
        m, grounds = self.model, {u.taken_down for u in self.model.updates.values()}
        kinds = {"source merges": bool(m.merged), "erasures": m.erasures > 0,
                 "legal holds": bool(grounds - {None, "source-safety"}),
                 "reviews": bool(m.reviewed), "retitles": m.retitles > 0,
                 "publications": bool(m.versions), "checkpoints": self.signed > 0,
                 "retractions": any(u.retraction for u in m.updates.values())}
        return {kind for kind, present in kinds.items() if present}

    def ready(self) -> bool:
        """Published versions to show, and a good part of the rest of the mix."""
        held = self.held()
        return "publications" in held and len(held) >= 4

    def everything(self, cli: Cli) -> dict[str, str]:
        checkpoints = (self.log, self.key + ".pub") if os.path.exists(self.log) else None
        return shown(cli, moments=7, checkpoints=checkpoints)

    # A store is moved once it holds a good part of what a move must carry, at most twice
    # a run (the second time, the store that came back moves again).
    @precondition(lambda self: self.moves < 2 and self.ready())
    @rule()
    def move(self) -> None:
        MOVED_WITH.update(self.held())
        before = self.everything(self.cli)
        where = os.path.join(self.folder, f"move-{self.moves}")
        self.cli.ok("events", "--all", "-o", f"{where}.ndjson")
        lite, pg = Cli(f"{where}.db"), Cli(self.fresh_pg())
        for target in (lite, pg):
            loaded = target("load", f"{where}.ndjson")
            assert loaded.exit_code == 0 and "note:" not in loaded.stderr, loaded.stderr
            after = self.everything(target)
            assert differences(before, after) == [], [
                (target.db, c, before.get(c), after.get(c)) for c in differences(before, after)]
        pg.ok("events", "--all", "-o", f"{where}-back.ndjson")
        with open(f"{where}.ndjson", "rb") as sent, open(f"{where}-back.ndjson", "rb") as back:
            assert sent.read() == back.read(), "the export from PostgreSQL differs"
        back = Cli(f"{where}-back.db")
        back.ok("load", f"{where}-back.ndjson")
        assert differences(before, self.everything(back)) == [], "after the way back"
        moved = StoryApp(back.db)
        moved.catch_up()
        assert dump(moved) == dump(self.app), "the read models differ after the way back"
        self.app.close()
        self.app, self.cli = moved, back
        self.moves += 1
        OUTCOMES["whole-store moves (SQLite, PostgreSQL and back)"] += 1
        self.steps += 1

    # Drawn twice as often as the other rules.
    @precondition(lambda self: self.moves < 2 and self.ready())
    @rule()
    def move_later(self) -> None:
        self.move()

    # A third way in, so that a move is drawn often enough once a store is ready: the
    # derandomized draw shifts whenever the other rules change, and the guard below
    # wants a third of the examples to have moved.
    @precondition(lambda self: self.moves < 2 and self.ready())
    @rule()
    def move_at_last(self) -> None:
        self.move()


@pytest.mark.slow
def test_storylog_agrees_with_a_model_of_a_live_story_after_every_step(tally) -> None:
    t = tally("model")
    runs: list[int] = []

    class Counted(StoryMachine):
        def teardown(self) -> None:
            runs.append(self.steps)
            super().teardown()

    try:
        run_state_machine_as_test(Counted, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
            phases=PHASES))
    finally:
        t.cases += len(runs)
        t.notes.append(f"{len(runs)} examples, {sum(runs)} commands run and checked: "
                       f"{dict(sorted(OUTCOMES.items()))}")
    assert len(runs) >= EXAMPLES


@pytest.mark.slow
def test_an_erasure_does_not_undo_an_earlier_source_merge(sqlite_db: str, tally) -> None:
    """A regression test: _Writer.erase used to delete every rm_sources row no longer
    cited, the rows of merged names too (the read model's only record of a merge), so a
    later citation of a merged name was filed under a new, separate source."""
    t = tally("model")
    cli = Cli(sqlite_db)
    cli.ok("new", SLUG, "--headline", "H")
    cli.ok("add", SLUG, "--text", "One.", "--source", "Alpha Wire,kind=agency")
    cli.ok("add", SLUG, "--text", "Two.", "--source", "Beta Times,kind=outlet")
    cli.ok("add", SLUG, "--text", "Three.")
    cli.ok("source", "merge", "Alpha Wire", "Beta Times", "--reason", "one agency")
    cli.ok("takedown", SLUG, "u3", "--grounds", "source-safety", "--reason", "r", "--yes")
    cli.ok("add", SLUG, "--text", "Four.", "--source", "Alpha Wire,kind=agency")
    entries = orjson.loads(cli.ok("timeline", "Beta Times", "--json"))["entries"]
    got = sorted(e["update"] for e in entries)
    t.case(got == ["u1", "u2", "u4"], f"after an erasure, Beta Times' timeline is {got}")
    assert got == ["u1", "u2", "u4"]


@pytest.mark.slow
def test_merging_a_source_cited_via_another_keeps_every_citation(sqlite_db: str,
                                                                 tally) -> None:
    t = tally("model")
    cli = Cli(sqlite_db)
    cli.ok("new", SLUG, "--headline", "H")
    cli.ok("add", SLUG, "--text", "One.", "--source", "Alpha Wire,kind=agency,via=Beta Times")
    cli.ok("add", SLUG, "--text", "Two.", "--source", "Delta Desk,kind=official")
    cli.ok("source", "merge", "Beta Times", "Delta Desk", "--reason", "one desk")
    alpha = orjson.loads(cli.ok("timeline", "Alpha Wire", "--json"))["entries"]
    delta = orjson.loads(cli.ok("timeline", "Delta Desk", "--json"))["entries"]
    got = ([e["update"] for e in alpha], sorted(e["update"] for e in delta))
    t.case(got == (["u1"], ["u1", "u2"]), f"after merging a via source: timelines {got}",
           )
    assert_fixed(got == (["u1"], ["u1", "u2"]), got)


@pytest.mark.slow
def test_verify_does_not_call_an_honest_store_altered_after_a_source_merge(sqlite_db: str,
                                                                          tally) -> None:
    t = tally("model")
    cli = Cli(sqlite_db)
    cli.ok("new", SLUG, "--headline", "H")
    cli.ok("add", SLUG, "--text", "One.", "--source", "Beta Times,kind=outlet")
    cli.ok("add", SLUG, "--text", "Two.", "--source", "Alpha Wire,kind=agency")
    cli.ok("source", "merge", "Alpha Wire", "Beta Times", "--reason", "one agency")
    cli.ok("add", SLUG, "--text", "Three.", "--source", "Alpha Wire,kind=agency",
           "--source", "Beta Times,kind=outlet")
    verify = cli("verify")
    cli.ok("rebuild")
    again = cli("verify")
    t.case(verify.exit_code == again.exit_code == 0,
           f"verify after a merge: exit {verify.exit_code} ({verify.stderr.strip()[:80]}), "
           f"after rebuild {again.exit_code}")
    assert_fixed(verify.exit_code == again.exit_code == 0, (verify.stderr, again.stderr))


@pytest.mark.slow
def test_a_rebuild_after_an_erasure_gives_the_same_sources(sqlite_db: str, tally) -> None:
    t = tally("model")
    cli = Cli(sqlite_db)
    cli.ok("new", SLUG, "--headline", "H")
    cli.ok("add", SLUG, "--text", "One.", "--source", "Alpha Wire,kind=agency,via=Beta Times")
    cli.ok("add", SLUG, "--text", "Two.", "--source", "Beta Times,kind=outlet")
    cli.ok("takedown", SLUG, "u1", "--grounds", "source-safety", "--reason", "risk", "--yes")
    verify = cli("verify")
    before = orjson.loads(cli.ok("sources", "--json"))
    cli.ok("rebuild")
    after = orjson.loads(cli.ok("sources", "--json"))
    t.case(verify.exit_code == 0 and before == after,
           f"after an erasure: verify exit {verify.exit_code}; sources before/after rebuild "
           f"{[(s['name'], s['kind']) for s in before]} / "
           f"{[(s['name'], s['kind']) for s in after]}")
    assert_fixed(verify.exit_code == 0 and before == after, (verify.stderr, before, after))


@pytest.mark.slow
def test_a_whole_store_moved_to_sqlite_and_postgresql_and_back_shows_the_same(tally) -> None:
    """Item 4 of issue 13: the round-trip proof, on the model's commands plus reviews and
    checkpoints, with merges, legal and erasing takedowns, retitles and publications."""
    t = tally("model")
    runs: list[tuple[int, int]] = []

    class Counted(MovingStoryMachine):
        def teardown(self) -> None:
            runs.append((self.steps, self.moves))
            super().teardown()

    try:
        run_state_machine_as_test(Counted, settings=settings(
            max_examples=MOVE_EXAMPLES, stateful_step_count=MOVE_STEPS, deadline=None,
            database=None, derandomize=True, suppress_health_check=list(HealthCheck),
            phases=PHASES))
    finally:
        t.cases += len(runs)
        t.notes.append(f"moving: {len(runs)} examples, {sum(s for s, _ in runs)} commands, "
                       f"{sum(m for _, m in runs)} whole-store moves checked, of stores "
                       f"holding {dict(sorted(MOVED_WITH.items()))}")
    assert len(runs) >= MOVE_EXAMPLES
    assert sum(m for _, m in runs) >= MOVE_EXAMPLES // 3, "too few moves to prove anything"
    assert all(MOVED_WITH[kind] >= 1 for kind in (
        "source merges", "erasures", "legal holds", "reviews", "retitles", "publications",
        "checkpoints", "retractions")), f"moves lacked some of the mix: {MOVED_WITH}"
