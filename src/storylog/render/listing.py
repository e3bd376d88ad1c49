"""What a store holds, one tab-separated line each: its stories and its cited sources."""

from __future__ import annotations

from typing import Any

from storylog.render.terminal import counted


def stories_text(stories: list[dict[str, Any]]) -> str:
    return "".join(f"{s['slug']}\t{counted(s['updates'], 'update')}\t"
                   f"{s['published_versions']} published\t{s['headline']}\n" for s in stories)


def sources_text(sources: list[dict[str, Any]]) -> str:
    return "".join(_source_line(s) + "\n" for s in sources)


def _source_line(s: dict[str, Any]) -> str:
    aliases = f"\taka {', '.join(s['aliases'])}" if s["aliases"] else ""
    return (f"{s['name']}\t{s['kind']}\t{counted(s['updates'], 'update')}\t"
            f"{counted(s['stories'], 'story', 'stories')}{aliases}")
