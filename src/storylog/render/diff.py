"""A version diff as terminal text (coloured or marked) or Markdown.

Without colour, deletions read [-like this-] and insertions {+like this+}, as in
`git diff --word-diff=plain`, so the change survives pipes and screen readers.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from storylog.render import markdown as md
from storylog.render.story import NOTE_TITLES, source_text, stamp_text
from storylog.render.style import style as styled


def inline_text(segments: list[dict[str, str]], *, color: bool) -> str:
    out = []
    for s in segments:
        if s["op"] == "equal":
            out.append(s["text"])
        elif color:
            fg = "red" if s["op"] == "delete" else "green"
            out.append(styled(s["text"], color=True, fg=fg, strikethrough=s["op"] == "delete",
                              underline=s["op"] == "insert"))
        else:
            out.append(f"[-{s['text']}-]" if s["op"] == "delete" else f"{{+{s['text']}+}}")
    return "".join(out)


def inline_markdown(segments: list[dict[str, str]]) -> str:
    out = []
    for s in segments:
        text = md.inline(s["text"])
        if s["op"] == "equal":
            out.append(text)
        elif s["op"] == "delete":
            out.append(f"<del>{text}</del>")
        else:
            out.append(f"<ins>{text}</ins>")
    return "".join(out)


def _title(d: dict[str, Any]) -> str:
    a, b = d["from"]["version"], d["to"]["version"]
    s = d["summary"]
    taken = f", {s['taken_down']} taken down" if s.get("taken_down") else ""
    return (f"{d['slug']}: version {a} -> {b}: {s['added']} added, {s['edited']} edited, "
            f"{s['retracted']} retracted{taken}, {s['notes']} public notes")


def change_lines(edit: dict[str, Any], inline: Any, plain: Any = str) -> list[str]:
    """One update's changes (``edit["changes"]``) as lines, the text word by word;
    ``plain`` makes editor text literal in the output's format (Markdown escapes it)."""
    e = edit["changes"]
    lines = []
    if "body" in e:
        lines += [inline(e["body"])]
    for field in ("status", "stamp", "key_event"):
        if field in e:
            lines.append(f"{field}: {e[field]['from']} -> {e[field]['to']}")
    if "sources" in e:
        src = e["sources"]
        lines += [f"source added: {plain(source_text(s))}" for s in src["added"]]
        lines += [f"source removed: {plain(source_text(s))}" for s in src["removed"]]
        lines += [f"source changed: {plain(source_text(s))}" for s in src["changed"]]
    if "media" in e:
        lines.append(f"media: {len(e['media']['from'])} item(s) -> {len(e['media']['to'])}")
    return lines


def diff_text(d: dict[str, Any], *, color: bool) -> str:
    style = partial(styled, color=color)

    def inline(segments: list[dict[str, str]]) -> str:
        return inline_text(segments, color=color)

    lines = [style(_title(d), bold=True)]
    for field in ("headline", "standfirst"):
        if d[field]:
            lines += ["", style(f"{field}:", bold=True), inline(d[field]["words"])]
    for u in d["added"]:
        lines += ["", style(f"+ added {u['id']} ({stamp_text(u['stamp'])})", fg="green",
                            bold=True), u["body"] or "[content erased]"]
    for u in d["retracted"]:
        lines += ["", style(f"x retracted {u['id']} ({stamp_text(u['stamp'])})", fg="red",
                            bold=True), f"notice: {u['notice']}"]
    for u in d.get("taken_down", []):
        lines += ["", style(f"- taken down {u['id']} ({stamp_text(u['stamp'])}) on "
                            f"{u['grounds']} grounds", fg="red", bold=True)]
    for e in d["edited"]:
        lines += ["", style(f"~ edited {e['id']} ({stamp_text(e['stamp'])}), revision "
                            f"{e['from_revision']} -> {e['to_revision']}", fg="yellow",
                            bold=True)]
        lines += change_lines(e, inline)
    if d["notes"]:
        lines += ["", style("public notes:", bold=True)]
        lines += [f"  {n['update']}: {NOTE_TITLES.get(n['kind'], n['kind'].capitalize())}: "
                  f"{n['note']}" for n in d["notes"]]
    return "\n".join(lines) + "\n"


def diff_markdown(d: dict[str, Any]) -> str:
    lines = [f"# {_title(d)}", ""]  # storylog's own words and a slug
    for field in ("headline", "standfirst"):
        if d[field]:
            lines += [f"**{field.capitalize()}:** {inline_markdown(d[field]['words'])}", ""]
    for u in d["added"]:
        lines += [f"## Added: {stamp_text(u['stamp'])} ({u['id']})", ""]
        lines += [f"{p}\n" for p in md.paragraphs(u["body"] or "[content erased]")]
    for u in d["retracted"]:
        lines += [f"## Retracted: {stamp_text(u['stamp'])} ({u['id']})", "",
                  f"**Notice:** {md.line(u['notice'])}", ""]
    for u in d.get("taken_down", []):
        lines += [f"## Taken down: {stamp_text(u['stamp'])} ({u['id']})", "",
                  f"Removed on {u['grounds']} grounds.", ""]
    for e in d["edited"]:
        lines += [f"## Edited: {stamp_text(e['stamp'])} ({e['id']}), revision "
                  f"{e['from_revision']} to {e['to_revision']}", ""]
        lines += [f"{line}\n" for line in change_lines(e, inline_markdown, md.line)]
    if d["notes"]:
        lines += ["## Public notes", ""]
        lines += [f"- {n['update']}: **{NOTE_TITLES.get(n['kind'], n['kind'].capitalize())}:** "
                  f"{md.line(n['note'])}" for n in d["notes"]]
    return "\n".join(lines).rstrip("\n") + "\n"
