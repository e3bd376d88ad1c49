"""Source timelines as terminal text or Markdown; several sources side by side."""

from __future__ import annotations

import shutil
import textwrap
from typing import Any

from storylog.render import markdown as md
from storylog.render.story import stamp_text
from storylog.render.style import style


def _cell(e: dict[str, Any]) -> str:
    via = f" (cited as {e['as_cited']})" if e["role"] == "via" else ""
    state = "RETRACTED" if e["retracted"] else e["status"]
    if e.get("taken_down"):
        state = f"TAKEN DOWN on {e['taken_down']['grounds']} grounds"
    changes = [h["action"] for h in e["history"][1:] if h["action"] != "retracted"]
    edits = f"; then {', '.join(changes)}" if changes else ""
    versions = ",".join(str(v) for v in e["versions"]) or "none"
    return (f"{e['story']}/{e['update']}{via} [{state}{edits}; versions {versions}] "
            f"{e['said'] or '[content removed]'}")


def timeline_text(t: dict[str, Any], *, color: bool, width: int | None = None) -> str:
    sources = t["sources"]
    width = width or shutil.get_terminal_size((120, 20)).columns
    stamp_w = 17
    col = max(20, (width - stamp_w - 2) // len(sources) - 2)
    head = " " * stamp_w + "  " + "  ".join(s["name"][:col].ljust(col) for s in sources)
    lines = [style(head, color=color, bold=True)]
    for e in t["entries"]:
        index = next(i for i, s in enumerate(sources) if s["key"] == e["source"])
        wrapped = textwrap.wrap(_cell(e), col)  # the whole cell: a cut would hide a claim
        for n, piece in enumerate(wrapped):
            stamp = stamp_text(e["stamp"]).ljust(stamp_w) if n == 0 else " " * stamp_w
            cells = [" " * col] * len(sources)
            cells[index] = piece.ljust(col)
            lines.append((stamp + "  " + "  ".join(cells)).rstrip())
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def timeline_markdown(t: dict[str, Any]) -> str:
    names = [md.line(s["name"]) for s in t["sources"]]
    lines = [f"# Timeline: {', '.join(names)}", "",
             "| stamp | " + " | ".join(names) + " |",
             "|---|" + "---|" * len(names)]
    for e in t["entries"]:
        cells = ["" for _ in names]
        index = next(i for i, s in enumerate(t["sources"]) if s["key"] == e["source"])
        cells[index] = md.line(_cell(e).replace("\n", " "))
        lines.append(f"| {stamp_text(e['stamp'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
