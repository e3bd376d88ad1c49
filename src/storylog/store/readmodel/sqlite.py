"""The read-model recorder on SQLite: eventsourcing's SQLite tracking recorder first."""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteTrackingRecorder

from storylog.store.readmodel.recorder import ReadModelRecorder


class SQLiteReadModelRecorder(SQLiteTrackingRecorder, ReadModelRecorder):
    postgres = False
    tracking_table_name = "tracking"  # the library's fixed name on SQLite

    def create_table(self) -> None:
        super().create_table()  # the library's tracking table
        self.create_read_model_tables()
