"""Which database: a SQLite file path (the default) or a postgresql:// URL."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from storylog.errors import StoreUnavailable

# The tracking recorder the factory makes is the read models' (store/readmodel/): a topic,
# resolved when the application first asks for it.
_READ_MODEL = "storylog.store.readmodel"


def is_postgres(db: str) -> bool:
    return db.startswith(("postgresql://", "postgres://"))


def is_database_error(error: BaseException) -> bool:
    """Whether an error comes from a database driver or the event store's library (a
    store that cannot be read or written, rather than a bug of ours)."""
    name = type(error).__module__.split(".")[0]
    return name in {"sqlite3", "psycopg", "psycopg_pool", "eventsourcing"}


def env_for(db: str) -> dict[str, str]:
    """eventsourcing settings for a database given on the command line."""
    if is_postgres(db):
        return _postgres_env(db)
    path = Path(db).expanduser()
    if path.is_dir():
        raise StoreUnavailable(f"--db {db} is a directory; give a file path")
    if not path.parent.exists():
        raise StoreUnavailable(f"--db {db}: folder {path.parent} does not exist")
    return {
        "PERSISTENCE_MODULE": "storylog.store.sqlite_factory:DurableSQLiteFactory",
        "TRACKING_RECORDER_TOPIC": f"{_READ_MODEL}.sqlite:SQLiteReadModelRecorder",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": os.environ.get("STORYLOG_LOCK_TIMEOUT", "30"),
    }


def _postgres_env(db: str) -> dict[str, str]:
    url = urlsplit(db)
    name = url.path.lstrip("/")
    if not name:
        raise StoreUnavailable(f"--db {db} names no database; add /DBNAME to the URL")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "TRACKING_RECORDER_TOPIC": f"{_READ_MODEL}.postgres:PostgresReadModelRecorder",
        "POSTGRES_DBNAME": unquote(name),
        "POSTGRES_HOST": url.hostname or "localhost",
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or os.environ.get("USER", "postgres")),
        "POSTGRES_PASSWORD": unquote(url.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_LOCK_TIMEOUT": "30",
    }
