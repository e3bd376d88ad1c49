"""A story view as terminal text or Markdown."""

from __future__ import annotations

from functools import partial
from typing import Any

from storylog.render import markdown as md
from storylog.render.style import style as styled

NOTE_TITLES = {
    "clarification": "Clarification",
    "correction": "Correction",
    "editors-note": "Editor's note",
    "update": "Update",
    "copy-edit": "Copy edit",
}


def stamp_text(stamp: str) -> str:
    return stamp.replace("T", " ")


def source_text(source: dict[str, Any]) -> str:
    details = [source["kind"]]
    if source.get("via"):
        details.append(f"via {source['via']}")
    if source.get("confidential"):
        details.append("confidential")
    return f"{source['name']} ({', '.join(details)})"


def media_text(media: dict[str, Any]) -> str:
    if media["type"] == "picture":
        caption = media.get("caption") or "Picture"
        credit = f" (credit: {media['credit']})" if media.get("credit") else ""
        return f"Picture: {caption}{credit}"
    caption = f" ({media['caption']})" if media.get("caption") else ""
    if not media.get("url"):
        return f"Link: {media['label']}{caption}"
    return f"Link: {media.get('label') or media['url']} <{media['url']}>{caption}"


def takedown_notice(update: dict[str, Any]) -> str:
    taken = update["taken_down"]
    return f"This update was removed on {taken['grounds']} grounds ({taken['at'][:10]})."


def heading(view: dict[str, Any]) -> str:
    if view["version"] is not None:
        return f"published version {view['version']}"
    return f"working copy (position {view['position']}, {view['published_versions']} published)"


def to_text(view: dict[str, Any], *, color: bool) -> str:
    style = partial(styled, color=color)

    lines = [style(view["headline"], bold=True), style(heading(view), dim=True)]
    if view["standfirst"]:
        lines += ["", view["standfirst"]]
    for u in view["updates"]:
        mark = " [KEY EVENT]" if u["key_event"] else ""
        lines += ["", style(f"{stamp_text(u['stamp'])}  {u['id']}{mark}", fg="cyan", bold=True)]
        if u.get("taken_down"):
            lines.append(style(takedown_notice(u), fg="red", bold=True))
            if u["body"] is None:
                continue
        if u["retracted"]:
            lines.append(style(f"RETRACTED: {u['retraction']['note']}", fg="red", bold=True))
        lines.append(u["body"] if u["body"] is not None else "[content erased]")
        lines += [f"  {media_text(m)}" for m in u["media"]]
        if u["sources"]:
            lines.append("  Sources: " + "; ".join(source_text(s) for s in u["sources"]))
        lines.append(f"  Status: {u['status']}  (revision {u['revision']})")
        for n in u["notes"]:
            title = NOTE_TITLES.get(n["kind"], n["kind"])
            lines.append(style(f"  {title}: {n['note']}", fg="yellow"))
    return "\n".join(lines) + "\n"


def source_markdown(source: dict[str, Any]) -> str:
    return md.line(source_text(source))


def media_markdown(media: dict[str, Any]) -> str:
    if media["type"] == "picture":
        caption = md.line(media.get("caption") or "Picture")
        credit = f" (credit: {md.line(media['credit'])})" if media.get("credit") else ""
        return f"Picture: {caption}{credit}"
    label = md.line(media.get("label") or "")
    caption = f" ({md.inline(media['caption'])})" if media.get("caption") else ""
    if not media.get("url"):
        return f"Link: {label}{caption}"
    return f"Link: {label or md.inline(media['url'])} {md.url(media['url'])}{caption}"


def to_markdown(view: dict[str, Any]) -> str:
    """CommonMark in which every piece of editor text is literal: paragraphs apart,
    nothing the newsroom wrote can become markup, a link or storylog's own notices."""
    lines = [f"# {md.line(view['headline'])}", ""]
    if view["version"] is not None:
        lines += [f"_Version {view['version']}_", ""]
    if view["standfirst"]:
        lines += [md.line(view["standfirst"]), ""]
    for u in view["updates"]:
        mark = " · Key event" if u["key_event"] else ""
        lines += [f"## {stamp_text(u['stamp'])}{mark}", ""]
        if u.get("taken_down"):
            lines += [f"**{takedown_notice(u)}**", ""]
            if u["body"] is None:
                continue
        body = md.paragraphs(u["body"] if u["body"] is not None else "[content erased]")
        if u["retracted"]:
            lines += [f"**Retracted:** {md.line(u['retraction']['note'])}", ""]
            body = [f"~~{p}~~" for p in body]
        for paragraph in body:
            lines += [paragraph, ""]
        if u["media"]:
            lines += [f"- {media_markdown(m)}" for m in u["media"]] + [""]
        if u["sources"]:
            lines += ["Sources: " + "; ".join(source_markdown(s) for s in u["sources"]), ""]
        lines += [f"Status: {u['status']}", ""]
        for n in u["notes"]:
            title = NOTE_TITLES.get(n["kind"], n["kind"])
            lines += [f"> **{title}:** {md.line(n['note'])}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
