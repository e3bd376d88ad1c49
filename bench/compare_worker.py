"""One job of ``bench/compare.py``, run in a child process of its own.

    python bench/compare_worker.py '{"job": "s4_storylog", "db": ..., ...}'

Every in-process measurement runs here, so that each gets a fresh interpreter and
its peak memory is the child's own (``ru_maxrss``, beside the peak before the timed
part began). The result is one JSON object on the last line of standard output.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _status(key: str) -> float:
    """A /proc/self/status figure in MiB (VmRSS now, VmHWM the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """This process's own peak RSS. Not ru_maxrss: that starts from the parent's peak,
    which exec carries over (Linux keeps the old image's high-water mark)."""
    return _status("VmHWM")


def reset_peak() -> float:
    """Start measuring the peak afresh (Linux: clear_refs 5); returns the RSS now."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- building -----------------------------------------------------------------------------


def job_build_story(a: dict[str, Any]) -> dict[str, Any]:
    import compare_gen as gen

    gen.use_canonical(a.get("canonical"))
    fields: dict[str, Any] = {k: (tuple(map(tuple, v)) if k == "edit_kinds" else v)
                              for k, v in a["mix"].items()}
    mix = gen.Mix(**fields)
    return gen.build_story(a["db"], a["slug"], a["events"], mix, seed=a.get("seed", 1),
                           git=a.get("git"), layout=a.get("layout", "story"), log=log)


def job_build_many(a: dict[str, Any]) -> dict[str, Any]:
    import compare_gen as gen

    gen.use_canonical(a.get("canonical"))
    return gen.build_many(a["db"], a["stories"], a["events"], bases=a["bases"], log=log)


def job_verify(a: dict[str, Any]) -> dict[str, Any]:
    """storylog's own chain check (RFC 8785) of the given stories, or a sample."""
    import random

    from storylog.app.archive import Archive
    from storylog.app.service import StoryApp
    from storylog.domain.story import story_id
    from storylog.store.verify import check_chain

    app = StoryApp(a["db"])
    slugs = a.get("slugs")
    if slugs is None:
        ids = Archive(app).chain_ids()
        chosen = random.Random(a.get("seed", 3)).sample(ids, min(a["sample"], len(ids)))
    else:
        chosen = [story_id(s) for s in slugs]
    started = time.perf_counter()
    events = 0
    problems = []
    for sid in chosen:
        rows = list(app.recorder.select_events(sid))
        report = check_chain(str(sid), rows)
        events += report.events
        if not report.ok:
            problems.append(report.problem)
    app.close()
    return {"stories": len(chosen), "events": events, "problems": problems,
            "seconds": time.perf_counter() - started}


def job_catch_up(a: dict[str, Any]) -> dict[str, Any]:
    from storylog.app.service import StoryApp

    app = StoryApp(a["db"])
    started = time.perf_counter()
    applied = app.catch_up()
    app.close()
    return {"applied": applied, "seconds": time.perf_counter() - started}


def job_render_versions(a: dict[str, Any]) -> dict[str, Any]:
    """Each version's Markdown, as `storylog diff --format patch` renders it."""
    from storylog.app.service import StoryApp
    from storylog.projections.queries import Views
    from storylog.render.story import to_markdown

    views = Views(StoryApp(a["db"]))
    versions = views.versions(a["slug"])
    out = {}
    for v in a["versions"]:
        number = v if v > 0 else len(versions) + v  # negative: from the end
        text = to_markdown(views.view(a["slug"], version=number))
        path = Path(a["dir"]) / f"v{number}.md"
        path.write_text(text, encoding="utf-8")
        out[str(v)] = {"version": number, "path": str(path), "bytes": len(text.encode()),
                       "updates": text.count("\n## ")}
    return {"published": len(versions), "rendered": out}


# -- timed, in-process ----------------------------------------------------------------------


def timed(fn: Any, runs: int, warmup: int = 0) -> dict[str, Any]:
    for _ in range(warmup):
        fn()
    before = reset_peak()
    seconds = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return {"runs": seconds, "rss_before_mib": before, "rss_peak_mib": rss_mib(),
            "last": result}


def job_s3_inproc(a: dict[str, Any]) -> dict[str, Any]:
    from storylog.app.service import StoryApp
    from storylog.projections.diff import version_diff
    from storylog.projections.queries import Views

    views = Views(StoryApp(a["db"]))
    out = {}
    for name, (va, vb) in a["pairs"].items():
        r = timed(lambda va=va, vb=vb: version_diff(views, a["slug"], va, vb)["summary"],
                  a["runs"], warmup=1)
        out[name] = r
    return out


def job_s4_storylog(a: dict[str, Any]) -> dict[str, Any]:
    from storylog.app.service import StoryApp

    def load() -> dict[str, Any]:
        app = StoryApp(a["db"])
        story = app.story(a["slug"])
        app.close()
        return {"version": story.version, "updates": len(story.updates)}

    r = timed(load, a["runs"], warmup=1)
    app = StoryApp(a["db"])
    assert app.snapshots is not None
    from storylog.domain.story import story_id

    snaps = app.snapshots.recorder.select_events(story_id(a["slug"]), desc=True, limit=1)
    r["snapshot_at"] = snaps[0].originator_version if snaps else None
    r["snapshot_bytes"] = len(snaps[0].state) if snaps else 0
    r["tail"] = r["last"]["version"] - (r["snapshot_at"] or 0)
    app.close()
    return r


def job_plain_build(a: dict[str, Any]) -> dict[str, Any]:
    """The plain application's store of the same logical events (read from storylog)."""
    import compare_plain as cp

    from storylog.app.service import StoryApp
    from storylog.projections.readmodel import Decoder

    started = time.perf_counter()
    src = StoryApp(a["db"])
    decode = Decoder(src.keys)
    src.keys.preload()
    app = cp.PlainApp(a["plain_db"])
    story: Any = None
    start, count = 1, 0
    while True:
        rows = src.event_log.raw_rows(start, 5000)
        if not rows:
            break
        for row in rows:
            r = decode(row)
            kwargs = cp.plain_call(r.type, r.payload, r.editor, r.command_id)
            if r.type == "Opened":
                story = cp.PlainStory(**kwargs)
            else:
                getattr(story, cp.METHODS[r.type])(**kwargs)
            count += 1
            if len(story.pending_events) >= 1000:
                app.save(story)
        start = rows[-1].id + 1
    app.save(story)
    src.close()
    return {"events": count, "version": story.version, "seconds": time.perf_counter() - started,
            "db_bytes": Path(a["plain_db"]).stat().st_size}


def job_s4_plain(a: dict[str, Any]) -> dict[str, Any]:
    import compare_plain as cp

    sid = cp.story_id(a["slug"])

    def load() -> dict[str, Any]:
        app = cp.PlainApp(a["plain_db"])
        story: Any = app.repository.get(sid)
        app.close()
        return {"version": story.version, "updates": len(story.updates)}

    return timed(load, a["runs"], warmup=a.get("warmup", 1))


def job_s5_rebuild(a: dict[str, Any]) -> dict[str, Any]:
    from storylog.app.service import StoryApp

    app = StoryApp(a["db"])
    r = timed(app.rebuild, a["runs"])
    app.close()
    return r


def job_s5_floor(a: dict[str, Any]) -> dict[str, Any]:
    import orjson

    batch = a.get("batch", 20_000)

    def read_all() -> int:
        con = sqlite3.connect(a["db"])
        last, count = 0, 0
        loads = orjson.loads
        while True:
            rows = con.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (last, batch)).fetchall()
            if not rows:
                break
            for row in rows:
                loads(row[4])
            count += len(rows)
            last = rows[-1][0]
        con.close()
        return count

    return timed(read_all, a["runs"])


def job_s5_inserts(a: dict[str, Any]) -> dict[str, Any]:
    """What a rebuild cannot avoid on SQLite: inserting its rows. The rows the rebuild
    made (read back from the store, so no decoding or folding is timed) go into empty
    tables of the same shape, in the rebuild's batches, with storylog's pragmas."""
    import os

    src = sqlite3.connect(a["db"])
    tables = ["rm_events", "rm_revisions", "rm_citations", "rm_versions", "rm_details",
              "rm_stories", "rm_sources"]
    data = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    schema = {t: src.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
              for t in tables}
    src.close()
    events = len(data["rm_events"])
    scratch = a["scratch"]

    def insert_all() -> int:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(scratch + suffix):
                os.remove(scratch + suffix)
        con = sqlite3.connect(scratch, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON"):
            con.execute(f"PRAGMA {pragma}")
        for t in tables:
            con.execute(schema[t])
        for start in range(0, events, 20_000):
            end = min(start + 20_000, events)
            con.execute("BEGIN")
            for t in tables:
                rows = data[t]
                share = rows[start * len(rows) // events:end * len(rows) // events]
                if share:
                    con.executemany(f"INSERT INTO {t} VALUES ({','.join('?' * len(share[0]))})",
                                    share)
            con.execute("COMMIT")
        con.close()
        return events

    return timed(insert_all, a["runs"])


def job_s6_plain_ingest(a: dict[str, Any]) -> dict[str, Any]:
    """The same events read from `storylog events` NDJSON, put in batches by the plain app."""
    import uuid

    import compare_plain as cp
    import orjson

    started = time.perf_counter()
    app = cp.PlainApp(a["plain_db"])
    batch: list[Any] = []
    put = 0.0
    count = 0
    with open(a["ndjson"], "rb") as f:
        for raw in f:
            line = orjson.loads(raw)
            record = line["record"]
            payload = dict(record["payload"])
            if "content" in line:
                payload["content"] = line["content"]
            kwargs = cp.plain_call(line["type"], payload, record["editor"],
                                   record["command_id"])
            batch.append(cp.plain_event(line["type"], uuid.UUID(line["story_id"]),
                                        line["position"],
                                        datetime.fromisoformat(record["recorded_at"]), kwargs))
            if len(batch) >= a.get("batch", 1000):
                t = time.perf_counter()
                app.events.put(batch)
                put += time.perf_counter() - t
                count += len(batch)
                batch = []
    if batch:
        t = time.perf_counter()
        app.events.put(batch)
        put += time.perf_counter() - t
        count += len(batch)
    app.close()
    return {"events": count, "seconds": time.perf_counter() - started, "put_seconds": put,
            "rss_peak_mib": rss_mib()}


def main() -> None:
    job = json.loads(sys.argv[1])
    result = globals()[f"job_{job['job']}"](job)
    if isinstance(result, dict):
        result.setdefault("rss_peak_mib", rss_mib())
    sys.stdout.write("\n" + json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()

