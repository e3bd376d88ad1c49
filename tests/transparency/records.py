"""Sample public records for the tests: a story of a few versions, one update taken down."""

from __future__ import annotations

from storylog.transparency.record import (
    PublicNote,
    PublishedRecord,
    Removal,
    SourceView,
    UpdateView,
    publish,
)

SECRET = b"s" * 32


def view(update_id: str, body: str | None = "Troops entered the town.", **changes) -> UpdateView:
    fields = dict(
        id=update_id, stamp="2024-11-04T20:15+01:00", key_event=False, status="unverified",
        body=body, sources=(SourceView(name="Reuters", kind="agency", via=None, url=None),),
        media=(), notes=(), retraction=None, removed=None)
    fields.update(changes)
    return UpdateView(**fields)


def removed(update_id: str) -> UpdateView:
    return UpdateView(id=update_id, stamp="2024-11-04T20:15+01:00", key_event=False,
                      status=None, body=None, sources=(), media=(), notes=(), retraction=None,
                      removed=Removal(grounds="source-safety", at="2024-11-06T09:00:00Z"))


def story(slug: str = "pokrovsk-live", versions: int = 3) -> list[PublishedRecord]:
    """Version n shows updates u1..un; in the last version u2 has been taken down."""
    from storylog.transparency.record import derive_salt

    out: list[PublishedRecord] = []
    for n in range(1, versions + 1):
        views = [view(f"u{i}", f"Update {i}: the line held «{i}».") for i in range(1, n + 1)]
        if n == versions and n >= 2:
            views[1] = removed("u2")
        correction = PublicNote(kind="correction", note="The town is Pokrovsk, not Myrnohrad.",
                                at="2024-11-05T10:00:00Z", target="headline")
        out.append(publish(
            story=slug, version=n, published_at=f"2024-11-0{n}T12:00:00Z",
            headline=f"Pokrovsk: day {n}", standfirst="This page is updated as we learn more.",
            note=None if n == 1 else f"Version {n}", notes=[correction] if n > 1 else [],
            updates=[(v, derive_salt(SECRET, slug, n, v.id)) for v in views],
            previous=out[-1].record if out else None,
            chain_head=f"{n:064x}", chain_position=10 * n))
    return out
