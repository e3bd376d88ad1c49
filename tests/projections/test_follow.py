"""On PostgreSQL the read side can follow the log from another process."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from storylog.app.commands import add_update
from storylog.app.service import StoryApp
from storylog.domain.payloads import StoryOpenedPayload
from storylog.projections.queries import Views


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout  # a deadline against hanging, not a timed claim
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_project_follow_keeps_read_models_current_on_postgres(pg_url: str):
    writer = StoryApp(pg_url)
    writer.open_story(StoryOpenedPayload(slug="s", headline="H"), editor="ana")
    writer.catch_up()  # create the read-model tables before the follower starts
    follower = subprocess.Popen(
        [sys.executable, "-m", "storylog.cli", "--db", pg_url, "project", "--follow"],
        env=dict(os.environ, NO_COLOR="1"), stderr=subprocess.PIPE, text=True,
    )
    try:
        for i in range(5):
            add_update(writer, "s", body=f"Followed {i}.", editor="ana")  # no catch-up here
        last = writer.recorder.max_notification_id()
        reader = StoryApp(pg_url)
        assert wait_for(lambda: reader.readmodel.position() >= last), follower.poll()
        view = Views(reader, catch_up=False).view("s")
        assert sorted(u["body"] for u in view["updates"]) == [f"Followed {i}." for i in range(5)]
    finally:
        follower.terminate()
        follower.wait(timeout=30)
