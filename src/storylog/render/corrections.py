"""The standards desk's reports: the corrections audit as text and CSV, and one
editor's contributions."""

from __future__ import annotations

import csv
import io
from typing import Any

from storylog.render.terminal import counted

COLUMNS = ["story", "update", "revision", "kind", "editor", "at", "hours_after_publication",
           "first_published_version", "public_told", "note_published_in", "reason", "note",
           "stealth_flags", "override", "reviewed_by"]


# OWASP's advice against formula injection: a spreadsheet runs a cell that starts with one
# of these as a formula, so text cells starting so get a leading apostrophe (shown as text).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs (numbers kept as numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _row(e: dict[str, Any]) -> list[Any]:
    return [cell(v) for v in _fields(e)]


def _fields(e: dict[str, Any]) -> list[Any]:
    return [e["story"], e["update"], e["revision"], e["kind"], e["editor"], e["at"],
            e["hours_after_publication"], e["first_published"]["version"], e["public_told"],
            e["note_published_in"] or "", e["reason"] or "", e["note"] or "",
            ";".join(e["stealth_flags"]), e["override"] or "",
            e["reviewed"]["by"] if e["reviewed"] else ""]


def corrections_csv(result: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_row(e) for e in result["corrections"])
    return out.getvalue()


def corrections_text(result: dict[str, Any]) -> str:
    lines = []
    for e in result["corrections"]:
        flags = f"  STEALTH ({', '.join(e['stealth_flags'])})" if e["stealth_flags"] else ""
        review = "reviewed" if e["reviewed"] else ("UNREVIEWED" if e["needs_review"] else "")
        lines.append(f"{e['at'][:16].replace('T', ' ')}  {e['story']}/{e['update']} "
                     f"r{e['revision']}  {e['kind']}  by {e['editor']}  "
                     f"+{e['hours_after_publication']}h after v{e['first_published']['version']}"
                     f"  told: {e['public_told']}  {review}{flags}")
        lines.append(f"    reason: {e['reason']}")
        if e["note"]:
            lines.append(f"    public note: {e['note']}")
    t = result["totals"]
    kinds = ", ".join(f"{k} {n}" for k, n in t["by_kind"].items()) or "none"
    stories = ", ".join(f"{k} {n}" for k, n in t["by_story"].items()) or "none"
    lines += ["", f"total {counted(t['changes'], 'change')}: {kinds}", f"by story: {stories}",
              f"stealth edits: {t['stealth']}; waiting for review: {t['unreviewed']}"]
    return "\n".join(lines) + "\n"


def contributions_text(result: dict[str, Any]) -> str:
    return "".join(_contribution_line(e) + "\n" for e in result["contributions"])


def _contribution_line(e: dict[str, Any]) -> str:
    detail = " ".join(str(x) for x in (e["update"], e["kind"]) if x)
    flags = f"  STEALTH: {','.join(e['stealth_flags'])}" if e["stealth_flags"] else ""
    return f"{e['at'][:19]}\t{e['story']}#{e['position']}\t{e['event']} {detail}{flags}"


def contributions_summary(result: dict[str, Any]) -> str:
    return f"{counted(len(result['contributions']), 'contribution')} by {result['editor']}"
