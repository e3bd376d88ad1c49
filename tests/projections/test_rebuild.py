"""Read models kept up incrementally equal read models rebuilt from the events,
and both agree with the Story aggregate's own fold."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storylog.app.commands import (
    add_update,
    edit_update,
    merge_sources,
    publish,
    retract_update,
)
from storylog.app.service import StoryApp
from storylog.domain.payloads import StoryOpenedPayload
from storylog.errors import StorylogError
from storylog.projections.queries import Views
from storylog.projections.story_view import story_view
from storylog.store.decoding import Decoder
from storylog.store.readmodel.recorder import is_duplicate
from storylog.store.readmodel.schema import TABLES

EXAMPLES = int(os.environ.get("STORYLOG_HYPOTHESIS_EXAMPLES", "25"))
WORDS = ["Pokrovsk", "85%", "80%", "denied", "confirmed", "Bild", "encircled", "city", "the"]
NAMES = ["Bild", "Le Monde", "Julian Röpcke", "Ropcke", "General Staff", "Deep State"]

text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
sources = st.lists(
    st.builds(lambda n, via: {"name": n, **({"via": via} if via else {})},
              st.sampled_from(NAMES), st.sampled_from([None, "Bild", "Le Monde"])),
    max_size=3, unique_by=lambda s: s["name"])
operation = st.one_of(
    st.tuples(st.just("add"), text, sources, st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 9),
              st.sampled_from(["copy-edit", "update", "correction"]), text, sources),
    st.tuples(st.just("status"), st.integers(0, 9), st.sampled_from(["verified", "disputed"])),
    st.tuples(st.just("retract"), st.integers(0, 9)),
    st.tuples(st.just("publish")),
    st.tuples(st.just("merge"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("catch_up")),
)


def run(app: StoryApp, op: tuple[Any, ...], stamp: int) -> None:
    ids = app.story("s").order
    kind = op[0]
    try:
        if kind == "add":
            add_update(app, "s", body=op[1], sources=op[2], key_event=op[3],
                       stamp=f"2025-11-{4 + stamp % 7:02d} {stamp % 24:02d}:00", editor="ana")
        elif kind == "edit" and ids:
            edit_update(app, "s", ids[op[1] % len(ids)], kind=op[2], reason="r",
                        note="Public note." if op[2] == "correction" else None, body=op[3],
                        sources=op[4], editor="bo")
        elif kind == "status" and ids:
            edit_update(app, "s", ids[op[1] % len(ids)], kind="update", reason="r",
                        status=op[2], editor="bo")
        elif kind == "retract" and ids:
            retract_update(app, "s", ids[op[1] % len(ids)], reason="r", note="Withdrawn.",
                           editor="cy")
        elif kind == "publish":
            publish(app, "s", editor="ana")
        elif kind == "merge":
            views = Views(app)
            from storylog.projections.timeline import resolve_source

            a, b = resolve_source(views, op[1]), resolve_source(views, op[2])
            merge_sources(app, a["name"], b["name"], reason="same", editor="ana")
        elif kind == "catch_up":
            app.catch_up()
    except StorylogError:
        pass  # refused (e.g. an edit that changes nothing): also part of the story


def dump(app: StoryApp) -> dict[str, list[tuple[Any, ...]]]:
    assert app.sql is not None
    return {t: sorted(tuple(r) for r in app.sql.fetchall(f"SELECT * FROM {t}"))
            for t in TABLES}


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_rebuilt_read_models_equal_incremental_ones(tmp_path: Path, ops) -> None:
    db = tmp_path / f"{abs(hash(tuple(map(str, ops))))}.db"
    app = StoryApp(str(db))
    try:
        app.open_story(StoryOpenedPayload(slug="s", headline="H", tz="Europe/Kyiv"),
                       editor="ana")
        for n, op in enumerate(ops):
            run(app, op, n)
        app.catch_up()
        incremental = dump(app)
        views = Views(app, catch_up=False)
        assert views.view("s") == story_view(app.story("s"))
        for v in range(1, len(app.story("s").published) + 1):
            assert views.view("s", version=v) == story_view(app.published("s", v), v)

        app.readmodel.drop()
        assert all(not rows for rows in dump(app).values())
        app.catch_up()
        assert dump(app) == incremental
    finally:
        app.close()


def test_catch_up_applies_only_new_events(sqlite_db: str) -> None:
    app = StoryApp(sqlite_db)
    app.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    add_update(app, "s", body="One.", editor="ana")
    assert app.catch_up() == 2
    assert app.catch_up() == 0
    add_update(app, "s", body="Two.", editor="ana")
    assert app.catch_up() == 1
    assert app.readmodel.position() == app.recorder.max_notification_id()


def test_two_readers_catching_up_at_once_apply_each_event_once(db: str) -> None:
    writer = StoryApp(db)
    writer.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    for i in range(30):
        add_update(writer, "s", body=f"Update {i}.", editor="ana")
    first, second = StoryApp(db), StoryApp(db)
    stale = second.recorder.select_notifications(1, 100)  # read before the other applied
    first.catch_up()
    with pytest.raises(Exception) as refused:
        second.readmodel.apply(map(Decoder(second.keys), stale), stale[-1].id)
    assert is_duplicate(refused.value)
    assert second.catch_up() == 0
    rows = writer.sql.fetchall("SELECT COUNT(*) AS n FROM rm_events")  # type: ignore[union-attr]
    assert rows[0]["n"] == 31


@pytest.mark.slow
def test_rebuild_equivalence_many_examples(tmp_path: Path) -> None:
    """The slow stage runs the property above with 500 examples."""
    import subprocess
    import sys

    env = dict(os.environ, STORYLOG_HYPOTHESIS_EXAMPLES="500")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
         "-k", "test_rebuilt_read_models_equal_incremental_ones"],
        env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]
