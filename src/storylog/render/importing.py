"""What `import` did (or, in a dry run, would do) with a page: the lines for the person."""

from __future__ import annotations

from typing import Any

from storylog.render.terminal import counted

SHOWN_UNSOURCED = 8  # more would bury the summary; --json lists them all


def import_report(s: dict[str, Any], *, dry_run: bool) -> list[str]:
    """A plan's summary (``ImportPlan.summary()``) as lines for stderr."""
    if s["replayed"]:
        first, last = s["replayed"]
        return [f"{s['story']}: this command id already imported this page (events {first} "
                f"to {last}); nothing was written"]
    verb = "would write" if dry_run else "wrote"
    lines = [f"{s['story']}: {counted(s['updates_on_page'], 'update')} on the page; {verb} "
             f"{s['added']} added, {s['edited']} edited, {s['retracted']} retracted "
             f"({s['unchanged']} unchanged)"]
    if s["unsourced"]:
        lines.append(_unsourced(s["unsourced"]))
    lines += [f"uncertain match: {u['update']} (similarity {u['similarity']}); check it"
              for u in s["uncertain"]]
    lines += [f"line {line['line']} belongs to no update: {line['text'][:70]}"
              for line in s["unplaced"]]
    return lines + [f"note: {warning}" for warning in s["warnings"]]


def _unsourced(ids: list[str]) -> str:
    shown = ", ".join(ids[:SHOWN_UNSOURCED])
    more = f" and {len(ids) - SHOWN_UNSOURCED} more (--json lists all)" \
        if len(ids) > SHOWN_UNSOURCED else ""
    return (f"no source found for {counted(len(ids), 'update')}: {shown}{more}; "
            "add them with `storylog edit ... --source`")
