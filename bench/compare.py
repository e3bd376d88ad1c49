#!/usr/bin/env python3
"""storylog side by side with git and with a plain eventsourcing application (issue 7).

    .venv/bin/python bench/compare.py            # full sizes (about 20 minutes)
    .venv/bin/python bench/compare.py --quick    # small sizes (about 2 minutes)

It generates synthetic stories with storylog's own classes (``compare_gen.py``: every
change goes through the Story's commands and storylog's mapper and chained store; the
git twin of a story gets one commit per change, via ``git fast-import``), runs each
scenario several times, and prints one table: scenario, storylog's figure, each
baseline's figure, the ratio, and the targets with PASS / FALLS SHORT. Everything also
goes to ``bench/results/compare-latest.json``.

1. One editor's change as a process: ``storylog add`` against writing the story's
   Markdown and ``git commit``, at 100, 10,000 and 100,000 prior changes.
2. One update's audited history (changed 1,000 times): ``storylog log --update --patch``
   (and the trail alone, without patches) against ``git log -p`` on the update's file.
3. The diff between two published versions of a 5,000-update story: ``storylog diff``
   (and ``--format patch``, and ``version_diff`` in-process) against ``git diff`` of tags.
4. Loading a story at 100,000 events: ``StoryApp(db).story(slug)`` (snapshot and tail)
   against a plain eventsourcing application replaying every event.
5. Rebuilding the read models from 1,000,000 events against the floor of reading the
   same rows with plain SQL and decoding them with orjson.
6. ``storylog load`` of 100,000 events against the plain application inserting the same
   events in batches (each a process reading the same NDJSON).
8. What keeping and checking the history costs: bytes on disk for the longest history
   (storylog's database against the git repository), and ``storylog verify`` of that
   story against ``git fsck --full``.
7. Peak memory of each: a process's own ``ru_maxrss`` (through GNU time, one extra run
   per command), and for in-process measurements the worker process's peak RSS during
   the timed runs (``VmHWM``, reset before them), beside its RSS before them.

Ratios are storylog / baseline: for times, lower is better for storylog; for
throughputs (5, 6), higher is. The 1-minute load average is recorded beside each row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
sys.path.insert(0, str(BENCH))

try:
    import storylog  # noqa: F401
except ImportError:  # run with a Python that lacks storylog: use the repository's venv
    VENV_PYTHON = REPO / ".venv" / "bin" / "python"
    if VENV_PYTHON.exists() and Path(sys.executable) != VENV_PYTHON:
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    raise

import machine  # noqa: E402  (bench/machine.py, shared with bench/run)

EDITOR = "bench.editor"

# A long-running story stays at a bounded size (its git twin rewrites the whole file
# on every commit): edits are mostly updates and copy edits; corrections with public
# notes are rare, as they are in newsrooms. Publication every 10 changes.
BOUNDED_KINDS = (("update", 66.0), ("copy-edit", 31.5), ("correction", 1.5),
                 ("clarification", 0.7), ("editors-note", 0.3))
NORMAL_KINDS = (("update", 40.0), ("copy-edit", 25.0), ("correction", 20.0),
                ("clarification", 10.0), ("editors-note", 5.0))

FULL: dict[str, Any] = {
    "s1_sizes": [100, 10_000, 100_000], "s1_updates": 150, "s1_runs": 25,
    "s2_focus_edits": 1000, "s2_other_edits": 1000, "s2_adds": 100, "s2_runs": 15,
    "s3_updates": 5000, "s3_runs": 11, "s3_patch_runs": 5, "s3_inproc_runs": 11,
    "s4_runs": 15, "s4_plain_runs": 5,
    "s5_stories": 1000, "s5_events": 1000, "s5_bases": 10, "s5_runs": 3, "s5_floor_runs": 5,
    "s5_verify_sample": 20,
    "s6_runs": 3, "s8_runs": 3, "settle_s": 30,
}
QUICK: dict[str, Any] = {
    "s1_sizes": [100, 1_000, 5_000], "s1_updates": 150, "s1_runs": 7,
    "s2_focus_edits": 100, "s2_other_edits": 100, "s2_adds": 30, "s2_runs": 7,
    "s3_updates": 500, "s3_runs": 7, "s3_patch_runs": 3, "s3_inproc_runs": 7,
    "s4_runs": 7, "s4_plain_runs": 3,
    "s5_stories": 20, "s5_events": 1000, "s5_bases": 4, "s5_runs": 3, "s5_floor_runs": 3,
    "s5_verify_sample": 20,
    "s6_runs": 3, "s8_runs": 3, "settle_s": 5,
}
SETTLE_BELOW = 1.5  # 1-minute load average counted as quiet enough on 2 cores

TARGETS = {
    "s1_history_ratio": 1.3, "s1_abs_ms": 150.0, "s2_ratio": 0.5, "s4_ratio": 0.05,
    "s5_ratio": 0.5, "s6_ratio": 0.8,
}


class BenchError(RuntimeError):
    pass


# -- processes and statistics -----------------------------------------------------------


@dataclass
class Proc:
    seconds: float
    rc: int
    out_bytes: int
    stdout: str
    stderr: str
    cpu: float
    rss_mib: float


GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None


def spawn(argv: list[str], env: dict[str, str] | None = None, cwd: str | None = None,
          keep: int = 4000, rss: bool = False) -> Proc:
    """Run a process to its end: wall time from spawn to reaping, its cpu time.

    With ``rss``, its peak memory too: the ``ru_maxrss`` that GNU time gets from
    ``wait4``. (The benchmark's own ``wait4``/RUSAGE_CHILDREN figure would start at this
    process's peak: Linux carries the high-water mark of the forked image across exec.
    GNU time forks from a 2 MiB process.) Wall time then includes time's exec, ~1 ms,
    so the timed runs go without it.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".rss") as rssf:
        if rss and GNU_TIME:
            argv = [GNU_TIME, "-f", "%M", "-o", rssf.name, *argv]
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        rc = os.waitstatus_to_exitcode(status)
        size = out.tell()
        out.seek(0)
        err.seek(0)
        peak = usage.ru_maxrss / 1024
        if rss and GNU_TIME:
            lines = Path(rssf.name).read_text().split()
            peak = int(lines[-1]) / 1024 if lines else 0.0
        return Proc(seconds, rc, size, out.read(keep).decode("utf-8", "replace"),
                    err.read().decode("utf-8", "replace"), usage.ru_utime + usage.ru_stime,
                    peak)


def checked(argv: list[str], env: dict[str, str] | None = None, what: str = "",
            cwd: str | None = None, rss: bool = False) -> Proc:
    p = spawn(argv, env, cwd, rss=rss)
    if p.rc != 0:
        raise BenchError(f"{what or argv[0]} exited {p.rc}: {p.stderr.strip()[-2000:]}")
    return p


def stats(values: list[float]) -> dict[str, Any]:
    xs = sorted(values)
    if len(xs) >= 2:
        q = statistics.quantiles(xs, n=4, method="inclusive")
        p25, p75 = q[0], q[2]
    else:
        p25 = p75 = xs[0]
    return {"median": statistics.median(xs), "p25": p25, "p75": p75, "min": xs[0],
            "max": xs[-1], "n": len(xs), "values": values}


def load1() -> float:
    return (machine.load_average() or [0.0])[0]


def child_env(db: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLOG_")}
    env.update(STORYLOG_EDITOR=EDITOR, NO_COLOR="1", GIT_PAGER="cat", PAGER="cat",
               LC_ALL="C.UTF-8")
    if db is not None:
        env["STORYLOG_DB"] = str(db)
    return env


def count_rows(db: Path, table: str = "stored_events") -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def file_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def rm_db(db: Path) -> None:
    for p in db.parent.glob(db.name + "*"):
        p.unlink()


def git_version() -> str:
    try:
        return subprocess.run(["git", "--version"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return "absent"


# -- the run ---------------------------------------------------------------------------------


class Compare:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.cfg = dict(QUICK if args.quick else FULL)
        self.python = sys.executable
        self.storylog = str(Path(sys.executable).parent / "storylog")
        self.tmp = Path(tempfile.mkdtemp(prefix="storylog-compare-", dir=args.tmp))
        self.started = time.perf_counter()
        self.out: dict[str, Any] = {}
        self.rows: list[dict[str, Any]] = []
        self.targets: list[dict[str, Any]] = []
        self.memory: list[dict[str, Any]] = []
        self.s1: dict[int, dict[str, Any]] = {}
        self.paths: dict[str, Any] = {}
        import random

        from compare_gen import Writer
        self.writer = Writer(random.Random(11))

    def note(self, line: str) -> None:
        print(f"[{time.perf_counter() - self.started:6.0f} s] {line}", file=sys.stderr,
              flush=True)

    def worker(self, job: dict[str, Any], what: str) -> tuple[dict[str, Any], Proc]:
        argv = [self.python, str(BENCH / "compare_worker.py"), json.dumps(job)]
        p = subprocess.Popen(argv, env=child_env(), stdout=subprocess.PIPE, text=True)
        started = time.perf_counter()
        out, _ = p.communicate()
        seconds = time.perf_counter() - started
        if p.returncode != 0:
            raise BenchError(f"{what} failed (exit {p.returncode})")
        result = json.loads(out.strip().splitlines()[-1])
        return result, Proc(seconds, 0, 0, "", "", 0.0, result.get("rss_peak_mib", 0.0))

    def timed_worker(self, job: dict[str, Any], what: str) -> tuple[dict[str, Any], Proc]:
        """A worker whose process is itself the measurement (wall time, its own rss)."""
        p = checked([self.python, str(BENCH / "compare_worker.py"), json.dumps(job)],
                    child_env(), what, rss=True)
        return json.loads(p.stdout.strip().splitlines()[-1]), p

    def settle(self) -> float:
        """Before a timed phase, wait (up to settle_s) for the 1-minute load average to
        drop below SETTLE_BELOW: the builds before it leave it high for a minute."""
        deadline = time.monotonic() + self.cfg["settle_s"]
        while load1() >= SETTLE_BELOW and time.monotonic() < deadline:
            time.sleep(2)
        return load1()

    def wanted(self, n: int) -> bool:
        return not self.args.only or n in self.args.only

    def row(self, scenario: str, kind: str, storylog: dict[str, Any],
            baselines: list[tuple[str, dict[str, Any]]], load: float,
            note: str = "", ratio_of: int = 0) -> dict[str, Any]:
        """kind: 'ms' (lower is better) or 'eps' (events/s, higher is better)."""
        base = baselines[ratio_of][1]["median"] if baselines else None
        ratio = storylog["median"] / base if base else None
        row = {"scenario": scenario, "kind": kind, "storylog": storylog,
               "baselines": [{"name": n, **s} for n, s in baselines], "ratio": ratio,
               "load_1min": load, "note": note}
        self.rows.append(row)
        return row

    def target(self, label: str, value: float, target: float, better: str,
               unit: str = "x", note: str = "") -> None:
        ok = value <= target if better == "lower" else value >= target
        self.targets.append({"label": label, "value": value, "target": target,
                             "better": better, "unit": unit, "ok": ok, "note": note})

    def mem(self, scenario: str, storylog: float, baselines: list[tuple[str, float]],
            note: str = "") -> None:
        self.memory.append({"scenario": scenario, "storylog_mib": storylog,
                            "baselines": [{"name": n, "mib": v} for n, v in baselines],
                            "note": note})

    # -- 1: one editor's change -------------------------------------------------------------

    def build_s1(self, size: int) -> dict[str, Any]:
        if size in self.s1:
            return self.s1[size]
        db = self.tmp / f"s1-{size}.db"
        repo = self.tmp / f"s1-{size}-git"
        slug = f"history-{size}"
        self.note(f"building a story of {size:,} events and its git twin ({size:,} commits)")
        # a handful of retractions whatever the length (one per 1,000 events would
        # withdraw most of a bounded story's updates by 100,000 changes)
        mix = {"adds": self.cfg["s1_updates"], "publish_every": 10,
               "retract_per": max(1000, size // 5), "edit_kinds": BOUNDED_KINDS}
        report, _ = self.worker({"job": "build_story", "db": str(db), "slug": slug,
                                 "events": size, "mix": mix, "git": str(repo), "seed": size},
                                f"building the {size:,}-event story")
        report["db_bytes"] = file_bytes(db)
        report["git_bytes"] = sum(f.stat().st_size for f in (repo / ".git").rglob("*")
                                  if f.is_file())
        self.s1[size] = {"db": db, "repo": repo, "slug": slug, "report": report}
        return self.s1[size]

    def scenario1(self) -> None:
        cfg = self.cfg
        runs = cfg["s1_runs"]
        results = []
        for size in cfg["s1_sizes"]:
            s = self.build_s1(size)
            if size == max(cfg["s1_sizes"]) and (self.wanted(6) and "s6_ndjson" not in self.out):
                self.export_s6(s)
            results.append(self.bench_add(size, s, runs))
        self.out["s1"] = results
        first, last = results[0], results[-1]
        for r in results:
            self.row(f"1. add, {r['history']:,} prior changes", "ms", r["storylog"],
                     [("git commit", r["git"])], r["load_1min"],
                     note=f"{r['updates']} updates, story.md {r['markdown_kib']:.0f} KiB, "
                     f"snapshot {r['snapshot_kib']:.0f} KiB")
            self.mem(f"1. add, {r['history']:,} prior changes", r["storylog_rss_mib"],
                     [("git commit", r["git_rss_mib"])])
        ratio = last["storylog"]["median"] / first["storylog"]["median"]
        cpu_ratio = last["storylog_cpu_ms"] / first["storylog_cpu_ms"]
        self.target(f"1. add: {last['history']:,} vs {first['history']:,} prior changes",
                    ratio, TARGETS["s1_history_ratio"], "lower",
                    note=f"cpu {cpu_ratio:.2f}x; "
                    f"git {last['git']['median'] / first['git']['median']:.2f}x")
        if len(results) > 2:
            mid = results[-2]
            self.target(f"1. add: {last['history']:,} vs {mid['history']:,} (same story size)",
                        last["storylog"]["median"] / mid["storylog"]["median"],
                        TARGETS["s1_history_ratio"], "lower", note="(info: history only)")
        self.target(f"1. add median at {last['history']:,} prior changes",
                    last["storylog"]["median"], TARGETS["s1_abs_ms"], "lower", unit="ms",
                    note=f"git commit {last['git']['median']:.0f} ms; storylog is "
                    f"{last['storylog']['median'] / last['git']['median']:.1f}x git")

    def bench_add(self, size: int, s: dict[str, Any], runs: int) -> dict[str, Any]:
        db, repo, slug = s["db"], s["repo"], s["slug"]
        env = child_env(db)
        genv = child_env()
        story_md = repo / "story.md"
        text = story_md.read_bytes()
        tz = ZoneInfo("Europe/Kyiv")
        from compare_gen import update_block

        from storylog.cli.options import parse_source
        specs = ["Bild", "Julian Röpcke,kind=analyst,via=Bild"]
        sources = [parse_source(x) for x in specs]
        load = self.settle()
        self.note(f"timing {runs} x (`storylog add`, write story.md + `git commit`) "
                  f"at {size:,} prior changes (load {load:.2f})")
        sl, gt, sl_cpu = [], [], []

        def add(i: int, rss: bool = False) -> tuple[Proc, Proc, float]:
            nonlocal text
            body = self.writer.body()
            p = checked([self.storylog, "add", slug, "--text", body,
                         *[a for x in specs for a in ("--source", x)]], env, "storylog add",
                        rss=rss)
            if not p.stdout.strip().startswith("u"):
                raise BenchError(f"storylog add printed {p.stdout!r}")
            started = time.perf_counter()
            stamp = datetime.now(tz).strftime("%Y-%m-%d %H:%M")
            block = update_block({
                "id": f"x{i}", "stamp": stamp, "body": body, "sources": sources, "media": [],
                "status": "unverified", "key_event": False, "revision": 1,
                "retracted": False, "retraction": None, "erased": False, "notes": [],
                "taken_down": None})
            cut = text.find(b"\n## ") + 1 or len(text)
            text = text[:cut] + block + b"\n" + text[cut:]
            story_md.write_bytes(text)
            g = checked(["git", "-C", str(repo), "commit", "-q", "-a", "-m",
                         f"UpdateAdded x{i}\n\nby {EDITOR}"], genv, "git commit", rss=rss)
            return p, g, (time.perf_counter() - started) * 1000

        for i in range(runs):
            p, _, git_ms = add(i)
            sl.append(p.seconds * 1000)
            sl_cpu.append(p.cpu * 1000)
            gt.append(git_ms)
        mp, mg, _ = add(runs, rss=True)  # one more pair, for peak memory
        rows = count_rows(db)
        if rows != size + runs + 1:
            raise BenchError(f"expected {size + runs + 1} events after the adds, found {rows}")
        rep = s["report"]
        snap = count_snapshot(db, slug)
        return {
            "history": size, "runs": runs, "load_1min": load, "load_1min_after": load1(),
            "storylog": stats(sl), "git": stats(gt),
            "storylog_cpu_ms": statistics.median(sl_cpu),
            "storylog_rss_mib": mp.rss_mib, "git_rss_mib": mg.rss_mib,
            "updates": rep["updates"], "markdown_kib": len(text) / 1024,
            "snapshot_kib": snap / 1024, "build": rep,
        }

    # -- 2: one update's history ----------------------------------------------------------

    def scenario2(self) -> None:
        cfg = self.cfg
        db = self.tmp / "s2.db"
        repo = self.tmp / "s2-git"
        slug = "focus-story"
        events = self.plan(cfg["s2_adds"], cfg["s2_focus_edits"] + cfg["s2_other_edits"])
        mix = {"adds": cfg["s2_adds"], "publish_every": 10, "retract_per": 1000,
               "edit_kinds": NORMAL_KINDS, "focus": "u1", "focus_edits": cfg["s2_focus_edits"]}
        self.note(f"building a story of {events:,} events in which u1 changes "
                  f"{cfg['s2_focus_edits']:,} times; git twin with a file per update")
        report, _ = self.worker({"job": "build_story", "db": str(db), "slug": slug,
                                 "events": events, "mix": mix, "git": str(repo),
                                 "layout": "updates", "seed": 2}, "building the s2 story")
        self.worker({"job": "catch_up", "db": str(db)}, "catching up s2")
        commits = int(checked(["git", "-C", str(repo), "rev-list", "--count", "HEAD", "--",
                               "updates/u1.md"]).stdout)
        runs = cfg["s2_runs"]
        env = child_env(db)
        load = self.settle()
        self.note(f"timing {runs} x (`storylog log --update u1`, `git log -p updates/u1.md`) "
                  f"(load {load:.2f})")
        sl, sp, gt = [], [], []
        entries = patched = out_git = 0
        sl_rss = sp_rss = gt_rss = 0.0
        for i in range(runs + 1):  # the last round is for peak memory only
            rss = i == runs
            p = checked([self.storylog, "log", slug, "--update", "u1"], env, "storylog log",
                        rss=rss)
            q = checked([self.storylog, "log", slug, "--update", "u1", "--patch"], env,
                        "storylog log --patch", rss=rss)
            g = checked(["git", "-C", str(repo), "log", "-p", "--", "updates/u1.md"],
                        child_env(), "git log -p", rss=rss)
            if rss:
                sl_rss, sp_rss, gt_rss = p.rss_mib, q.rss_mib, g.rss_mib
                continue
            sl.append(p.seconds * 1000)
            entries = p.out_bytes
            sp.append(q.seconds * 1000)
            patched = q.out_bytes
            gt.append(g.seconds * 1000)
            out_git = g.out_bytes
        lines = checked([self.storylog, "log", slug, "--update", "u1", "--json"], env)
        self.paths["s2"] = {"db": str(db), "slug": slug}
        r = {"events": events, "focus_edits": report["focus_edits"], "git_commits_u1": commits,
             "storylog": stats(sp), "storylog_trail_only": stats(sl), "git": stats(gt),
             "load_1min": load, "storylog_out_bytes": patched,
             "storylog_trail_out_bytes": entries, "git_out_bytes": out_git,
             "storylog_rss_mib": sp_rss, "storylog_trail_rss_mib": sl_rss,
             "git_rss_mib": gt_rss, "build": report, "json_bytes": lines.out_bytes}
        self.out["s2"] = r
        self.row(f"2. log -p of 1 update changed {report['focus_edits']:,}x", "ms",
                 r["storylog"], [("git log -p", r["git"])], load,
                 note=f"story {events:,} events; git: {commits:,} commits touch the file; "
                 f"output {patched / 1024:.0f} KiB vs {out_git / 1024:.0f} KiB")
        self.row("2. the same, the trail only (log --update)", "ms", r["storylog_trail_only"],
                 [("git log -p", r["git"])], load,
                 note=f"who, when, kind, reason, note; output {entries / 1024:.0f} KiB")
        self.target("2. log --update --patch vs git log -p",
                    r["storylog"]["median"] / r["git"]["median"], TARGETS["s2_ratio"], "lower")
        self.mem("2. log -p of one update", r["storylog_rss_mib"],
                 [("git log -p", r["git_rss_mib"])])

    @staticmethod
    def plan(adds: int, edits: int, publish_every: int = 10) -> int:
        changes = adds + edits
        return 1 + changes + changes // publish_every

    # -- 3: the diff between two versions ----------------------------------------------------

    def scenario3(self) -> None:
        cfg = self.cfg
        db = self.tmp / "s3.db"
        repo = self.tmp / "s3-git"
        slug = "big-story"
        adds = cfg["s3_updates"]
        events = self.plan(adds, round(adds * 2 / 3))
        mix = {"adds": adds, "publish_every": 10, "retract_per": 1000,
               "edit_kinds": NORMAL_KINDS}
        self.note(f"building a story of {adds:,} updates ({events:,} events, mostly adds)")
        report, _ = self.worker({"job": "build_story", "db": str(db), "slug": slug,
                                 "events": events, "mix": mix, "seed": 3}, "building s3")
        self.worker({"job": "catch_up", "db": str(db)}, "catching up s3")
        mddir = self.tmp / "s3-md"
        mddir.mkdir()
        rendered, _ = self.worker({"job": "render_versions", "db": str(db), "slug": slug,
                                   "versions": [0, -1], "dir": str(mddir)},
                                  "rendering s3 versions")
        n = rendered["published"]
        mid = n // 2
        self.worker({"job": "render_versions", "db": str(db), "slug": slug,
                                    "versions": [mid], "dir": str(mddir)}, "rendering mid")
        from compare_gen import git_init
        git_init(repo)
        for v in sorted({mid, n - 1, n}):
            shutil.copy(mddir / f"v{v}.md", repo / "story.md")
            checked(["git", "-C", str(repo), "add", "story.md"])
            checked(["git", "-C", str(repo), "commit", "-q", "-m", f"version {v}"])
            checked(["git", "-C", str(repo), "tag", f"v{v}"])
        pairs = {"adjacent": (n - 1, n), "wide": (mid, n)}
        self.paths["s3"] = {"db": str(db), "slug": slug, "pairs": pairs}
        env = child_env(db)
        genv = child_env()
        results: dict[str, Any] = {"events": events, "published": n, "build": report,
                                   "markdown_bytes": {str(v): (mddir / f"v{v}.md").stat().st_size
                                                      for v in (mid, n - 1, n)}}
        load = self.settle()
        inproc, _ = self.worker({"job": "s3_inproc", "db": str(db), "slug": slug,
                                 "pairs": pairs, "runs": cfg["s3_inproc_runs"]},
                                "in-process version_diff")
        for name, (a, b) in pairs.items():
            load = self.settle()
            self.note(f"timing `storylog diff {a} {b}` and `git diff v{a} v{b}` (load {load:.2f})")
            sl, gt, sp = [], [], []
            sizes = {}
            for i in range(cfg["s3_runs"]):
                p = checked([self.storylog, "diff", slug, str(a), str(b)], env, "storylog diff")
                sl.append(p.seconds * 1000)
                sizes["storylog_text"] = p.out_bytes
                g = checked(["git", "-C", str(repo), "diff", f"v{a}", f"v{b}"], genv, "git diff")
                gt.append(g.seconds * 1000)
                sizes["git"] = g.out_bytes
                if i < cfg["s3_patch_runs"]:
                    q = checked([self.storylog, "diff", slug, str(a), str(b), "--format",
                                 "patch"], env, "storylog diff --format patch")
                    sp.append(q.seconds * 1000)
                    sizes["storylog_patch"] = q.out_bytes
            sl_rss = checked([self.storylog, "diff", slug, str(a), str(b)], env, rss=True).rss_mib
            gt_rss = checked(["git", "-C", str(repo), "diff", f"v{a}", f"v{b}"], genv,
                             rss=True).rss_mib
            sp_rss = checked([self.storylog, "diff", slug, str(a), str(b), "--format", "patch"],
                             env, rss=True).rss_mib
            ip = inproc[name]
            ip_ms = stats([s * 1000 for s in ip["runs"]])
            results[name] = {"versions": [a, b], "storylog": stats(sl), "git": stats(gt),
                             "storylog_patch": stats(sp), "inproc": ip_ms,
                             "summary": ip["last"], "out_bytes": sizes, "load_1min": load,
                             "rss": {"storylog": sl_rss, "git": gt_rss,
                                     "storylog_patch": sp_rss,
                                     "inproc_peak": ip["rss_peak_mib"],
                                     "inproc_before": ip["rss_before_mib"]}}
            summ = ip["last"]
            label = f"v{a}->v{b}"
            what = (f"{summ['added']} added, {summ['edited']} edited, "
                    f"{summ['retracted']} retracted")
            self.row(f"3. diff {name} {label} (text)", "ms", stats(sl), [("git diff", stats(gt))],
                     load, note=what)
            self.row(f"3. diff {name} {label} (--format patch)", "ms", stats(sp),
                     [("git diff", stats(gt))], load,
                     note=f"patch {sizes['storylog_patch'] / 1024:.0f} KiB, "
                     f"git {sizes['git'] / 1024:.0f} KiB")
            self.row(f"3. diff {name} {label} (in-process)", "ms", ip_ms,
                     [("git diff", stats(gt))], load,
                     note="version_diff(Views(app), ...) against git's whole process")
            self.mem(f"3. diff {name}", sl_rss, [("git diff", gt_rss)],
                     note=f"patch {sp_rss:.0f} MiB; in-process peak "
                     f"{ip['rss_peak_mib']:.0f} MiB "
                     f"(+{ip['rss_peak_mib'] - ip['rss_before_mib']:.0f})")
        self.out["s3"] = results

    # -- 4: loading a story -------------------------------------------------------------------

    def scenario4(self) -> None:
        cfg = self.cfg
        size = max(cfg["s1_sizes"])
        s = self.build_s1(size)
        db, slug = s["db"], s["slug"]
        plain_db = self.tmp / "s4-plain.db"
        self.note(f"building the plain application's store of the same {count_rows(db):,} events")
        built, _ = self.worker({"job": "plain_build", "db": str(db), "plain_db": str(plain_db)},
                               "building the plain store")
        load = self.settle()
        self.note(f"timing StoryApp(db).story(slug) x{cfg['s4_runs']} and the plain "
                  f"application's repository.get x{cfg['s4_plain_runs']} (load {load:.2f})")
        sl, _ = self.worker({"job": "s4_storylog", "db": str(db), "slug": slug,
                             "runs": cfg["s4_runs"]}, "s4 storylog")
        pl, _ = self.worker({"job": "s4_plain", "plain_db": str(plain_db), "slug": slug,
                             "runs": cfg["s4_plain_runs"]}, "s4 plain")
        if pl["last"]["version"] != sl["last"]["version"]:
            raise BenchError(f"the plain story is at {pl['last']['version']}, storylog's at "
                             f"{sl['last']['version']}")
        r = {"events": sl["last"]["version"], "updates": sl["last"]["updates"],
             "snapshot_at": sl["snapshot_at"], "snapshot_bytes": sl["snapshot_bytes"],
             "tail": sl["tail"], "storylog": stats([x * 1000 for x in sl["runs"]]),
             "plain": stats([x * 1000 for x in pl["runs"]]), "load_1min": load,
             "plain_build": built,
             "rss": {"storylog_peak": sl["rss_peak_mib"], "storylog_before": sl["rss_before_mib"],
                     "plain_peak": pl["rss_peak_mib"], "plain_before": pl["rss_before_mib"]}}
        self.out["s4"] = r
        self.row(f"4. load story at {r['events']:,} events", "ms", r["storylog"],
                 [("plain app replay", r["plain"])], load,
                 note=f"snapshot at {r['snapshot_at']:,} ({r['snapshot_bytes'] / 1024:.0f} KiB) "
                 f"+ {r['tail']} events; plain: no snapshot")
        self.target("4. story load vs plain replay", r["storylog"]["median"] / r["plain"]["median"],
                    TARGETS["s4_ratio"], "lower")
        self.mem("4. load story (in-process)", sl["rss_peak_mib"],
                 [("plain app replay", pl["rss_peak_mib"])],
                 note=f"growth: storylog +{sl['rss_peak_mib'] - sl['rss_before_mib']:.0f}"
                 f" MiB, plain +{pl['rss_peak_mib'] - pl['rss_before_mib']:.0f} MiB")

    # -- 5: rebuilding the read models ------------------------------------------------------------

    def scenario5(self) -> None:
        cfg = self.cfg
        db = self.tmp / "s5.db"
        stories, per = cfg["s5_stories"], cfg["s5_events"]
        self.note(f"building {stories:,} stories x {per:,} events ({stories * per:,} events)")
        built, _ = self.worker({"job": "build_many", "db": str(db), "stories": stories,
                                "events": per, "bases": cfg["s5_bases"]}, "building s5")
        events = count_rows(db)
        self.note(f"  built {events:,} events in {built['seconds']:.0f} s "
                  f"({file_bytes(db) / 2**20:.0f} MiB); verifying a sample with storylog's "
                  "check_chain (RFC 8785)")
        verified, _ = self.worker({"job": "verify", "db": str(db),
                                   "sample": cfg["s5_verify_sample"]}, "verifying s5")
        bases = [f"wire-{b:04d}-0000" for b in range(built["bases"])]
        verified_bases, _ = self.worker({"job": "verify", "db": str(db), "slugs": bases},
                                        "verifying s5 bases")
        if verified["problems"] or verified_bases["problems"]:
            raise BenchError(f"generated stories do not verify: "
                             f"{(verified['problems'] + verified_bases['problems'])[:3]}")
        load = self.settle()
        self.note(f"timing the floor x{cfg['s5_floor_runs']} (load {load:.2f})")
        floor, _ = self.worker({"job": "s5_floor", "db": str(db), "runs": cfg["s5_floor_runs"]},
                               "s5 floor")
        load = self.settle()
        self.note(f"timing StoryApp(db).rebuild() x{cfg['s5_runs']} (load {load:.2f})")
        rebuild, _ = self.worker({"job": "s5_rebuild", "db": str(db), "runs": cfg["s5_runs"]},
                                 "s5 rebuild")
        if rebuild["last"] != events or floor["last"] != events:
            raise BenchError(f"rebuild applied {rebuild['last']}, the floor read "
                             f"{floor['last']}, the store holds {events}")
        self.note(f"timing the rebuild's row inserts alone x{cfg['s5_floor_runs']}")
        inserts, _ = self.worker({"job": "s5_inserts", "db": str(db),
                                  "scratch": str(self.tmp / "s5-inserts.db"),
                                  "runs": cfg["s5_floor_runs"]}, "s5 inserts")
        ieps = stats([events / x for x in inserts["runs"]])
        self.paths["s5"] = {"db": str(db)}
        eps = stats([events / x for x in rebuild["runs"]])
        feps = stats([events / x for x in floor["runs"]])
        r = {"events": events, "stories": stories, "build": built,
             "verified": {"sample": verified, "bases": verified_bases},
             "rebuild": eps, "rebuild_seconds": stats(rebuild["runs"]),
             "floor": feps, "floor_seconds": stats(floor["runs"]), "load_1min": load,
             "inserts_alone": ieps,
             "db_bytes": file_bytes(db),
             "rss": {"rebuild_peak": rebuild["rss_peak_mib"],
                     "rebuild_before": rebuild["rss_before_mib"],
                     "floor_peak": floor["rss_peak_mib"], "floor_before": floor["rss_before_mib"]}}
        self.out["s5"] = r
        self.row(f"5. rebuild read models, {events:,} events", "eps", eps,
                 [("floor: SELECT + orjson", feps),
                  ("the same rows' SQLite inserts alone", ieps)], load,
                 note=f"{stories:,} stories; rebuild {events / eps['median']:.0f} s, "
                 f"floor {events / feps['median']:.1f} s")
        self.target("5. rebuild throughput vs the floor", eps["median"] / feps["median"],
                    TARGETS["s5_ratio"], "higher")
        self.mem("5. rebuild (in-process)", rebuild["rss_peak_mib"],
                 [("floor", floor["rss_peak_mib"])],
                 note=f"growth: rebuild +{rebuild['rss_peak_mib'] - rebuild['rss_before_mib']:.0f}"
                 f" MiB, floor +{floor['rss_peak_mib'] - floor['rss_before_mib']:.0f} MiB")

    # -- 6: ingest -----------------------------------------------------------------------------

    def export_s6(self, s: dict[str, Any]) -> None:
        ndjson = self.tmp / "s6.ndjson"
        self.note(f"exporting {s['report']['events']:,} events with `storylog events`")
        p = checked([self.storylog, "--db", str(s["db"]), "events", s["slug"], "-o", str(ndjson)],
                    child_env(), "storylog events")
        self.out["s6_ndjson"] = {"path": str(ndjson), "events": s["report"]["events"],
                                 "slug": s["slug"], "bytes": ndjson.stat().st_size,
                                 "export_seconds": p.seconds, "export_rss_mib": p.rss_mib}

    def scenario6(self) -> None:
        cfg = self.cfg
        if "s6_ndjson" not in self.out:
            self.export_s6(self.build_s1(max(cfg["s1_sizes"])))
        nd = self.out["s6_ndjson"]
        events, ndjson, slug = nd["events"], nd["path"], nd["slug"]
        load = self.settle()
        self.note(f"timing `storylog load` and the plain application's batch insert of "
                  f"{events:,} events, x{cfg['s6_runs']} (load {load:.2f})")
        sl, pl, sl_rss, pl_rss, put = [], [], [], [], []
        verified = None
        for k in range(cfg["s6_runs"]):
            dst = self.tmp / f"s6-load-{k}.db"
            p = checked([self.storylog, "--db", str(dst), "load", ndjson], child_env(),
                        "storylog load", rss=True)
            if count_rows(dst) != events:
                raise BenchError("storylog load lost events")
            if k == 0:
                verified = spawn([self.storylog, "--db", str(dst), "verify", slug],
                                 child_env()).rc == 0
            rm_db(dst)
            sl.append(events / p.seconds)
            sl_rss.append(p.rss_mib)
            pdb = self.tmp / f"s6-plain-{k}.db"
            res, q = self.timed_worker({"job": "s6_plain_ingest", "ndjson": ndjson,
                                        "plain_db": str(pdb)}, "plain ingest")
            if count_rows(pdb) != events:
                raise BenchError("the plain ingest lost events")
            rm_db(pdb)
            pl.append(events / q.seconds)
            pl_rss.append(q.rss_mib)
            put.append(events / res["put_seconds"])
        r = {"events": events, "ndjson_bytes": nd["bytes"], "storylog": stats(sl),
             "plain": stats(pl), "plain_put_only": stats(put), "verified_after_load": verified,
             "load_1min": load, "export": nd,
             "rss": {"storylog": statistics.median(sl_rss), "plain": statistics.median(pl_rss)}}
        self.out["s6"] = r
        self.row(f"6. ingest {events:,} events (process)", "eps", r["storylog"],
                 [("plain app, batches of 1,000", r["plain"]),
                  ("  its events.put calls only", r["plain_put_only"])], load,
                 note=f"NDJSON {nd['bytes'] / 2**20:.0f} MiB; loaded story verifies: {verified}")
        self.target("6. load throughput vs plain batch insert",
                    r["storylog"]["median"] / r["plain"]["median"], TARGETS["s6_ratio"], "higher")
        self.mem("6. ingest (process)", r["rss"]["storylog"], [("plain app", r["rss"]["plain"])])

    # -- 8: what the history costs to keep and to check ------------------------------------

    def scenario8(self) -> None:
        """Bytes on disk for the longest history, and checking all of it: `storylog verify`
        (every hash recomputed, RFC 8785) against `git fsck --full` (every object hashed)."""
        s = self.build_s1(max(self.cfg["s1_sizes"]))
        db, repo, slug = s["db"], s["repo"], s["slug"]
        runs = self.cfg["s8_runs"]
        load = self.settle()
        self.note(f"timing {runs} x (`storylog verify {slug}`, `git fsck --full`) "
                  f"(load {load:.2f})")
        sv, gf = [], []
        for _ in range(runs):
            sv.append(checked([self.storylog, "verify", slug], child_env(db),
                              "storylog verify").seconds * 1000)
            gf.append(checked(["git", "-C", str(repo), "fsck", "--full", "--no-progress"],
                              child_env(), "git fsck").seconds * 1000)
        events = count_rows(db)
        db_bytes = file_bytes(db)
        git_bytes = sum(f.stat().st_size for f in (repo / ".git").rglob("*") if f.is_file())
        r = {"events": events, "storylog": stats(sv), "git": stats(gf), "load_1min": load,
             "db_bytes": db_bytes, "git_bytes": git_bytes}
        self.out["s8"] = r
        self.row(f"8. verify the whole history, {events:,} events", "ms", r["storylog"],
                 [("git fsck --full", r["git"])], load,
                 note=f"on disk: storylog {db_bytes / 2**20:.0f} MiB (events, snapshots, keys, "
                 f"read models), git {git_bytes / 2**20:.0f} MiB ({events:,} commits)")

    # -- everything ------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        m = machine.describe(str(self.tmp), REPO)
        m["git"] = git_version()
        self.out.update({
            "mode": "quick" if self.args.quick else "full",
            "started_utc": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "machine": m, "config": self.cfg, "targets": TARGETS,
            "platform": platform.platform(),
        })
        self.note(f"working in {self.tmp}")
        order = [(1, self.scenario1), (8, self.scenario8), (4, self.scenario4),
                 (6, self.scenario6), (2, self.scenario2), (3, self.scenario3),
                 (5, self.scenario5)]
        for n, fn in order:
            if self.wanted(n):
                t = time.perf_counter()
                fn()
                self.out.setdefault("phase_seconds", {})[str(n)] = time.perf_counter() - t
        if self.args.profile:
            self.out["profiles"] = self.profile()
        self.out["rows"] = self.rows
        self.out["target_results"] = self.targets
        self.out["memory"] = self.memory
        self.out["duration_s"] = time.perf_counter() - self.started
        self.out["load_average_at_end"] = machine.load_average()
        self.out["src_changed_during_run"] = (
            machine.src_fingerprint(REPO) != m["storylog_src_sha256"])
        return self.out

    # -- profiles of what falls short ---------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        """One profiled run (pyinstrument, else cProfile) of each command whose target
        falls short, on the data just measured; text reports in bench/results/."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        try:
            import pyinstrument  # noqa: F401
            tool = "pyinstrument"
        except ImportError:
            tool = "cProfile"
        short = {t["label"].split(".")[0] for t in self.targets if not t["ok"]}
        jobs: list[tuple[str, list[str], dict[str, str]]] = []
        if "1" in short and self.s1:
            s = self.s1[max(self.s1)]
            jobs.append(("add", ["add", s["slug"], "--text", self.writer.body(), "--source",
                                 "Bild"], child_env(s["db"])))
        if "2" in short and "s2" in self.paths:
            p = self.paths["s2"]
            jobs.append(("log", ["log", p["slug"], "--update", "u1", "--patch"],
                         child_env(Path(p["db"]))))
        if "s3" in self.paths:
            p = self.paths["s3"]
            a, b = p["pairs"]["wide"]
            jobs.append(("diff-wide", ["diff", p["slug"], str(a), str(b)],
                         child_env(Path(p["db"]))))
            a, b = p["pairs"]["adjacent"]
            jobs.append(("diff-patch", ["diff", p["slug"], str(a), str(b), "--format", "patch"],
                         child_env(Path(p["db"]))))
        if "6" in short and "s6_ndjson" in self.out:
            jobs.append(("load", ["--db", str(self.tmp / "profiled-load.db"), "load",
                                  self.out["s6_ndjson"]["path"]], child_env()))
        if "5" in short and "s5" in self.paths:
            jobs.append(("rebuild", ["--db", self.paths["s5"]["db"], "rebuild"], child_env()))
        made: dict[str, Any] = {"tool": tool}
        for name, args, env in jobs:
            out = RESULTS / f"compare-profile-{name}.txt"
            self.note(f"profiling `storylog {' '.join(args[:4])[:60]} ...` -> {out}")
            if tool == "pyinstrument":
                argv = [self.python, "-m", "pyinstrument", "-i", "0.002", "-r", "text",
                        "-o", str(out), "-m", "storylog.cli", *args]
                checked(argv, env, f"profiled {name}")
            else:
                raw = self.tmp / f"{name}.prof"
                checked([self.python, "-m", "cProfile", "-o", str(raw), "-m", "storylog.cli",
                         *args], env, f"profiled {name}")
                import pstats
                with out.open("w") as f:
                    pstats.Stats(str(raw), stream=f).sort_stats("cumulative").print_stats(60)
            made[name] = str(out)
        return made

    def cleanup(self) -> None:
        if self.args.keep:
            self.note(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- the report --------------------------------------------------------------------------------


def count_snapshot(db: Path, slug: str) -> int:
    from storylog.domain.story import story_id

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT length(state) FROM stored_snapshots WHERE originator_id = ? "
                          "ORDER BY originator_version DESC LIMIT 1",
                          (story_id(slug).hex,)).fetchone()
        return int(row[0]) if row else 0
    finally:
        con.close()


def fig(s: dict[str, Any], kind: str) -> str:
    if kind == "ms":
        def f(x: float) -> str:
            return f"{x:,.0f}" if x >= 10 else f"{x:.1f}"
        return f"{f(s['median'])} ms [{f(s['p25'])}-{f(s['p75'])}]"
    return f"{s['median'] / 1000:,.1f}k ev/s [{s['p25'] / 1000:,.1f}-{s['p75'] / 1000:,.1f}]"


def report(out: dict[str, Any]) -> list[str]:
    L: list[str] = []
    m = out["machine"]
    L.append(f"storylog vs git vs a plain eventsourcing app ({out['mode']}), "
             f"{out['started_utc']} UTC, {out['duration_s']:.0f} s")
    L.append("")
    L += machine.lines(m)
    L.append(f"git      {m['git']}")
    L.append(f"Load     {' '.join(map(str, out.get('load_average_at_end', [])))} at end")
    L.append("")
    L.append("Figures are medians [25th-75th percentile] over the runs; ratio = storylog / the "
             "first baseline (times: lower")
    L.append("is better for storylog; ev/s: higher is). 'load' is the 1-minute load average "
             "when the row started (2 cores).")
    L.append("")
    w = (46, 26, 44, 8, 5)
    L.append(f"{'scenario':<{w[0]}} {'storylog':<{w[1]}} {'baseline':<{w[2]}} "
             f"{'ratio':>{w[3]}} {'load':>{w[4]}}")
    L.append("-" * (sum(w) + 4))
    for r in out["rows"]:
        bases = r["baselines"]
        first = f"{bases[0]['name']}: {fig(bases[0], r['kind'])}" if bases else ""
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-"
        L.append(f"{r['scenario']:<{w[0]}} {fig(r['storylog'], r['kind']):<{w[1]}} "
                 f"{first:<{w[2]}} {ratio:>{w[3]}} {r['load_1min']:>{w[4]}.2f}")
        for b in bases[1:]:
            L.append(f"{'':<{w[0]}} {'':<{w[1]}} {b['name']}: {fig(b, r['kind'])}")
        if r.get("note"):
            L.append(f"{'':<4}({r['note']})")
    L.append("")
    L.append("7. Peak memory: each process's own maximum RSS (one extra run under GNU time); "
             "in-process rows: the worker's")
    L.append("   peak RSS during the timed runs (interpreter and imports included; the growth "
             "over the set-up in brackets)")
    L.append(f"  {'scenario':<40} {'storylog':>10}   baseline")
    for mrow in out["memory"]:
        named = ", ".join(f"{b['name']} {b['mib']:.0f} MiB" for b in mrow["baselines"])
        times = (mrow["storylog_mib"] / mrow["baselines"][0]["mib"]
                 if mrow["baselines"] and mrow["baselines"][0]["mib"] else 0)
        L.append(f"  {mrow['scenario']:<40} {mrow['storylog_mib']:>6.0f} MiB   {named}"
                 f"  ({times:.1f}x)" + (f"  [{mrow['note']}]" if mrow["note"] else ""))
    L.append("")
    L.append("Targets (storylog / baseline)")
    for t in out["target_results"]:
        verdict = "PASS" if t["ok"] else "FALLS SHORT"
        sign = "<=" if t["better"] == "lower" else ">="
        if t["unit"] == "ms":
            value, target = f"{t['value']:.0f} ms", f"{sign} {t['target']:.0f} ms"
        else:
            value, target = f"{t['value']:.3f}x", f"{sign} {t['target']}x"
        L.append(f"  {t['label']:<56} {value:>10}  target {target:<10} {verdict:<12}"
                 + (f" {t['note']}" if t["note"] else ""))
    if out["mode"] == "quick":
        L.append("  (quick sizes: the targets are set for the full sizes)")
    if out.get("src_changed_during_run"):
        L.append("  NOTE: src/storylog changed while the benchmark ran; the figures mix versions.")
    if out.get("profiles"):
        L.append("")
        L.append("Profiles: " + ", ".join(f"{k}: {v}" for k, v in out["profiles"].items()
                                           if k != "tool"))
    return L


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/compare.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes)")
    parser.add_argument("--only", type=lambda s: {int(x) for x in s.split(",")}, default=None,
                        help="only these scenarios, e.g. --only 1,4 (memory rows come along)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    parser.add_argument("--profile", action="store_true",
                        help="then profile each command whose target falls short "
                        "(bench/results/compare-profile-*.txt)")
    parser.add_argument("--settle", type=float, dest="settle_s",
                        help="seconds to wait, at most, for the load to drop before each "
                        "timed phase (default 30; quick 5)")
    parser.add_argument("--tmp", help="where to make the temporary directory")
    parser.add_argument("--output", default=str(RESULTS / "compare-latest.json"),
                        help="the JSON file (default bench/results/compare-latest.json)")
    for key in ("s1_runs", "s5_stories", "s5_events", "s1_updates"):
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, dest=key,
                            help=f"override {key}")
    args = parser.parse_args()
    bench = Compare(args)
    for key in ("s1_runs", "s5_stories", "s5_events", "s1_updates", "settle_s"):
        if getattr(args, key) is not None:
            bench.cfg[key] = getattr(args, key)
    try:
        out = bench.run()
    except BenchError as error:
        print(f"compare: {error}", file=sys.stderr)
        return 1
    finally:
        bench.cleanup()
    lines = report(out)
    print("\n".join(lines), flush=True)
    out["report"] = lines
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwrote {target}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
