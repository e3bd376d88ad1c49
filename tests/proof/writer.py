"""A writer process for the proof suites: the real `storylog` command line, run in this
process over and over (as `python -m storylog.cli` would run it, without paying for a
new interpreter per command), with an acknowledgement line before and after each one.

    writer.py crash DB SLUG ACKS SEED
    writer.py race DB SLUG ACKS NAME ADDS EDITS BARRIER PARTIES SEED ids|no-ids
    writer.py merge-race DB ACKS NAME BARRIER PARTIES SOURCE INTO

The acknowledgements are NDJSON, each line one os.write on an O_APPEND file, so a
SIGKILL leaves at most the last line cut (and the kernel keeps what was written):

    {"t": "ready"}
    {"t": "begin", "cid": ..., "argv": [...], "extra": {...}}
    {"t": "end", "cid": ..., "code": N, "out": ..., "err": ...}

STORYLOG_DB and STORYLOG_EDITOR come from the environment, as for the real command.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner

import storylog.cli.session as support
from storylog.cli import cli

# Each command opens the store, as a new process would; close it when it is done,
# as a process's exit would.
SESSIONS: list[Any] = []
_real_init = support.Session.__init__


def _recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _real_init(self, *args, **kwargs)
    SESSIONS.append(self)


support.Session.__init__ = _recording_init  # type: ignore[method-assign]


class Acks:
    def __init__(self, path: str):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(self, **line: Any) -> None:
        os.write(self.fd, orjson.dumps(line) + b"\n")


def call(argv: list[str], stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run `storylog ARGV` in this process: (exit code, stdout, stderr)."""
    runner = CliRunner()
    code = 0
    with runner.isolation(input=stdin) as streams:
        try:
            support.run(cli, argv)
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else 1
        out, err = streams[0].getvalue().decode(), streams[1].getvalue().decode()
    while SESSIONS:
        session = SESSIONS.pop()
        if session._app is not None:
            with contextlib.suppress(Exception):
                session._app.close()
    return code, out, err


def command(acks: Acks, argv: list[str], cid: str, **extra: Any) -> tuple[int, str, str]:
    acks.write(t="begin", cid=cid, argv=argv, extra=extra)
    code, out, err = call(argv)
    acks.write(t="end", cid=cid, code=code, out=out, err=err)
    return code, out, err


def barrier(folder: str, me: str, parties: int) -> None:
    path = Path(folder)
    (path / f"ready-{me}").touch()
    deadline = time.monotonic() + 120
    while len(list(path.glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            sys.exit("barrier: the other writers never arrived")
        time.sleep(0.002)


# -- crash: random appends and edits until killed ----------------------------------

SOURCES = ["Reuters", "Bild,kind=outlet", "Julian Röpcke,kind=analyst,via=Bild",
           "General Staff,kind=official", "Deep State,kind=osint"]
NOTE_KINDS = ("correction", "clarification", "editors-note")


class Story:
    """What the writer knows of the story, kept from its own acknowledged commands."""

    def __init__(self, slug: str):
        self.slug = slug
        self.reload()

    def reload(self) -> None:
        code, out, err = call(["show", self.slug, "--json"])
        if code != 0:
            raise SystemExit(f"show failed ({code}): {err}")
        view = orjson.loads(out)
        self.updates = {u["id"]: u for u in view["updates"]}
        self.headline = view["headline"]
        code, out, err = call(["log", self.slug, "--json"])
        if code != 0:
            raise SystemExit(f"log failed ({code}): {err}")
        log = orjson.loads(out)
        published = [e["position"] for e in log if e["event"] == "VersionPublished"]
        self.dirty = bool(self.updates) and (not published or published[-1] < log[-1]["position"])

    def live(self) -> list[str]:
        return [i for i, u in self.updates.items()
                if not u["retracted"] and not u["taken_down"] and not u["erased"]]


def crash(db: str, slug: str, ack_path: str, seed: str) -> None:
    rng = random.Random(seed)
    acks = Acks(ack_path)
    story = Story(slug)
    acks.write(t="ready")
    n = 0
    while True:
        n += 1
        cid = f"{seed}-{n}-{rng.getrandbits(32):08x}"
        argv, op = crash_op(rng, story, seed, n, cid)
        code, out, _ = command(acks, argv, cid)
        if code != 0:
            story.reload()
            continue
        story.dirty = True
        if op == "add":
            story.updates[out.strip()] = {"revision": 1, "retracted": False, "taken_down": None,
                                          "erased": False, "status": "unverified"}
        elif op in ("edit", "retract"):
            u = story.updates[argv[2]]
            u["revision"] = int(out)
            u["retracted"] = op == "retract"
            if "--status" in argv:
                u["status"] = argv[argv.index("--status") + 1]
        elif op == "takedown":
            story.updates[argv[2]]["taken_down"] = {"grounds": argv[4]}
        elif op == "publish":
            story.dirty = False
        elif op == "retitle":
            story.headline = argv[argv.index("--headline") + 1]


def crash_op(rng: random.Random, story: Story, seed: str, n: int,
             cid: str) -> tuple[list[str], str]:
    slug, live = story.slug, story.live()
    roll = rng.random()
    if roll < 0.50 or not live:
        argv = ["add", slug, "--text",
                f"Update {seed}.{n}: shelling near the bridge; about {rng.randint(1, 99)}% "
                "of the district is contested.",
                "--stamp", f"2025-11-{rng.randint(4, 12):02d} {rng.randint(0, 23):02d}:"
                f"{rng.randint(0, 59):02d}"]
        for source in rng.sample(SOURCES, rng.randint(0, 2)):
            argv += ["--source", source]
        if rng.random() < 0.1:
            argv += ["--key-event"]
        if rng.random() < 0.1:
            argv += ["--picture", "The bridge at dawn", "--picture-url",
                     "https://example.org/bridge.jpg", "--credit", "Reuters"]
        return [*argv, "--command-id", cid], "add"
    uid = rng.choice(live)
    update = story.updates[uid]
    if roll < 0.75:
        kind = rng.choice(["update", "copy-edit", *NOTE_KINDS])
        argv = ["edit", slug, uid, "--kind", kind, "--reason", f"desk {n}",
                "--revision", str(update["revision"])]
        if kind in NOTE_KINDS:
            argv += ["--note", f"An earlier version of this update was wrong ({n})."]
        if kind == "copy-edit":
            argv += ["--override", "the harness checks durability, not style"]
        if rng.random() < 0.2:
            status = rng.choice([s for s in ("verified", "disputed", "denied")
                                 if s != update["status"]])
            argv += ["--status", status]
        else:
            argv += ["--text", f"Edited {seed}.{n}: the bridge was hit at {n % 24}:00."]
        return [*argv, "--command-id", cid], "edit"
    if roll < 0.80:
        return ["retract", slug, uid, "--reason", "the video is old", "--note",
                "This update was withdrawn.", "--revision", str(update["revision"]),
                "--command-id", cid], "retract"
    if roll < 0.92 and story.dirty:
        return ["publish", slug, "--note", f"version by writer {seed}", "--command-id",
                cid], "publish"
    if roll < 0.95:
        return ["retitle", slug, "--headline", f"Battle for the bridge ({seed}.{n})",
                "--reason", "new facts", "--command-id", cid], "retitle"
    if roll < 0.985:
        return ["takedown", slug, uid, "--grounds", "legal", "--reason", "court letter",
                "--command-id", cid], "takedown"
    return ["takedown", slug, uid, "--grounds", "source-safety", "--reason",
            "the officer could be identified", "--yes", "--command-id", cid], "takedown"


# -- race: many writers on one story at once -----------------------------------------


def race(db: str, slug: str, ack_path: str, name: str, adds: int, edits: int,
         folder: str, parties: int, seed: str, ids: bool) -> None:
    """``ids``: each command with its own --command-id (else storylog makes one up)."""
    rng = random.Random(seed)
    acks = Acks(ack_path)
    view = orjson.loads(call(["show", slug, "--json"])[1])
    targets = sorted(u["id"] for u in view["updates"])
    ops = ["add"] * adds + ["edit"] * edits
    rng.shuffle(ops)
    barrier(folder, name, parties)
    for i, op in enumerate(ops):
        cid = f"{name}-{i}"
        if op == "add":
            text = f"{name} adds update {i}."
            command(acks, ["add", slug, "--text", text, "--stamp", "2025-11-04 12:00",
                           *(["--command-id", cid] if ids else [])], cid, text=text)
            continue
        target = rng.choice(targets)
        for _ in range(50):  # a failed read is noted (the test fails on it) and retried
            code, out, err = call(["show", slug, "--json"])
            if code == 0:
                break
            acks.write(t="note", cid=cid, note=f"show failed ({code}): {err.strip()}")
            time.sleep(rng.uniform(0, 0.05))
        else:
            continue
        seen = next(u for u in orjson.loads(out)["updates"] if u["id"] == target)
        text = f"{name} edit {i} of {target}, based on revision {seen['revision']}."
        argv = ["edit", slug, target, "--kind", "update", "--reason", f"race {name}",
                "--text", text]
        explicit = rng.random() < 0.75
        if explicit:  # the revision the editor saw; else the one the command loads
            argv += ["--revision", str(seen["revision"])]
        command(acks, [*argv, *(["--command-id", cid] if ids else [])], cid, target=target,
                text=text,
                seen_revision=seen["revision"] if explicit else None,
                seen_text=seen["body"] if explicit else None)


def merge_race(db: str, ack_path: str, name: str, folder: str, parties: int,
               source: str, into: str) -> None:
    """`storylog source merge SOURCE INTO`, every party at once: the CLI resolves the
    names first; there the parties wait for each other, so each merges what it saw."""
    import storylog.app.commands as commands

    acks = Acks(ack_path)
    real = commands.merge_sources

    def merge_after_barrier(*args: Any, **kwargs: Any) -> Any:
        barrier(folder, name, parties)
        return real(*args, **kwargs)

    commands.merge_sources = merge_after_barrier  # type: ignore[assignment]
    cid = f"merge-{name}"
    command(acks, ["source", "merge", source, into, "--reason", "one agency",
                   "--command-id", cid], cid)


def main() -> None:
    mode, db, *rest = sys.argv[1:]
    if mode == "crash":
        crash(db, rest[0], rest[1], rest[2])
    elif mode == "race":
        slug, acks, name, adds, edits, folder, parties, seed, ids = rest
        race(db, slug, acks, name, int(adds), int(edits), folder, int(parties), seed,
             ids == "ids")
    elif mode == "merge-race":
        acks, name, folder, parties, source, into = rest
        merge_race(db, acks, name, folder, int(parties), source, into)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
