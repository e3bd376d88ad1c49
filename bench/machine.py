"""What the figures were measured on: CPU, cores, RAM, disk, Python, SQLite, versions."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _filesystem(path: str) -> str:
    try:
        out = subprocess.run(
            ["findmnt", "-no", "FSTYPE,SOURCE", "-T", path],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.split()
        return " on ".join(out) if out else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _git(repo: Path) -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "src"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
        return f"{head}{' (src modified)' if dirty else ''}" if head else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def src_fingerprint(repo: Path) -> str:
    """A digest of the storylog sources measured, since the working tree may differ from HEAD."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((repo / "src" / "storylog").rglob("*.py")):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def describe(tmp: str, repo: Path) -> dict[str, Any]:
    ram = _ram_bytes()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "sqlite": sqlite3.sqlite_version,
        "temp_dir": tmp,
        "temp_fs": _filesystem(tmp),
        "storylog_commit": _git(repo),
        "storylog_src_sha256": src_fingerprint(repo),
        "load_average_at_start": load_average(),
        "packages": {
            p: _version(p)
            for p in ("storylog", "eventsourcing", "pydantic", "click", "orjson", "rfc8785",
                      "cryptography")
        },
    }


def lines(m: dict[str, Any]) -> list[str]:
    pk = m["packages"]
    return [
        f"CPU      {m['cpu']}, {m['cores']} cores ({m['cores_usable']} usable)",
        f"RAM      {m['ram_gib']} GiB",
        f"OS       {m['os']}",
        f"Python   {m['python']} ({m['python_executable']})",
        f"SQLite   {m['sqlite']}",
        f"Disk     {m['temp_dir']} ({m['temp_fs']})",
        f"Load     {' '.join(map(str, m['load_average_at_start']))} (1, 5, 15 min) at start",
        f"storylog {pk['storylog']} at {m['storylog_commit']},"
        f" src sha256 {m['storylog_src_sha256']}",
        f"libs     eventsourcing {pk['eventsourcing']},"
        f" pydantic {pk['pydantic']}, click {pk['click']}, orjson {pk['orjson']},"
        f" rfc8785 {pk['rfc8785']}, cryptography {pk['cryptography']}",
    ]
