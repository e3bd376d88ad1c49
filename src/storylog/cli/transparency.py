"""The public log from outside the newsroom: `verify-site` (a reader) and `witness`
(another organisation). Neither opens a store: they read a published site, a folder or
an http(s) address, and keys.

The checks of `verify-site` are those of the single-file verifier shipped in every site
(`transparency/standalone_verify.py`), so the two always agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from storylog.cli.options import json_option
from storylog.cli.output import echo_json, say
from storylog.cli.session import Session

WELL_KNOWN = ".well-known/storylog/"


def _key_text(value: str, origin: str | None = None) -> str:
    """A verifier key given as the string itself, or as a file holding it (a vkey file,
    or the PEM public key of `storylog keygen`, named after the log's origin)."""
    from storylog.errors import RefusedInput

    path = Path(value)
    if not path.is_file():
        return value.strip()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RefusedInput(f"cannot read the key {path}: {error.strerror}") from None
    if data.startswith(b"-----BEGIN"):
        from cryptography.hazmat.primitives import serialization

        from storylog.store.checkpoints import load_public
        from storylog.transparency.notes import Verifier

        if origin is None:
            raise RefusedInput(f"{path} is a PEM key: give the log's verifier key "
                               "(name+id+key) instead, or a site that names its log")
        raw = load_public(path).public_bytes(serialization.Encoding.Raw,
                                             serialization.PublicFormat.Raw)
        return Verifier(origin, raw).vkey
    return data.decode("utf-8", "replace").strip()


def _site(where: str) -> Any:
    from storylog.errors import RefusedInput
    from storylog.transparency.standalone_verify import Site

    try:
        return Site(where)
    except OSError as error:
        raise RefusedInput(str(error)) from None


def _site_origin(site: Any) -> str | None:
    from storylog.transparency.standalone_verify import VerifyError, parse_checkpoint, split_note

    try:
        note = site.get(WELL_KNOWN + "checkpoint")
        return parse_checkpoint(split_note(note.decode())[0])[0] if note else None
    except (OSError, VerifyError, UnicodeDecodeError):
        return None


def _read(path: Path) -> str:
    from storylog.errors import RefusedInput

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RefusedInput(f"cannot read {path}: {error}") from None


@click.command("verify-site")
@click.argument("where", metavar="DIR|URL")
@click.option("--pubkey", metavar="KEY",
              help="The newsroom's log key: its verifier key (name+id+key), or a file "
                   "holding it or its PEM public key. Default: the key the site publishes "
                   "(which proves only that the site is consistent with itself).")
@click.option("--since", type=click.Path(dir_okay=False, path_type=Path),
              metavar="SAVED-CHECKPOINT",
              help="A checkpoint you saved from this site earlier: prove that the log only "
                   "grew since (nothing published was changed, removed or reordered).")
@click.option("--witness", "witnesses", multiple=True, metavar="KEY",
              help="A witness's verifier key (or a file holding it) whose cosignature the "
                   "checkpoint must carry; repeat for several.")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path),
              help="After a successful check, save the site's checkpoint here (for --since "
                   "next time).")
@json_option
@click.pass_obj
def verify_site(session: Session, where: str, pubkey: str | None, since: Path | None,
                witnesses: tuple[str, ...], save: Path | None, as_json: bool) -> None:
    """Check a published site from its files alone: no store, nothing from the newsroom.

    Every file against the newsroom's signed list, every version page against its
    public record, every record's inclusion in the signed log, each story's chain of
    records, the checkpoint's signature (and witnesses' cosignatures), consistency
    with every earlier checkpoint and with yours (--since). Works on a folder or over
    HTTP. Each failure names the file and what is wrong; exit 5 if any check fails.

    \b
    Example:
      storylog verify-site site/ --pubkey 'news.example/live+1a2b3c4d+AX...'
      storylog verify-site https://news.example/live/ --since saved.checkpoint
    """
    from storylog.errors import VerificationFailed
    from storylog.transparency.standalone_verify import check_site

    site = _site(where)
    origin = _site_origin(site)
    key = _key_text(pubkey, origin) if pubkey else None
    saved = _read(since) if since is not None else None
    try:
        report = check_site(site, key, saved, tuple(_key_text(w) for w in witnesses))
    except OSError as error:
        from storylog.errors import RefusedInput

        raise RefusedInput(f"cannot read the site: {error}") from None
    if as_json:
        echo_json(report.to_json())
    else:
        click.echo(report.text())
    if not report.ok:
        file, problem = report.problems[0]
        raise VerificationFailed(f"{where} does not verify: {file}: {problem}"
                                 + (f" (and {len(report.problems) - 1} more)"
                                    if len(report.problems) > 1 else ""))
    if save is not None:
        note = site.get(WELL_KNOWN + "checkpoint") or b""
        save.write_bytes(note)
        say(f"saved the checkpoint to {save}; next time: --since {save}")


@click.group()
def witness() -> None:
    """Witness another newsroom's public log: cosign only checkpoints consistent with
    every one seen before (C2SP tlog-witness, tlog-cosignature).

    \b
    Example:
      storylog witness keygen witness.example/w1 witness.key
      storylog witness cosign https://news.example/live/ --key witness.key \\
        --state witness.json --log-key 'news.example/live+1a2b3c4d+AX...'
    """


@witness.command("keygen")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def witness_keygen(name: str, path: Path) -> None:
    """Make a witness key NAME: its secret key in PATH (mode 600); prints the verifier
    key readers give to `verify-site --witness`.

    \b
    Example:
      storylog witness keygen witness.example/w1 witness.key
    """
    import os

    from storylog.errors import RefusedInput
    from storylog.transparency.cosignature import Cosigner

    cosigner = Cosigner.generate(name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise RefusedInput(f"cannot create {path}: {error.strerror}; storylog will not "
                           "overwrite a key") from None
    with os.fdopen(fd, "w") as out:
        out.write(cosigner.skey + "\n")
    click.echo(cosigner.verifier().vkey)


@witness.command("cosign")
@click.argument("where", metavar="DIR|URL")
@click.option("--key", "key_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The witness's secret key (`storylog witness keygen`).")
@click.option("--state", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The witness's memory: the last checkpoint cosigned per log (JSON).")
@click.option("--log-key", "log_keys", multiple=True, required=True, metavar="KEY",
              help="The verifier key of a log this witness follows; repeat for several.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the cosigned checkpoint here (default: stdout), for the newsroom's "
                   "`export --cosigned`.")
def witness_cosign(where: str, key_path: Path, state: Path, log_keys: tuple[str, ...],
                   out: Path | None) -> None:
    """Cosign the checkpoint a site publishes, if it extends the last one this witness
    cosigned for that log: refuses a split view (same size, another root), a rollback
    (a smaller tree) and an inconsistent tree (exit 4 or 5), and keeps the new
    checkpoint in --state first.

    \b
    Example:
      storylog witness cosign https://news.example/live/ --key witness.key \\
        --state witness.json --log-key 'news.example/live+1a2b3c4d+AX...' --out cosigned
    """
    from storylog.errors import RefusedInput, VerificationFailed
    from storylog.transparency.checkpoint import Checkpoint
    from storylog.transparency.cosignature import Cosigner, OldSizeMismatch, Witness
    from storylog.transparency.notes import parse, parse_verifier_key
    from storylog.transparency.proofs import ConsistencyProof

    try:
        cosigner = Cosigner.from_skey(_read(key_path).strip())
        assert isinstance(cosigner, Cosigner)
    except RefusedInput as error:
        raise RefusedInput(f"{key_path}: {error}") from None
    keys = [parse_verifier_key(_key_text(k)) for k in log_keys]
    logs: dict[str, list[Any]] = {}
    for k in keys:
        logs.setdefault(k.name, []).append(k)
    try:
        follower = Witness(cosigner, logs, state_path=state)
    except (ValueError, KeyError) as error:
        raise RefusedInput(f"{state} is not a witness state file: {error}") from None
    site = _site(where)
    try:
        raw = site.get(WELL_KNOWN + "checkpoint")
    except OSError as error:
        raise RefusedInput(f"cannot read the site: {error}") from None
    if raw is None:
        raise VerificationFailed(f"{where} publishes no checkpoint ({WELL_KNOWN}checkpoint)")
    note = raw.decode("utf-8", "replace")
    checkpoint = Checkpoint.parse(parse(note).text)
    seen = follower.latest(checkpoint.origin)
    old = seen.size if seen else 0
    proof: tuple[bytes, ...] = ()
    if 0 < old < checkpoint.size:
        data = site.get(f"{WELL_KNOWN}consistency/{old}")
        if data is None:
            raise VerificationFailed(f"{where} proves no consistency from the {old} records "
                                     "this witness cosigned last")
        proof = ConsistencyProof.parse(data.decode("utf-8", "replace")).hashes
    try:
        lines = follower.add_checkpoint(note, old, proof)
    except OldSizeMismatch as error:  # pragma: no cover - old is read from the state
        raise VerificationFailed(str(error)) from None
    cosigned = note + lines
    if out is not None:
        out.write_text(cosigned, encoding="utf-8")
        say(f"cosigned {checkpoint.origin} at {checkpoint.size} records; wrote {out}")
    else:
        click.echo(cosigned, nl=False)


COMMANDS = (verify_site, witness)
