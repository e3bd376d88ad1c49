"""Keeping the record: create the store, verify it, sign checkpoints, move it between
stores (events, load), back it up and restore it without breaking an erasure, keep its
keys apart, and keep the read models current (project, rebuild)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from storylog.cli.options import GlobalOptionsGroup, json_option
from storylog.cli.output import Document, chosen, emit, nothing, say
from storylog.cli.session import Session, stop_on_signals
from storylog.render.terminal import counted


@click.command()
@click.pass_obj
def init(session: Session) -> None:
    """Create the database (SQLite file or PostgreSQL tables) if it is missing.

    \b
    Example:
      storylog --db newsroom.db init
    """
    session.writer(create=True)
    click.echo(session.db)
    say(f"storylog database ready at {session.db}")


@click.command()
@click.pass_obj
def rebuild(session: Session) -> None:
    """Drop the read models and rebuild them from the events, with a progress bar.

    After a failed `verify`, copy the database aside first: the read models may be the
    only sign left of deleted events, and a rebuild replaces them.

    \b
    Example:
      storylog rebuild
    """
    app = session.app()
    total = app.recorder.max_notification_id() or 0
    with click.progressbar(length=total, label="rebuilding read models", file=sys.stderr,
                           show_pos=True) as bar:
        applied = app.rebuild(progress=bar.update)
    say(f"rebuilt from {counted(applied, 'event')}")


@click.command()
@click.option("--follow", is_flag=True, help="Keep following new events until interrupted.")
@click.option("--interval", type=float, default=1.0, show_default=True,
              help="Seconds between polls on SQLite (PostgreSQL is notified).")
@click.pass_obj
def project(session: Session, follow: bool, interval: float) -> None:
    """Bring the read models up to date; with --follow, keep them up to date.

    On PostgreSQL, --follow uses eventsourcing's ProjectionRunner (LISTEN/NOTIFY),
    so the read side can run on another machine than the editors' writes.

    \b
    Example:
      storylog --db postgresql://reader@db/news project --follow
    """
    from storylog.app.follow import follow as follow_log

    app = session.app()
    say(f"applied {counted(app.catch_up(), 'event')}")
    if follow:
        stop_on_signals()
        follow_log(app, interval)


@click.command()
@click.argument("slug", required=False)
@click.option("--checkpoints", type=click.Path(dir_okay=False, path_type=Path),
              envvar="STORYLOG_CHECKPOINTS", help="A signed checkpoint log to hold the store to.")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="STORYLOG_PUBKEY", help="The newsroom's public key (with --checkpoints).")
@json_option
@click.pass_obj
def verify(
    session: Session, slug: str | None, checkpoints: Path | None, pubkey: Path | None,
    as_json: bool,
) -> None:
    """Recompute every hash chain; name the first modified, deleted, inserted or moved event.

    Without SLUG, also check the copies outside the chains: every snapshot against a
    replay of its events, and the read models against ones rebuilt from the events.
    With --checkpoints and --pubkey, also prove that the store still holds, unaltered,
    everything each signed checkpoint covered (truncation, deletion, reordering and a
    rewrite with recomputed hashes are all caught).

    \b
    Example:
      storylog verify pokrovsk-live
      storylog verify --checkpoints checkpoints.ndjson --pubkey newsroom.key.pub
    """
    from storylog.app.archive import Archive
    from storylog.errors import VerificationFailed
    from storylog.render.archive import other_problems, verified_summary, verified_text
    from storylog.store.verify import check_all

    archive = Archive(session.app())
    reports = list(check_all(archive.chains(slug)))
    problems = [r.problem for r in reports if r.problem]
    if not problems and slug is None:
        problems += archive.derived_problems()
    if checkpoints is not None:
        problems += _checkpoint_problems(archive, checkpoints, pubkey)
    found = {"chains": [{k: v for k, v in vars(r).items() if k != "hashes"} | {"ok": r.ok}
                        for r in reports],
             "problems": problems}
    emit(found, chosen("text", as_json), {"text": Document(verified_text)})
    if problems:
        for line in other_problems(found):
            say(line)
        raise VerificationFailed(problems[0] or "verification failed")
    say(verified_summary(found, checkpoints))


def _checkpoint_problems(archive: Any, log: Path, pubkey: Path | None) -> list[str]:
    from storylog.store.checkpoints import load_public, read_log

    if pubkey is None:
        raise click.UsageError("--checkpoints needs --pubkey (the newsroom's public key)")
    lines = read_log(log)
    problems: list[str] = archive.check_checkpoints(lines, load_public(pubkey), log)
    if not lines and not problems:
        raise click.UsageError(f"{log} holds no checkpoint")
    return problems


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def keygen(session: Session, path: Path) -> None:
    """Make an Ed25519 signing key for checkpoints: PATH (private) and PATH.pub.

    Keep the private key outside the database and its backups; publish the .pub.

    \b
    Example:
      storylog keygen ~/.config/storylog/newsroom.key
    """
    from storylog.store.checkpoints import keygen as make_key

    click.echo(make_key(path))
    say(f"private key in {path} (keep it secret and away from the database)")


@click.command()
@click.option("--key", "key_path", envvar="STORYLOG_SIGNING_KEY", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The private key (from `storylog keygen`). Env: STORYLOG_SIGNING_KEY.")
@click.option("--log", "log_path", envvar="STORYLOG_CHECKPOINTS", default="checkpoints.ndjson",
              show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The checkpoint log the newsroom publishes. Env: STORYLOG_CHECKPOINTS.")
@json_option
@click.pass_obj
def checkpoint(session: Session, key_path: Path, log_path: Path, as_json: bool) -> None:
    """Sign the heads of every story's chain and append them to the checkpoint log.

    Later publications carry the newest checkpoint, so readers can keep it.

    \b
    Example:
      storylog checkpoint --key newsroom.key --log public/checkpoints.ndjson
    """
    from storylog.app.archive import Archive
    from storylog.render.archive import checkpoint_summary, checkpoint_text
    from storylog.store.checkpoints import load_private

    line = Archive(session.writer()).checkpoint(load_private(key_path), log_path)
    emit(line, chosen("text", as_json), {"text": checkpoint_text})
    say(checkpoint_summary(line, log_path))


@click.command()
@click.argument("slug", required=False)
@click.option("--all", "everything", is_flag=True,
              help="Every story, the source registry, the store's checkpoint records and its "
              "public log.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write to FILE instead of standard output. It holds update keys and "
              "plaintext, so it is created readable by you only (mode 600).")
@click.option("--redacted", is_flag=True,
              help="For third parties: no keys, no sealed or taken-down content, no "
              "confidential sources, editors, command ids or internal reasons. It cannot "
              "be verified or loaded (`load` refuses it, saying what it lacks).")
@click.option("--audit", is_flag=True, hidden=True)  # for old scripts: exact is the default
@click.pass_obj
def events(session: Session, slug: str | None, everything: bool, output: str | None,
           redacted: bool, audit: bool) -> None:
    """Write a story's events, or the whole store's, as NDJSON: an exact copy to load.

    One event a line, as stored, with every update's key (a legal hold's too; an erased
    update has none), so `storylog load` into a fresh store gives back the same chains,
    views, verification and sources. With --all: every story and the source registry in
    the order they were recorded, then the checkpoints this store signed and its public
    log (records and signed tree heads). The file
    holds keys and text in clear: keep it private. With -o it is created with mode
    600; standard output goes where you send it.

    \b
    Example:
      storylog events --all -o newsroom.ndjson
      storylog events pokrovsk-live --redacted > pokrovsk-for-partners.ndjson
    """
    from contextlib import nullcontext

    from storylog.app.archive import Archive
    from storylog.render.archive import export_summary
    from storylog.store.transfer import private_file

    if not slug and not everything:
        raise click.UsageError("give a SLUG or --all")
    lines = Archive(session.app()).export(None if everything else slug, redacted=redacted)
    written: dict[str, int] = {"event": 0, "checkpoint": 0, "public-log": 0, "header": 0}
    with private_file(output) if output else nullcontext(sys.stdout.buffer) as out:
        for what, line in lines:
            out.write(line)
            written[what] += 1
        out.flush()
    if output:
        say(export_summary(written, output, redacted=redacted, to_file=Path(output).is_file()))


@click.command()
@click.argument("file", type=click.File("rb"))
@json_option
@click.pass_obj
def load(session: Session, file: Any, as_json: bool) -> None:
    """Load events written by `storylog events` into this database (- for stdin).

    The whole file is checked in memory first: every chain must verify, every record
    must be one a live command could have written (validated for its class), every
    story must replay under the commands' rules, every checkpoint record must sign
    heads the file holds, and the public log must be whole (each record naming an event
    the file holds, each tree head the tree of the records before it). Otherwise nothing
    is loaded and the refusal names the line. An export of every store loads only into
    a store without stories, source merges, checkpoints or a public log of the same; a
    redacted export is refused. What a file lacks (keys of updates that were not erased,
    from older exports) is said on stderr.

    \b
    Example:
      storylog --db postgresql://localhost/news load newsroom.ndjson
    """
    from storylog.app.archive import Archive
    from storylog.render.archive import load_report
    from storylog.store.transfer import read_export

    export = read_export(file)
    loaded = Archive(session.writer(create=True)).load(
        export.events, export.checkpoints, (export.public_records, export.tree_heads))
    emit(loaded, chosen("text", as_json), {"text": nothing})
    for line in load_report(loaded, len(export.checkpoints),
                            len(export.public_records)) + export.notes:
        say(line)


# -- backups that respect erasure: keys apart, backups, restore, the erasure report --


@click.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def backup(session: Session, dest: Path, as_json: bool) -> None:
    """Back up the events, without any key, to a new file DEST (the store stays online).

    DEST holds the events, snapshots, signed checkpoints and the public log (records and
    signed tree heads) as of one moment, never a key
    nor the read models (which hold opened text): content erased later cannot be read
    from it once the key backups made before the erasure are destroyed. Back the keys
    up apart with `storylog backup-keys`; see docs/records.md.

    \b
    Example:
      storylog backup /backups/events-2025-11-12.storylog
    """
    from storylog.app.backup import backup_events
    from storylog.render.archive import backup_summary

    done = backup_events(session.app(), dest)
    emit(done, chosen("text", as_json), {"text": nothing})
    say(backup_summary(done, dest))


@click.command("backup-keys")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--retention", "days", type=int, default=35, show_default=True, metavar="DAYS",
              help="How many days the newsroom keeps this key backup before destroying it.")
@json_option
@click.pass_obj
def backup_keys(session: Session, dest: Path, days: int, as_json: bool) -> None:
    """Back up the update keys to a new file DEST, to be destroyed after --retention days.

    The backup is recorded in the key store (where, when, which keys, until when), so
    that `storylog erasure-report` can say which backups still hold an erased key.
    Keep key backups apart from event backups.

    \b
    Example:
      storylog backup-keys /secure/keys-2025-11-12.storylog --retention 35
    """
    from storylog.app.backup import backup_keys as make
    from storylog.render.archive import key_backup_summary

    record = make(session.app(), dest, days)
    emit(record, chosen("text", as_json), {"text": nothing})
    say(key_backup_summary(record, dest))


@click.command()
@click.argument("events_file", metavar="EVENTS_BACKUP",
                type=click.Path(dir_okay=False, path_type=Path))
@click.argument("keys_file", metavar="KEY_BACKUP", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@click.pass_obj
def restore(session: Session, events_file: Path, keys_file: Path, as_json: bool) -> None:
    """Restore an events backup and a key backup into a NEW store (--db, --keys), and verify.

    Refuses to write into a store that exists. Keys that the events say were erased
    after the key backup was made are not restored.

    \b
    Example:
      storylog --db restored.db --keys restored-keys.db restore events.storylog keys.storylog
    """
    from storylog.app.backup import restore as put_back
    from storylog.render.archive import restore_summary

    done = put_back(events_file, keys_file, session.db, session.keys)
    emit(done, chosen("text", as_json), {"text": nothing})
    say(restore_summary(done))


@click.command("erasure-report")
@json_option
@click.pass_obj
def erasure_report(session: Session, as_json: bool) -> None:
    """List the key backups that still hold a key destroyed by a source-safety erasure.

    Each is named with where it was written, when it expires, and whether it has expired
    (then destroy it now). Nothing listed: no recorded key backup holds an erased key.

    \b
    Example:
      storylog erasure-report --json
    """
    from storylog.app.backup import erasure_report as report
    from storylog.render.archive import erasure_summary, erasure_text

    result = report(session.app())
    emit(result, chosen("text", as_json), {"text": erasure_text})
    if not as_json:
        say(erasure_summary(result))


@click.group(cls=GlobalOptionsGroup)
def keys() -> None:
    """Where the update keys live (see --keys), and moving them out of the events.

    \b
    Example:
      storylog --keys keys.db keys where
    """


@keys.command("move")
@click.argument("dest", required=False, metavar="DEST")
@json_option
@click.pass_obj
def keys_move(session: Session, dest: str | None, as_json: bool) -> None:
    """Move the keys out of the events database into DEST (a SQLite file or a URL).

    Copies every key, checks that every sealed envelope opens with the copy, then
    deletes the keys from the events database, overwriting their bytes. Safe to run
    again after a crash. Afterwards give --keys DEST (or STORYLOG_KEYS) to every command.
    DEST defaults to --keys.

    \b
    Example:
      storylog --db newsroom.db keys move newsroom-keys.db
    """
    from storylog.app.backup import move_keys, refuse_unless_store
    from storylog.render.archive import keys_moved_summary

    target = dest or session.keys
    if not target:
        raise click.UsageError("give DEST, or --keys / STORYLOG_KEYS")
    refuse_unless_store(session.db)
    done = move_keys(session.db, target)
    emit(done, chosen("text", as_json), {"text": nothing})
    say(keys_moved_summary(done, target))


@keys.command("where")
@json_option
@click.pass_obj
def keys_where(session: Session, as_json: bool) -> None:
    """Say where this store's keys live, how many there are, and how many key backups.

    \b
    Example:
      storylog keys where --json
    """
    from storylog.app.backup import where_keys
    from storylog.render.archive import keys_where_text

    emit(where_keys(session.app()), chosen("text", as_json), {"text": Document(keys_where_text)})


COMMANDS = (init, verify, keygen, checkpoint, events, load, backup, backup_keys, restore,
            erasure_report, keys, rebuild, project)
