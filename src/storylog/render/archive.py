"""The archive's reports: verification, checkpoints, exports and loads, backups and
restores, where the keys live, and which key backups still hold an erased key.

Text for standard output (``*_text``) and the one-line reports for the person on
standard error (``*_summary``, ``*_report``), from the plain results the archive returns.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from storylog.render.terminal import counted

Where = str | PurePath


def verified_text(found: dict[str, Any]) -> str:
    return "".join(f"ok\t{c['story']}\t{counted(c['events'], 'event')}\thead {c['head']}\n"
                   for c in found["chains"] if c["ok"])


def other_problems(found: dict[str, Any]) -> list[str]:
    """Every problem after the first (the first is the command's error)."""
    return [f"also: {problem}" for problem in found["problems"][1:]]


def verified_summary(found: dict[str, Any], against: Where | None) -> str:
    return (f"{counted(len(found['chains']), 'chain')} verified"
            + (f" against {against}" if against is not None else ""))


def checkpoint_text(line: dict[str, Any]) -> str:
    return line["checkpoint"]["root"] + "\n"


def checkpoint_summary(line: dict[str, Any], log: Where) -> str:
    body = line["checkpoint"]
    return (f"checkpoint {body['seq']} signs {counted(len(body['chains']), 'chain')}; "
            f"appended to {log}")


def export_summary(written: dict[str, int], output: Where, *, redacted: bool,
                   to_file: bool) -> str:
    """What `events -o` wrote; ``to_file``: a regular file (made private), not a device."""
    checkpoints = f" and {counted(written['checkpoint'], 'checkpoint record')}" \
        if written["checkpoint"] else ""
    if written.get("public-log"):
        checkpoints += f" and {counted(written['public-log'], 'public log line')}"
    kind = "a redacted export (not loadable)" if redacted else "an exact export"
    private = " (mode 600: it holds update keys and plaintext; keep it private)" \
        if not redacted and to_file else ""
    return (f"wrote {counted(written['event'], 'event')}{checkpoints} to {output}, "
            f"{kind}{private}")


def load_report(loaded: dict[str, int], checkpoints: int, public: int = 0) -> list[str]:
    lines = [f"loaded {story}: {counted(count, 'event')}" for story, count in loaded.items()]
    if checkpoints:
        lines.append(f"loaded {counted(checkpoints, 'checkpoint record')} (the checkpoints "
                     "the store signed)")
    if public:
        lines.append(f"loaded {counted(public, 'public record')} (the store's public log)")
    return lines


def backup_summary(done: dict[str, Any], dest: Where) -> str:
    return f"backed up {done['events']} events (no keys) to {dest}"


def key_backup_summary(record: dict[str, Any], dest: Where) -> str:
    return (f"backed up {record['keys']} keys to {dest} as key backup {record['backup_id']}; "
            f"destroy it by {record['expires_at'][:10]}")


def restore_summary(done: dict[str, Any]) -> str:
    return (f"restored {done['stories']} stories ({done['events']} events) into {done['db']}, "
            f"keys {done['keys']}; verified")


def keys_moved_summary(done: dict[str, Any], target: str) -> str:
    moved = " (already moved)" if done.get("already") else \
        f": {done['keys']} keys moved, {done['envelopes_checked']} envelopes checked"
    return f"the keys are in {done['to']}{moved}; give --keys {target} from now on"


def keys_where_text(found: dict[str, Any]) -> str:
    return f"{found['location']}\t{found['keys']} keys\t{found['backups']} key backups recorded\n"


def erasure_text(result: dict[str, Any]) -> str:
    out = []
    for b in result["backups"]:
        when = ("EXPIRED on " if b["expired"] else "expires ") + b["expires_at"][:10]
        out.append(f"{b['backup_id']}\t{b['file']}\tmade {b['made_at'][:10]}\t{when}\n")
        out += [f"  {key['story']} {key['update']}\terased {str(key['erased_at'])[:19]}\n"
                for key in b["erased_keys"]]
    return "".join(out)


def erasure_summary(result: dict[str, Any]) -> str:
    held, erased = len(result["backups"]), result["erased_keys"]
    expired = any(b["expired"] for b in result["backups"])
    return (f"{counted(erased, 'erased key')}; {held} key "
            f"{'backup still holds' if held == 1 else 'backups still hold'} one"
            + ("; destroy the expired ones now" if expired else ""))
