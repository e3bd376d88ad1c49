"""Following the log: the library's ProjectionRunner on PostgreSQL, polling on SQLite."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner

from storylog.app.service import StoryApp
from storylog.projections.readmodel import TRACKING_NAME, Decoder, ReadModel, Record, utc_text
from storylog.store.backends import env_for, is_postgres
from storylog.store.sql import Sql


class PostgresReadModelView(PostgresTrackingRecorder):
    """The read models as the tracking recorder ProjectionRunner expects."""

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        self.model = ReadModel(Sql(datastore, postgres=True), self)


class StoryProjection(Projection[PostgresReadModelView]):
    name = TRACKING_NAME  # the same tracking row as the pull-based catch-up

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.model.apply([record_of(domain_event, tracking.notification_id)],
                              tracking.notification_id)


def record_of(event: Any, notification_id: int) -> Record:
    return Record(
        type(event).__name__, str(event.originator_id), event.originator_version,
        notification_id, utc_text(event.timestamp.isoformat()), event.editor,
        event.command_id, event.payload.model_dump(mode="json"),
    )


def follow(app: StoryApp, interval: float) -> None:
    if not is_postgres(app.db):
        while True:  # SQLite has no notifications: poll
            time.sleep(interval)
            app.catch_up()
    env = {**env_for(app.db), "STORYLOG_DB": app.db}
    with ProjectionRunner(
        application_class=StoryApp, projection_class=StoryProjection,
        view_class=PostgresReadModelView, env=env,
    ) as runner:
        runner.run_forever()


__all__ = ["Decoder", "follow"]
