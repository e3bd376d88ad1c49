"""A command run again with the same command id.

A command id makes a command safe to repeat (after a crash, a timeout, a retried
script): the second run writes nothing and answers what the first one did. That is
only right when the second run asks for the same change. So the change asked for now
is compared with the event the id wrote then, field by field, as stored: no
fingerprint is kept anywhere, and stored events need no new field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from storylog.errors import RefusedInput

FIELD_WORDS = {"content": "text, sources or media", "update_id": "update id",
               "key_event": "key event", "base_revision": "revision"}


def same_as_before(
    slug: str, command_id: str, earlier: list[Any], kind: type[Any], payload: BaseModel,
    *, ignore: Iterable[str] = (),
) -> None:
    """Refuse, naming the command id, unless ``earlier`` (the events the id wrote) is one
    event of ``kind`` whose payload equals ``payload`` (fields in ``ignore`` aside:
    those the editor left to storylog, such as a generated update id)."""
    first: Any = earlier[0]
    if len(earlier) == 1 and isinstance(first, kind):
        skip = set(ignore)
        old = first.payload.model_dump(mode="json", exclude=skip)
        new = payload.model_dump(mode="json", exclude=skip)
        if old == new:
            return
        fields = [FIELD_WORDS.get(k, k) for k in new if old.get(k) != new.get(k)]
        what = f"this run's {', '.join(fields)} differ" + ("s" if len(fields) == 1 else "")
    else:
        what = f"it was {_name(first)}" + (f" and {len(earlier) - 1} more events"
                                          if len(earlier) > 1 else "")
        what += f", not {_name(kind)}"
    raise different_change(slug, command_id, first.originator_version, what)


def different_change(slug: str, command_id: str, position: int, what: str) -> RefusedInput:
    return RefusedInput(
        f"command id {command_id} was already used for another change to {slug} "
        f"(event {position}; {what}); nothing was written. Give a new change a new "
        "--command-id"
    )


def _name(event: Any) -> str:
    cls = event if isinstance(event, type) else type(event)
    return {"Opened": "an opening", "UpdateAdded": "an add", "UpdateEdited": "an edit",
            "UpdateRetracted": "a retraction", "DetailsChanged": "a retitle",
            "VersionPublished": "a publication", "UpdateTakenDown": "a takedown",
            "CorrectionReviewed": "a review"}.get(cls.__name__, cls.__name__)
