"""The public log's benchmark: `storylog verify-site` of a story with 5,000 published versions.

    .venv/bin/python bench/publiclog.py [--versions N] [--keep]

Prints its figures (it asserts nothing). The story is built in-process with the Story
aggregate's command methods (20 updates; each version edits one of them and is
published), exported with the real CLI and `--key`, then `storylog verify-site` and the
site's own `standalone_verify.py site` are each run as a process, timed from spawn to
exit, with their peak memory (the child's maximum resident set size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

UPDATES = 20
EDITOR = "bench.editor"


def build(db: Path, versions: int) -> None:
    """The story through its aggregate's own command methods and ``StoryApp.save`` (as
    bench/history.py does: every rule checked, every row sealed and chained as the
    command line writes it), saved before each publication so it pins the stored head."""
    from history import GeneratorApp

    from storylog.domain.payloads import (
        StoryOpenedPayload,
        UpdateAddedPayload,
        UpdateEditedPayload,
    )
    from storylog.domain.story import Story
    from storylog.domain.values import ChangeKind, ContentChange, Status, UpdateContent

    app = GeneratorApp(str(db))
    story = Story.open(StoryOpenedPayload(slug="big", headline="A long story", tz="UTC",
                                          standfirst=""), editor=EDITOR, command_id="c0")
    count = iter(range(1, 10**9))
    for i in range(UPDATES):
        story.add_update(UpdateAddedPayload(
            update_id=f"u{i}", stamp=f"2024-01-01 {i % 24:02d}:00", status=Status.UNVERIFIED,
            key_event=False, content=UpdateContent.model_validate(
                {"body": f"Update {i}: first words.", "sources": [], "media": []})),
            editor=EDITOR, command_id=f"c{next(count)}")

    def publish(n: int) -> None:
        app.save(story)
        story.publish(head=app.chain.hash_at(story.id, story.version), note=f"Version {n}",
                      editor=EDITOR, command_id=f"c{next(count)}", base_position=story.version)

    publish(1)
    for n in range(2, versions + 1):
        uid = f"u{n % UPDATES}"
        story.edit_update(UpdateEditedPayload(
            update_id=uid, base_revision=story.updates[uid].revision,
            kind=ChangeKind("update"), reason="new facts", note=None,
            status=None, content=ContentChange.model_validate(
                {"body": f"Update {n % UPDATES}, as of version {n}."})),
            editor=EDITOR, command_id=f"c{next(count)}")
        publish(n)
        if n % 1000 == 0:
            print(f"  built {n} versions", flush=True)
    app.save(story)
    app.catch_up()
    app.close()


MEASURE = ("import resource, subprocess, sys; "
           "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
           "sys.exit(code)")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds, peak RSS (MiB) and exit status of one child process (measured by a fresh
    parent of its own, so that one run's peak never shows in another's)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], env=env,
                          stderr=subprocess.PIPE, check=False)
    seconds = time.perf_counter() - started
    lines = done.stderr.decode().strip().splitlines()
    if done.returncode != 0:
        print("\n".join(lines[-20:]), file=sys.stderr)
    return seconds, int(lines[-1]) / 1024, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=5000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="storylog-publiclog-"))
    env = dict(os.environ, STORYLOG_DB=str(tmp / "story.db"), STORYLOG_EDITOR=EDITOR,
               NO_COLOR="1")
    storylog = [sys.executable, "-m", "storylog.cli"]
    try:
        started = time.perf_counter()
        build(tmp / "story.db", args.versions)
        print(f"built {args.versions} published versions in "
              f"{time.perf_counter() - started:.1f} s")
        subprocess.run([*storylog, "keygen", str(tmp / "key")], env=env, check=True,
                       capture_output=True)
        site = tmp / "site"
        seconds, mib, code = timed([*storylog, "export", "big", str(site), "--key",
                                    str(tmp / "key"), "--origin", "bench.example/log"], env)
        files = [p for p in site.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(f"export --key:            {seconds:7.1f} s  peak {mib:7.0f} MiB  "
              f"({len(files)} files, {size / 2**20:.0f} MiB)  exit {code}")
        vkey = (site / ".well-known/storylog/key.vkey").read_text().strip()
        seconds, mib, code = timed([*storylog, "verify-site", str(site), "--pubkey", vkey],
                                   env)
        print(f"verify-site:             {seconds:7.1f} s  peak {mib:7.0f} MiB  exit {code}")
        seconds, mib, code = timed([sys.executable,
                                    str(site / ".well-known/storylog/standalone_verify.py"),
                                    "site", str(site), "--key", vkey], env)
        print(f"standalone_verify site:  {seconds:7.1f} s  peak {mib:7.0f} MiB  exit {code}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
