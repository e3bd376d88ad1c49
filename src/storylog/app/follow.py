"""Following the log: the library's ProjectionRunner on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import time

from eventsourcing.projection import ProjectionRunner

from storylog.app.service import StoryApp
from storylog.projections.readmodel import StoryProjection
from storylog.store.backends import env_for, is_postgres
from storylog.store.readmodel.postgres import PostgresReadModelRecorder


def follow(app: StoryApp, interval: float) -> None:
    """Keep the read models current until interrupted."""
    if not is_postgres(app.db):
        while True:  # SQLite has no notifications: poll
            time.sleep(interval)
            app.catch_up()
    env = {**env_for(app.db), "STORYLOG_DB": app.db}
    with ProjectionRunner(
        application_class=StoryApp, projection_class=StoryProjection,
        view_class=PostgresReadModelRecorder, env=env,
    ) as runner:
        runner.run_forever()
