"""A small store and its exported site with the public log, made through the real CLI; and
the site's own shipped verifier, run on an interpreter that cannot import storylog."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cryptography

from tests.conftest import Cli

WK = ".well-known/storylog"
ORIGIN = "news.example/live"
SECRET_SOURCE = "Colonel Hidden-Name"
SECRET_REASON = "internal-reason-zebra"
UNPUBLISHED = "Unpublished draft text quokka"
TAKEN_DOWN = "Defamatory claim walrus"


def make_store(tmp: Path) -> tuple[Cli, Path]:
    """Two stories; a confidential source, an internal reason, a change never published;
    published versions; the newsroom's key. Returns the CLI and the key's path."""
    tmp.mkdir(parents=True, exist_ok=True)
    cli = Cli(str(tmp / "story.db"))
    cli.ok("new", "town", "--headline", "Town under fire", "--standfirst", "What we know.")
    cli.ok("add", "town", "--id", "u1", "--stamp", "2024-11-04 10:00", "--text",
           "Shelling reported at dawn.", "--source", "Reuters,kind=agency")
    cli.ok("add", "town", "--id", "u2", "--stamp", "2024-11-04 11:00", "--text",
           "An officer says the line holds.", "--source", f"{SECRET_SOURCE},confidential",
           "--source", "Local radio,kind=outlet")
    cli.ok("publish", "town")
    cli.ok("edit", "town", "u1", "--kind", "correction", "--reason", SECRET_REASON,
           "--note", "The shelling began at 5am.", "--text", "Shelling reported at 5am.")
    cli.ok("add", "town", "--id", "u3", "--stamp", "2024-11-04 12:00", "--text", TAKEN_DOWN)
    cli.ok("publish", "town")
    cli.ok("new", "river", "--headline", "River rising")
    cli.ok("add", "river", "--id", "r1", "--stamp", "2024-11-05 09:00", "--text",
           "The river rose a metre overnight.")
    cli.ok("publish", "river")
    cli.ok("add", "town", "--id", "u4", "--stamp", "2024-11-04 13:00", "--text", UNPUBLISHED)
    key = tmp / "newsroom.key"
    cli.ok("keygen", str(key))
    return cli, key


def export(cli: Cli, key: Path, out: Path, *more: str) -> None:
    cli.ok("export", "--all", str(out), "--key", str(key), "--origin", ORIGIN, *more)


def vkey(site: Path) -> str:
    return (site / WK / "key.vkey").read_text().strip()


def public_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                  if p.is_file() and p.name != ".storylog-site")


def copy(site: Path, to: Path) -> Path:
    shutil.copytree(site, to, symlinks=True)
    return to


def shipped_command(site: Path, tmp: Path) -> list[str]:
    """The verifier the site ships, on `python -I -S` with only cryptography (and cffi)
    on its path: it cannot import storylog."""
    deps = tmp / "deps"
    if not deps.exists():
        deps.mkdir()
        packages = Path(cryptography.__file__).parent.parent
        for entry in packages.iterdir():
            if entry.name.startswith(("cryptography", "cffi", "_cffi_backend", "pycparser")) \
                    and not entry.name.endswith(".dist-info"):
                (deps / entry.name).symlink_to(entry)
    script = tmp / "standalone_verify.py"
    shutil.copyfile(site / WK / "standalone_verify.py", script)
    boot = (f"import sys, runpy; sys.path.insert(0, {str(deps)!r}); "
            f"sys.argv = [{str(script)!r}] + sys.argv[1:]; "
            f"runpy.run_path({str(script)!r}, run_name='__main__')")
    return [sys.executable, "-I", "-S", "-c", boot]


def run_shipped(command: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "")}
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120, cwd="/")
