"""The audit trail as terminal text."""

from __future__ import annotations

from typing import Any

from storylog.render.style import style


def audit_text(entries: list[dict[str, Any]], *, color: bool) -> str:
    lines = []
    for e in entries:
        what = e["event"]
        if "update" in e:
            what += f" {e['update']}"
        if "kind" in e:
            what += f" [{e['kind']}]"
        if "version" in e:
            what += f" v{e['version']}"
        if e["changed"]:
            what += f" ({', '.join(e['changed'])})"
        head = f"#{e['position']:<4} {e['recorded_at'][:19].replace('T', ' ')}  {e['editor']:<12} "
        lines.append(style(head, color=color, dim=True) + what)
        if e.get("reason"):
            lines.append(f"      reason: {e['reason']}")
        if e.get("note"):
            lines.append(f"      public note: {e['note']}")
        if e.get("diff"):
            lines += _patch_lines(e["diff"], color=color)
    return "\n".join(lines) + ("\n" if lines else "")


def _patch_lines(diff: dict[str, Any], *, color: bool) -> list[str]:
    """What an add or edit changed (``log --patch``), indented under its entry."""
    from storylog.render.diff import change_lines, inline_text

    if "withheld" in diff:
        return [f"      [content withheld: {diff['withheld']}]"]
    lines = change_lines({"changes": diff}, lambda s: inline_text(s, color=color))
    return [f"      {part}" for line in lines for part in line.split("\n")]
