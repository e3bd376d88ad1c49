"""The storylog event-log benchmark. Run it as ``bench/run`` (``--quick`` for a smoke run).

It prints its figures beside the targets (it never asserts them) and writes them
to ``bench/results/latest.json``. Everything happens on real SQLite files in a
temporary directory, removed at the end unless ``--keep`` is given.

1. ``storylog add``: the real console script, spawned as a process, timed from
   spawn to exit, on stories with 10, 10,000 and 100,000 events of history
   (quick: 10, 1,000, 10,000). The histories are built in-process by
   ``history.py`` with storylog's own classes (see its doc for the mix). The runs
   are consecutive adds to the same story, as an editor makes them: with 50 runs
   (the default) they span exactly one snapshot interval, so one run in each
   case pays for taking a snapshot, as one add in 50 does in real use.
2. ``storylog load``: the NDJSON written by ``storylog events`` for the largest
   story, loaded into a fresh file, as a process; beside it the floor: the same
   rows inserted by eventsourcing's ``recorder.insert_events`` in one call,
   in-process, with no verification and no keys.

``--profile`` also profiles one add at the largest history and one load (with
pyinstrument when it is installed, else cProfile) into ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import history
import machine

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"

TARGET_ADD_MS = 150.0
TARGET_RATIO = 1.3
TARGET_LOAD_EPS = 20_000.0

FULL = {"sizes": [10, 10_000, 100_000], "runs": 50, "load_events": 100_000, "load_runs": 2,
        "floor_runs": 10}
QUICK = {"sizes": [10, 1_000, 10_000], "runs": 15, "load_events": 10_000, "load_runs": 1,
         "floor_runs": 5}
EDITOR = "bench.editor"


class BenchError(RuntimeError):
    pass


# -- processes ------------------------------------------------------------------


@dataclass
class Proc:
    seconds: float
    rc: int
    stdout: str
    stderr: str
    cpu_user: float
    cpu_sys: float
    max_rss_mib: float


def spawn(argv: list[str], env: dict[str, str]) -> Proc:
    """Run a process to its end; wall time from spawn to reaping, and its own rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Proc(
            seconds, proc.returncode, out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"), usage.ru_utime, usage.ru_stime,
            usage.ru_maxrss / 1024,
        )


def checked(argv: list[str], env: dict[str, str], what: str) -> Proc:
    result = spawn(argv, env)
    if result.rc != 0:
        raise BenchError(f"{what} exited {result.rc}: {result.stderr.strip()[-2000:]}")
    return result


def child_env(db: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLOG_")}
    env["STORYLOG_EDITOR"] = EDITOR
    env["NO_COLOR"] = "1"
    if db is not None:
        env["STORYLOG_DB"] = str(db)
    return env


# -- statistics -----------------------------------------------------------------


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return {
        "median_ms": statistics.median(ms), "min_ms": ms[0], "p90_ms": p90, "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms), "runs": len(ms),
    }


def count_rows(db: Path, table: str) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def file_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


# -- the measurements -------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.cfg: dict[str, Any] = dict(QUICK if args.quick else FULL)
        if args.runs:
            self.cfg["runs"] = args.runs
        self.storylog = str(args.storylog)
        self.python = sys.executable
        self.tmp = Path(tempfile.mkdtemp(prefix="storylog-bench-", dir=args.tmp))
        self.writer = history.Writer(random.Random(7))
        self.out: dict[str, Any] = {}
        self.log_lines: list[str] = []

    def say(self, line: str = "") -> None:
        print(line, flush=True)

    def note(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def wait_idle(self, what: str) -> float:
        """With --wait-idle, wait (up to that many seconds) for a quiet machine; the 1-min load."""
        load = machine.load_average()[:1] or [0.0]
        deadline = time.monotonic() + (self.args.wait_idle or 0)
        told = False
        while load[0] >= self.args.idle_load and time.monotonic() < deadline:
            if not told:
                self.note(f"waiting for the machine to go quiet before {what} "
                          f"(1-min load {load[0]:.2f}) ...")
                told = True
            time.sleep(5)
            load = machine.load_average()[:1] or [0.0]
        return load[0]

    # 0. what a process costs before it touches a database
    def process_floor(self) -> dict[str, Any]:
        env = child_env()
        for _ in range(3):  # warm the page cache and .pyc files
            checked([self.storylog, "--version"], env, "storylog --version")
        probes = {
            "python -c pass": [self.python, "-c", "pass"],
            "storylog --version": [self.storylog, "--version"],
            "python: import what `add` imports": [
                self.python, "-c",
                "import storylog.cli, storylog.app.commands, storylog.store.sqlite_factory",
            ],
        }
        floor: dict[str, Any] = {"load_1min_before": self.wait_idle("the process floor")}
        for name, argv in probes.items():
            runs = [checked(argv, env, name).seconds for _ in range(self.cfg["floor_runs"])]
            floor[name] = summary(runs)
        return floor

    def build(self, size: int) -> tuple[Path, str, dict[str, Any]]:
        db = self.tmp / f"story-{size}.db"
        slug = f"history-{size}"
        self.note(f"building a story of {size:,} events ...")
        report = history.build_story(str(db), slug, size, log=self.note)
        return db, slug, report.as_dict()

    def bench_add(self, size: int, db: Path, slug: str) -> dict[str, Any]:
        env = child_env(db)
        runs: list[dict[str, Any]] = []
        snapshots_before = count_rows(db, "stored_snapshots")
        load_before = self.wait_idle(f"the adds at {size:,} events")
        self.note(f"timing {self.cfg['runs']} `storylog add` at {size:,} events of history ...")
        for i in range(self.cfg["runs"]):
            text = self.writer.body()
            argv = [self.storylog, "add", slug, "--text", text, "--source", "Bild",
                    "--source", "Julian Röpcke,kind=analyst,via=Bild"]
            result = checked(argv, env, f"storylog add at {size + i} events")
            if not result.stdout.strip().startswith("u"):
                raise BenchError(f"storylog add printed {result.stdout!r}, not an update id")
            position = size + i + 1
            runs.append({
                "position": position, "seconds": result.seconds,
                "cpu_s": result.cpu_user + result.cpu_sys, "max_rss_mib": result.max_rss_mib,
                "took_snapshot": position % history.SNAPSHOT_INTERVAL == 0,
            })
        rows = count_rows(db, "stored_events")
        if rows != size + len(runs):
            raise BenchError(f"expected {size + len(runs)} events after the adds, found {rows}")
        stats = summary([r["seconds"] for r in runs])
        plain = [r["seconds"] for r in runs if not r["took_snapshot"]]
        snap = [r["seconds"] * 1000 for r in runs if r["took_snapshot"]]
        return {
            "history": size, "first_position": size + 1, "last_position": size + len(runs),
            "load_1min_before": load_before, "load_1min_after": machine.load_average()[:1],
            **stats,
            "median_ms_without_snapshot_runs": summary(plain)["median_ms"] if plain else None,
            "snapshot_runs_ms": snap,
            "snapshots_written": count_rows(db, "stored_snapshots") - snapshots_before,
            "cpu_median_ms": statistics.median(r["cpu_s"] for r in runs) * 1000,
            "max_rss_median_mib": statistics.median(r["max_rss_mib"] for r in runs),
            "db_bytes": file_bytes(db),
            "runs_detail": runs,
        }

    def export(self, db: Path, slug: str, events: int) -> tuple[Path, dict[str, Any]]:
        ndjson = self.tmp / f"{slug}.ndjson"
        self.note(f"exporting {events:,} events with `storylog events` ...")
        result = checked(
            [self.storylog, "--db", str(db), "events", slug, "-o", str(ndjson)],
            child_env(), "storylog events",
        )
        with ndjson.open("rb") as f:
            lines = sum(1 for _ in f)
        if lines != events:
            raise BenchError(f"the export holds {lines} lines, not {events}")
        return ndjson, {
            "seconds": result.seconds, "events_per_s": events / result.seconds,
            "bytes": ndjson.stat().st_size, "max_rss_mib": result.max_rss_mib,
        }

    def bench_load(self, ndjson: Path, slug: str, events: int) -> dict[str, Any]:
        runs: list[dict[str, Any]] = []
        for k in range(self.cfg["load_runs"]):
            dst = self.tmp / f"loaded-{k}.db"
            load_before = self.wait_idle(f"load run {k + 1}")
            self.note(f"timing `storylog load` of {events:,} events (run {k + 1}) ...")
            result = checked(
                [self.storylog, "--db", str(dst), "load", str(ndjson)], child_env(),
                "storylog load",
            )
            rows = count_rows(dst, "stored_events")
            if rows != events:
                raise BenchError(f"load wrote {rows} events, not {events}")
            verified = None
            if k == 0:  # not timed: the loaded story must verify in its new home
                verified = spawn([self.storylog, "--db", str(dst), "verify", slug],
                                 child_env()).rc == 0
            runs.append({
                "seconds": result.seconds, "events_per_s": events / result.seconds,
                "cpu_s": result.cpu_user + result.cpu_sys, "max_rss_mib": result.max_rss_mib,
                "verified_after_load": verified, "load_1min_before": load_before,
            })
            for p in dst.parent.glob(dst.name + "*"):
                p.unlink()
        best = max(runs, key=lambda r: r["events_per_s"])
        median_s = statistics.median(r["seconds"] for r in runs)
        return {
            "events": events, "file_bytes": ndjson.stat().st_size, "runs": runs,
            "median_seconds": median_s, "median_events_per_s": events / median_s,
            "best_events_per_s": best["events_per_s"],
        }

    def insert_floor(self, ndjson: Path, events: int) -> dict[str, Any]:
        """The same rows, one ``recorder.insert_events`` call, no checks, no keys."""
        import orjson
        from eventsourcing.persistence import StoredEvent

        from storylog.app.service import StoryApp

        rows = []
        with ndjson.open("rb") as f:
            for raw in f:
                line = orjson.loads(raw)
                rows.append(StoredEvent(
                    originator_id=uuid.UUID(line["story_id"]),
                    originator_version=line["position"], topic=line["topic"],
                    state=orjson.dumps(line["record"]),
                ))
        db = self.tmp / "floor.db"
        load_before = self.wait_idle("the floor insert")
        app = StoryApp(str(db))  # the same tables and pragmas (WAL, synchronous=FULL)
        started = time.perf_counter()
        app.recorder.insert_events(rows)
        seconds = time.perf_counter() - started
        app.close()
        if count_rows(db, "stored_events") != events:
            raise BenchError("the floor insert lost rows")
        for p in db.parent.glob(db.name + "*"):
            p.unlink()
        return {"seconds": seconds, "events_per_s": events / seconds,
                "load_1min_before": load_before}

    # -- profiles ------------------------------------------------------------------

    def profile(self, db: Path, slug: str, size: int, ndjson: Path | None) -> dict[str, str]:
        """Profile a typical add (mid snapshot interval), the add that takes a snapshot, and a load.

        The story is at position ``size + runs`` (a fresh snapshot) when this starts; plain adds
        move it on to the middle of the interval, and then to just before the next snapshot.
        """
        RESULTS.mkdir(parents=True, exist_ok=True)
        try:
            import pyinstrument  # noqa: F401

            tool = "pyinstrument"
        except ImportError:
            tool = "cProfile"
        interval = history.SNAPSHOT_INTERVAL
        made: dict[str, str] = {"tool": tool}
        position = count_rows(db, "stored_events")

        def add_args() -> list[str]:
            return ["add", slug, "--text", self.writer.body(), "--source", "Bild"]

        def advance_to(last: int) -> None:
            nonlocal position
            while position < last:
                checked([self.storylog, "add", *add_args()[1:]], child_env(db), "storylog add")
                position += 1

        jobs: list[tuple[str, list[str], Path, int]] = []
        mid = (position // interval) * interval + interval // 2
        jobs.append(("add", add_args(), db, mid - 1))
        jobs.append(("add-snapshot", add_args(), db, (position // interval + 1) * interval - 1))
        if ndjson is not None:
            jobs.append(("load", ["load", str(ndjson)], self.tmp / "profiled-load.db", 0))
        for name, args, target, before in jobs:
            if name.startswith("add"):
                advance_to(before)
            out = RESULTS / f"profile-{name}.txt"
            where = f" at position {position + 1:,}" if name.startswith("add") else ""
            self.note(f"profiling one `storylog {name}`{where} ({tool}) -> {out}")
            env = child_env(target)
            if tool == "pyinstrument":
                argv = [self.python, "-m", "pyinstrument", "-i", "0.001", "-r", "text",
                        "-o", str(out), "-m", "storylog.cli", *args]
                checked(argv, env, f"profiled storylog {name}")
            else:
                raw = self.tmp / f"{name}.prof"
                checked([self.python, "-m", "cProfile", "-o", str(raw), "-m", "storylog.cli",
                         *args], env, f"profiled storylog {name}")
                import pstats

                with out.open("w") as f:
                    pstats.Stats(str(raw), stream=f).sort_stats("cumulative").print_stats(60)
            if name.startswith("add"):
                position += 1
                made[name] = f"{out} (position {position:,})"
            else:
                made[name] = str(out)
        return made

    # -- the whole run -----------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        cfg = self.cfg
        out: dict[str, Any] = {
            "mode": "quick" if self.args.quick else "full",
            "started_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "machine": machine.describe(str(self.tmp), REPO),
            "config": {k: v for k, v in cfg.items()},
            "targets": {"add_median_ms": TARGET_ADD_MS, "add_ratio_largest_vs_10": TARGET_RATIO,
                        "load_events_per_s": TARGET_LOAD_EPS},
        }
        self.out = out
        self.note(f"working in {self.tmp}")
        out["process_floor"] = self.process_floor()
        out["histories"] = []
        out["add"] = []
        load_src: tuple[Path, str] | None = None
        ndjson: Path | None = None
        for size in cfg["sizes"]:
            db, slug, report = self.build(size)
            out["histories"].append(report)
            if size == cfg["load_events"]:  # export before the adds: exactly N events
                ndjson, out["export"] = self.export(db, slug, size)
                load_src = (db, slug)
            out["add"].append(self.bench_add(size, db, slug))
            if size != cfg["sizes"][-1]:
                for p in db.parent.glob(db.name + "*"):
                    p.unlink()
        largest_db = self.tmp / f"story-{cfg['sizes'][-1]}.db"
        largest_slug = f"history-{cfg['sizes'][-1]}"
        if ndjson is None:
            db, slug, report = self.build(cfg["load_events"])
            report["for"] = "load"
            out["histories"].append(report)
            ndjson, out["export"] = self.export(db, slug, cfg["load_events"])
            load_src = (db, slug)
        assert load_src is not None
        out["load"] = self.bench_load(ndjson, load_src[1], cfg["load_events"])
        self.note("timing the floor: one recorder.insert_events call ...")
        out["load"]["floor_insert_events"] = self.insert_floor(ndjson, cfg["load_events"])
        base = out["add"][0]["median_ms"]
        cpu_base = out["add"][0]["cpu_median_ms"]
        for a in out["add"]:
            a["ratio_to_10"] = a["median_ms"] / base
            a["cpu_ratio_to_10"] = a["cpu_median_ms"] / cpu_base
        if self.args.profile:
            out["profiles"] = self.profile(largest_db, largest_slug, cfg["sizes"][-1], ndjson)
        out["duration_s"] = time.perf_counter() - started
        out["load_average_at_end"] = machine.load_average()
        out["src_changed_during_run"] = (
            machine.src_fingerprint(REPO) != out["machine"]["storylog_src_sha256"])
        return out

    def cleanup(self) -> None:
        if self.args.keep:
            self.note(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- the report ------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FALL SHORT"


def report(out: dict[str, Any]) -> list[str]:
    L: list[str] = []
    quick = out["mode"] == "quick"
    L.append(f"storylog event-log benchmark ({out['mode']}), {out['started_utc']} UTC, "
             f"{out['duration_s']:.0f} s")
    L.append("")
    L.append("Machine")
    L += ["  " + line for line in machine.lines(out["machine"])]
    L.append("")
    L.append("Histories: built in-process with storylog's own Story commands and StoryApp.save "
             "(sealed, chained rows);")
    L.append("  mostly edits of a bounded set of updates (at most 2,000), a publish every 20 "
             "changes, ~1 retraction per 1,000 events;")
    L.append("  bodies 300-1,500 characters. Only the newest snapshot is written "
             "(the app would write one every 50 events).")
    L.append(f"  {'events':>8} {'updates':>7} {'adds':>6} {'edits':>7} {'retract':>7} "
             f"{'publish':>7} {'revisions':>9} {'snapshot':>10} {'db':>8} {'build':>7} "
             f"{'of which read models':>20}")
    for h in out["histories"]:
        snap = f"{h['snapshot_bytes'] / 2**20:.1f} MiB" if h["snapshot_bytes"] else "none"
        L.append(f"  {h['events']:>8,} {h['updates']:>7,} {h['adds']:>6,} {h['edits']:>7,} "
                 f"{h['retractions']:>7,} {h['publishes']:>7,} {h['revisions']:>9,} {snap:>10} "
                 f"{h['db_bytes'] / 2**20:>5.0f} MiB {h['seconds']:>5.1f} s "
                 + (f"{h['read_model_catch_up_s']:>18.1f} s"
                    if h.get("read_model_catch_up_s") is not None else f"{'-':>20}"))
    big = out["histories"][len(out["add"]) - 1]
    if big.get("snapshot_bytes"):
        n = big["events"] // history.SNAPSHOT_INTERVAL
        total = big["snapshot_bytes"] * (n + 1) / 2 / 2**30  # sizes grow about linearly
        L.append(f"  (at {big['events']:,} events one snapshot is "
                 f"{big['snapshot_bytes'] / 2**20:.1f} MiB; the app's {n:,} snapshots of this "
                 f"story would hold about {total:.1f} GiB)")
    L.append("")
    L.append("Process floor (no database), median of "
             f"{out['config']['floor_runs']} runs")
    for name, s in out["process_floor"].items():
        if not isinstance(s, dict):
            continue
        L.append(f"  {name:<40} {s['median_ms']:>7.1f} ms  (min {s['min_ms']:.1f})")
    L.append("")
    runs = out["config"]["runs"]
    L.append(f"1. `storylog add`, one process end to end, {runs} consecutive adds per history "
             f"(target: median < {TARGET_ADD_MS:.0f} ms; largest within {TARGET_RATIO}x of 10)")
    L.append(f"  {'history':>8} {'median':>8} {'min':>8} {'p90':>8} {'max':>8} {'ratio':>6} "
             f"{'snapshot run':>12} {'cpu':>7} {'cpu ratio':>9} {'rss':>7}   "
             f"median<{TARGET_ADD_MS:.0f}ms   ratio<={TARGET_RATIO}")
    last = out["add"][-1]["history"]
    for a in out["add"]:
        snap = ", ".join(f"{s:.0f} ms" for s in a["snapshot_runs_ms"]) or "-"
        ratio_verdict = verdict(a["ratio_to_10"] <= TARGET_RATIO) if a["history"] == last else (
            "(info)" if a is not out["add"][0] else "-")
        L.append(
            f"  {a['history']:>8,} {a['median_ms']:>5.0f} ms {a['min_ms']:>5.0f} ms "
            f"{a['p90_ms']:>5.0f} ms {a['max_ms']:>5.0f} ms {a['ratio_to_10']:>5.2f}x "
            f"{snap:>12} {a['cpu_median_ms']:>4.0f} ms {a['cpu_ratio_to_10']:>8.2f}x "
            f"{a['max_rss_median_mib']:>4.0f} MiB"
            f"   {verdict(a['median_ms'] < TARGET_ADD_MS):<10}   {ratio_verdict}"
        )
    L.append("  1-min load average before each: " + ", ".join(
        f"{a['history']:,}: {a['load_1min_before']:.2f}" for a in out["add"]))
    L.append(f"  (history N means positions N+1 .. N+{runs} were added; 'snapshot run' is the "
             f"add that lands on a multiple of {history.SNAPSHOT_INTERVAL} and takes one; "
             "cpu (user+sys) and rss are the process's own, medians)")
    L.append("")
    ld = out["load"]
    ex = out["export"]
    L.append(f"2. `storylog load` of {ld['events']:,} events "
             f"({ld['file_bytes'] / 2**20:.0f} MiB of NDJSON from `storylog events`), one process "
             f"end to end (target: >= {TARGET_LOAD_EPS:,.0f} events/s)")
    for i, r in enumerate(ld["runs"], 1):
        ver = "" if r["verified_after_load"] is None else (
            "; loaded story verifies" if r["verified_after_load"]
            else "; LOADED STORY FAILS verify")
        L.append(f"  run {i}: {r['seconds']:6.2f} s  {r['events_per_s']:>9,.0f} events/s  "
                 f"(cpu {r['cpu_s']:.1f} s, rss {r['max_rss_mib']:.0f} MiB{ver}; "
                 f"load before {r['load_1min_before']:.2f})")
    L.append(f"  median: {ld['median_events_per_s']:>9,.0f} events/s   "
             f"{verdict(ld['median_events_per_s'] >= TARGET_LOAD_EPS)}")
    fl = ld["floor_insert_events"]
    L.append(f"  floor, recorder.insert_events of the same rows in one call, no checks: "
             f"{fl['seconds']:.2f} s  {fl['events_per_s']:,.0f} events/s")
    L.append(f"  (the export, `storylog events`: {ex['seconds']:.2f} s, "
             f"{ex['events_per_s']:,.0f} events/s)")
    L.append("")
    L.append("Targets")
    for a in out["add"]:
        L.append(f"  add median < {TARGET_ADD_MS:.0f} ms at {a['history']:>7,} events: "
                 f"{a['median_ms']:6.0f} ms   {verdict(a['median_ms'] < TARGET_ADD_MS)}")
    la = out["add"][-1]
    L.append(f"  add at {la['history']:,} within {TARGET_RATIO}x of 10 events: "
             f"{la['ratio_to_10']:.2f}x   {verdict(la['ratio_to_10'] <= TARGET_RATIO)}"
             f"   (cpu time ratio {la['cpu_ratio_to_10']:.2f}x)"
             + ("   (quick sizes: the target is for 100,000)" if quick else ""))
    L.append(f"  load >= {TARGET_LOAD_EPS:,.0f} events/s: {ld['median_events_per_s']:,.0f}   "
             f"{verdict(ld['median_events_per_s'] >= TARGET_LOAD_EPS)}"
             + (f"   (quick: {ld['events']:,} events)" if quick else ""))
    start_load = out["machine"]["load_average_at_start"][:1]
    end_load = out.get("load_average_at_end", [])[:1]
    if (start_load and start_load[0] > 0.5) or (end_load and end_load[0] > 1.5):
        L.append("")
        L.append(f"  NOTE: the machine was not idle (1-min load {start_load} at start, "
                 f"{end_load} at end); wall times may be inflated, the cpu column less so.")
    if out.get("src_changed_during_run"):
        L.append("  NOTE: src/storylog changed while the benchmark ran; the figures mix versions.")
    if out.get("profiles"):
        L.append("")
        L.append("Profiles: " + ", ".join(
            f"{k}: {v}" for k, v in out["profiles"].items() if k != "tool"))
    return L


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes (10 / 1,000 / 10,000; a 10,000-event load)")
    parser.add_argument("--runs", type=int, help="adds timed per history (default 50; quick 15)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one add at the largest history and one load")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    parser.add_argument("--wait-idle", type=float, default=0, metavar="SECONDS",
                        help="before each timed phase, wait up to SECONDS for the 1-min load "
                        "average to drop below --idle-load (for shared machines)")
    parser.add_argument("--idle-load", type=float, default=0.5, metavar="LOAD",
                        help="what --wait-idle counts as quiet (default 0.5)")
    parser.add_argument("--tmp", help="where to make the temporary directory")
    parser.add_argument("--storylog", default=str(Path(sys.executable).parent / "storylog"),
                        help="the console script to time (default: beside this Python)")
    parser.add_argument("--output", default=str(RESULTS / "latest.json"),
                        help="where to write the JSON (default bench/results/latest.json)")
    args = parser.parse_args()
    if args.runs is not None and args.runs < 2:
        parser.error("--runs must be at least 2")
    if not Path(args.storylog).exists():
        parser.error(f"no storylog console script at {args.storylog}; give --storylog")
    bench = Bench(args)
    try:
        out = bench.run()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        bench.cleanup()
    lines = report(out)
    print("\n".join(lines), flush=True)
    out["report"] = lines
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=2, default=str) + "\n"
    target.write_text(text, encoding="utf-8")
    by_mode = target.with_name(f"{target.stem}-{out['mode']}{target.suffix}")
    by_mode.write_text(text, encoding="utf-8")  # a quick run does not hide the last full one
    print(f"\nwrote {target} and {by_mode.name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
