"""The read-model recorder on PostgreSQL: eventsourcing's PostgreSQL tracking recorder
first. It is also the view that ``storylog project --follow`` hands the library's
ProjectionRunner, which names its tracking table (``storylog_tracking``)."""

from __future__ import annotations

from eventsourcing.postgres import PostgresTrackingRecorder

from storylog.store.readmodel.recorder import ReadModelRecorder


class PostgresReadModelRecorder(PostgresTrackingRecorder, ReadModelRecorder):
    postgres = True

    def create_table(self) -> None:
        super().create_table()  # the library's tracking table
        self.create_read_model_tables()
