"""What a store shows, gathered through the real command line, to compare two stores.

A move (`events --all`, then `load` into a fresh store) must give back a store that
shows exactly the same: every chain's head, every story at every published version
and at every moment an event was recorded (`show --version`, `--at`, `--known-at`,
with and without `--audit`), the audit log, diffs, the corrections audit, the
sources and their timelines, the checkpoints (`verify --checkpoints`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from tests.conftest import Cli


def shown(cli: Cli, *, moments: int = 1, checkpoints: tuple[str, str] | None = None,
          ) -> dict[str, str]:
    """Every view of the store, by the command that printed it; the story as known at
    the moment of every ``moments``-th event (0: none) and at every publication."""
    seen: dict[str, str] = {}

    def ask(*args: str) -> Any:
        out = cli.ok(*args)
        seen[" ".join(args)] = out
        return orjson.loads(out) if "--json" in args else out

    ask("verify", "--json")
    if checkpoints is not None:
        ask("verify", "--checkpoints", checkpoints[0], "--pubkey", checkpoints[1], "--json")
    ask("corrections", "--json")
    ask("erasure-report", "--json")
    sources = ask("sources", "--json")
    for source in sources:
        ask("timeline", source["name"], "--json")
    for story in ask("stories", "--json"):
        _story(ask, story, moments)
    return seen


def _story(ask: Any, story: dict[str, Any], moments: int) -> None:
    slug = story["slug"]
    ask("show", slug)
    ask("show", slug, "--json")
    ask("show", slug, "--audit", "--json")
    ask("log", slug, "--json")
    for version in range(1, story["published_versions"] + 1):
        ask("show", slug, "--version", str(version), "--json")
        ask("show", slug, "--version", str(version), "--audit", "--json")
        ask("diff", slug, str(version - 1), str(version), "--json")
    if not moments:
        return
    for number, event in enumerate(ask("log", slug, "--json")):
        at = event["recorded_at"]
        if number % moments == 0:
            ask("show", slug, "--known-at", at, "--audit", "--json")
        if event["event"] == "VersionPublished":
            ask("show", slug, "--at", at, "--json")


def differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The commands whose output differs (or that one side did not run)."""
    return [command for command in sorted(before.keys() | after.keys())
            if before.get(command) != after.get(command)]
