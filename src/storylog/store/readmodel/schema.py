"""The read-model tables (``rm_*``), their version, and the tracking row's name."""

from __future__ import annotations

# Bump when the rm_* tables' shape or meaning changes: the read models are then
# dropped and rebuilt from the events on first use.
READMODEL_VERSION = 5
# The tracking row (eventsourcing's tracking table) that records the position folded.
TRACKING_NAME = "storylog"

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS rm_stories (story_id TEXT PRIMARY KEY, slug TEXT NOT NULL, "
    "headline TEXT, standfirst TEXT, tz TEXT, lang TEXT, opened_at TEXT, opened_by TEXT)",
    "CREATE TABLE IF NOT EXISTS rm_details (story_id TEXT, position INTEGER, headline TEXT, "
    "standfirst TEXT, kind TEXT, note TEXT, recorded_at TEXT, PRIMARY KEY (story_id, position))",
    "CREATE TABLE IF NOT EXISTS rm_events (story_id TEXT, position INTEGER, "
    "notification_id BIGINT, recorded_at TEXT, editor TEXT, type TEXT, update_id TEXT, "
    "kind TEXT, reason TEXT, note TEXT, command_id TEXT, changed TEXT, version INTEGER, "
    "revision INTEGER, flags TEXT, override TEXT, PRIMARY KEY (story_id, position))",
    "CREATE INDEX IF NOT EXISTS rm_events_update ON rm_events (story_id, update_id, position)",
    "CREATE INDEX IF NOT EXISTS rm_events_recorded ON rm_events (recorded_at)",
    "CREATE INDEX IF NOT EXISTS rm_events_editor ON rm_events (editor)",
    "CREATE TABLE IF NOT EXISTS rm_revisions (story_id TEXT, update_id TEXT, revision INTEGER, "
    "position INTEGER, recorded_at TEXT, editor TEXT, action TEXT, stamp TEXT, status TEXT, "
    "key_event INTEGER, body TEXT, sources TEXT, media TEXT, note TEXT, erased INTEGER, "
    "PRIMARY KEY (story_id, update_id, revision))",
    "CREATE INDEX IF NOT EXISTS rm_revisions_position ON rm_revisions (story_id, position)",
    "CREATE INDEX IF NOT EXISTS rm_revisions_action ON rm_revisions (action)",
    "CREATE TABLE IF NOT EXISTS rm_versions (story_id TEXT, version INTEGER, position INTEGER, "
    "recorded_at TEXT, editor TEXT, note TEXT, head TEXT, PRIMARY KEY (story_id, version))",
    "CREATE TABLE IF NOT EXISTS rm_sources (source_key TEXT PRIMARY KEY, name TEXT, kind TEXT, "
    "merged_into TEXT)",
    # Identities joined by a merge recorded as confidential (and whatever joined them
    # later): the public site never applies their merges.
    "CREATE TABLE IF NOT EXISTS rm_source_secrets (source_key TEXT PRIMARY KEY)",
    "CREATE TABLE IF NOT EXISTS rm_citations (source_key TEXT, story_id TEXT, update_id TEXT, "
    "revision INTEGER, position INTEGER, role TEXT, as_cited TEXT, via TEXT, "
    "PRIMARY KEY (source_key, story_id, update_id, revision, role))",
    "CREATE INDEX IF NOT EXISTS rm_citations_update ON rm_citations (story_id, update_id)",
    "CREATE TABLE IF NOT EXISTS rm_reviews (story_id TEXT, update_id TEXT, revision INTEGER, "
    "editor TEXT, recorded_at TEXT, note TEXT, PRIMARY KEY (story_id, update_id, revision))",
]
INDEXES = [statement for statement in SCHEMA if statement.startswith("CREATE INDEX")]
TABLES = ["rm_stories", "rm_details", "rm_events", "rm_revisions", "rm_versions",
          "rm_sources", "rm_source_secrets", "rm_citations", "rm_reviews"]
# The version of the tables' shape, and the mark an erasure leaves until the sources it
# may have named first are re-derived.
META = "CREATE TABLE IF NOT EXISTS rm_meta (name TEXT PRIMARY KEY, value INTEGER)"
