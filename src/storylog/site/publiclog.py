"""The public log in the store and on the site (issue 15).

Each published version becomes one public record (``transparency.record``), built from
the site's public model (``site.public_view``: confidential sources, reasons, editors,
unpublished changes and taken-down text are already gone), so nothing internal can
enter it. Records are appended to the store's public log (``store.public_log``) in the store's
append order (the notification id of each ``VersionPublished``, across every story) and
never change; their hashes are the leaves of one RFC 6962 tree. Every signed tree head is
kept too (witnesses' cosignatures appended beside it), so a later export proves
consistency with each of them.

Salts are derived, never stored: from the update's own content key (the one that seals
its text in the event store) through HMAC, so readers cannot derive them, a re-export
reproduces the same bytes, and erasing an update (destroying its key) destroys its salts
too. A view that shows nothing secret (a removal notice, erased content) is committed
with a public salt: there is nothing to hide in it.

The site's files (``.well-known/storylog/``):

    checkpoint                 the latest C2SP signed checkpoint (+ witness cosignatures)
    key.vkey                   the newsroom's note verifier key
    checkpoints/<size>         every checkpoint ever published, by tree size
    consistency/<size>         from each earlier checkpoint to the latest (tlog-witness body)
    records/<slug>/v<N>.json   the public record of each published version
    proofs/<slug>/v<N>.tlog-proof   its inclusion proof (c2sp.org/tlog-proof)
    standalone_verify.py       the single-file verifier
    manifest                   a signed note listing the SHA-256 of every other file

and ``how-to-check.html`` at the site's root: what a check proves and what it does not.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from storylog.errors import RefusedInput, VerificationFailed
from storylog.store import public_log
from storylog.store.readmodel.questions import ReadStore
from storylog.store.sql import Sql
from storylog.transparency import record as rec
from storylog.transparency.checkpoint import Checkpoint, open_checkpoint
from storylog.transparency.merkle import Tree
from storylog.transparency.notes import Signer, parse, sign
from storylog.transparency.proofs import ConsistencyProof, InclusionProof

WELL_KNOWN = ".well-known/storylog"
READERS_PAGE = "how-to-check.html"
MANIFEST_HEADER = "storylog.site-manifest.v1"
SALT_CONTEXT = b"storylog.public-log.salt.v1"
PUBLIC_SALT_CONTEXT = b"storylog.public-log.public-salt.v1"

# -- the views readers see, as the record commits them ----------------------------------


def update_view(u: Mapping[str, Any]) -> rec.UpdateView:
    """What a page shows of one update (``public_view.Collector.update``'s dict)."""
    stamp = u["stamp"]["full"]
    if u.get("taken_down"):
        taken = u["taken_down"]
        return rec.UpdateView(id=u["id"], stamp=stamp, key_event=False, status=None, body=None,
                              sources=(), media=(), notes=(), retraction=None,
                              removed=rec.Removal(grounds=taken["grounds"],
                                                  at=taken["at"]["iso"]))
    retraction = u.get("retraction")
    return rec.UpdateView(
        id=u["id"], stamp=stamp, key_event=bool(u["key_event"]), status=u["status"],
        body=None if u["erased"] else "\n".join(u["paragraphs"]),
        sources=tuple(rec.SourceView(name=s["name"], kind=s["kind"], via=s["via"],
                                     url=s["url"]) for s in u["sources"]),
        media=tuple(rec.MediaView(type=m["type"], url=m.get("url"), caption=m.get("caption"),
                                  credit=m.get("credit"), label=m.get("label"))
                    for m in u["media"]),
        notes=tuple(public_note(n) for n in u["notes"]),
        retraction=rec.Retraction(note=retraction["note"], at=retraction["at"]["iso"])
        if retraction else None,
        removed=None)


def public_note(n: Mapping[str, Any]) -> rec.PublicNote:
    return rec.PublicNote(kind=n["kind"], note=n["note"], at=n["at"]["iso"],
                          target=n.get("target"))


def secret_view(view: rec.UpdateView) -> bool:
    """Whether a view holds anything a salt must hide (content, not just a notice)."""
    return view.removed is None and view.body is not None


class Salts:
    """Salts from the update keys (``KeyStore``): HMAC of the place under a key derived
    from the update's content key; a public salt for views that hide nothing."""

    def __init__(self, keys: Any, story_id: str):
        self.keys = keys
        self.story_id = story_id

    def salt(self, slug: str, version: int, view: rec.UpdateView) -> bytes | None:
        """The salt, or None when the update's key is gone (erased)."""
        if not secret_view(view):
            return hashlib.sha256(PUBLIC_SALT_CONTEXT + rec.canonical(
                [slug, version, view.id])).digest()
        from storylog.store.sealing import key_id

        key = self.keys.get(key_id(self.story_id, view.id))
        if key is None:
            return None
        secret = hmac.new(key, SALT_CONTEXT, hashlib.sha256).digest()
        return rec.derive_salt(secret, slug, version, view.id)


# -- the store's log ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    seq: int
    story: str
    version: int
    leaf: bytes
    record: rec.PublicRecord


class PublicLog:
    """The records and signed tree heads kept in the events database
    (``store.public_log``)."""

    def __init__(self, sql: Sql):
        self.sql = sql
        public_log.ensure(sql)

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for seq, story, version, leaf_hex, text in public_log.records(self.sql):
            record = rec.PublicRecord.model_validate_json(text)
            leaf = bytes.fromhex(leaf_hex)
            if rec.record_leaf(record) != leaf or seq != len(out) + 1:
                raise VerificationFailed(f"the public log's entry {seq} "
                                         f"({story} v{version}) was altered")
            out.append(Entry(seq, story, version, leaf, record))
        return out

    def append(self, records: list[rec.PublicRecord], start: int) -> None:
        public_log.append(self.sql, [
            (start + i, r.story, r.version, rec.record_hash(r),
             rec.record_bytes(r).decode("utf-8")) for i, r in enumerate(records)])

    def heads(self) -> list[tuple[int, bytes, str]]:
        return [(size, bytes.fromhex(root), note)
                for size, root, note in public_log.heads(self.sql)]

    def add_head(self, size: int, root: bytes, note: str) -> None:
        public_log.add_head(self.sql, size, root.hex(), note)

    def add_cosignatures(self, size: int, lines: list[str]) -> None:
        public_log.add_cosignatures(self.sql, size, lines)


def published_order(sql: Sql) -> list[tuple[str, str, int]]:
    """(story id, slug, version) of every published version, in the store's append order."""
    return [(str(r["story_id"]), str(r["slug"]), int(r["version"]))
            for r in ReadStore(sql).published_in_append_order()]


def build_record(model: Mapping[str, Any], page: Mapping[str, Any], keys: Any,
                 previous: rec.PublicRecord | None) -> rec.PublishedRecord:
    slug, n = model["slug"], page["number"]
    salts = Salts(keys, model["story_id"])
    pairs = []
    for u in page["updates"]:
        view = update_view(u)
        salt = salts.salt(slug, n, view)
        if salt is None:
            raise VerificationFailed(f"{slug} v{n}: update {view.id} shows content whose "
                                     "key is gone; run `storylog verify`")
        pairs.append((view, salt))
    return rec.publish(
        story=slug, version=n, published_at=page["published"]["iso"],
        headline=page["headline"], standfirst=page["standfirst"] or None,
        note=page["note"] or None,
        notes=[public_note(x) for x in page["headline_notes"]], updates=pairs,
        previous=previous, chain_head=page["head"], chain_position=page["event"])


def sync(log: PublicLog, sql: Sql, keys: Any, models: dict[str, dict[str, Any]],
         collect_model: Any) -> list[Entry]:
    """Append a record for every published version not in the log yet, in append order.

    ``models`` are the site models already collected (by slug); ``collect_model(slug)``
    collects another story's when one of its versions is missing."""
    entries = log.entries()
    logged = {(e.story, e.version): e.record for e in entries}
    new: list[rec.PublicRecord] = []
    for _, slug, version in published_order(sql):
        if (slug, version) in logged:
            continue
        model = models.get(slug)
        if model is None:
            model = models[slug] = collect_model(slug)
        page = model["pages"][version - 1]
        previous = logged.get((slug, version - 1))
        if version > 1 and previous is None:
            raise VerificationFailed(f"{slug} v{version - 1} is missing from the public log")
        made = build_record(model, page, keys, previous).record
        logged[(slug, version)] = made
        new.append(made)
    if new:
        log.append(new, len(entries) + 1)
        entries = log.entries()
    return entries


def openings(model: Mapping[str, Any], page: Mapping[str, Any], committed: rec.PublicRecord,
             keys: Any) -> rec.PublishedRecord:
    """The record as the site publishes it today: every update whose view today is the
    one committed is opened; any other (taken down, erased, a source since made
    confidential) shows the notice of its withdrawal instead."""
    slug, n = model["slug"], page["number"]
    salts = Salts(keys, model["story_id"])
    by_id = {u["id"]: u for u in page["updates"]}
    opened: list[rec.Opening] = []
    for c in committed.updates:
        u = by_id.get(c.id)
        view = update_view(u) if u is not None else None
        salt = salts.salt(slug, n, view) if view is not None else None
        if view is not None and salt is not None and rec.commitment(salt, view) == c.hash:
            opened.append(rec.Opening(id=c.id, salt=salt.hex(), view=view, withdrawn=None))
            continue
        taken = u.get("taken_down") if u else None
        if taken:
            grounds, at = taken["grounds"], taken["at"]["iso"]
        else:  # shown otherwise today: a source of it was since made confidential
            grounds, at = "source-safety", model["latest"]["published"]["iso"]
        erased = salts.keys.get(_key(model, c.id)) is None
        opened.append(rec.Opening(id=c.id, salt=None, view=None, withdrawn=rec.Withdrawal(
            reason="erased" if erased else "taken-down", grounds=grounds, at=at)))
    published = rec.PublishedRecord(record=committed, hash=rec.record_hash(committed),
                                    openings=tuple(opened))
    rec.check(published)
    return published


def _key(model: Mapping[str, Any], update_id: str) -> str:
    from storylog.store.sealing import key_id

    return key_id(model["story_id"], update_id)


# -- checkpoints -------------------------------------------------------------------------


def origin_for(base_url: str | None, given: str | None, heads: list[tuple[int, bytes, str]]
               ) -> str:
    """The log's origin: fixed by its first checkpoint; else --origin; else the site's
    address without its scheme."""
    if heads:
        origin = Checkpoint.parse(parse(heads[0][2]).text).origin
        if given and given != origin:
            raise RefusedInput(f"this store's public log is {origin!r}; it cannot become "
                               f"{given!r} (a log keeps its origin for ever)")
        return origin
    if given:
        return given
    if base_url:
        return base_url.split("://", 1)[1].rstrip("/")
    raise RefusedInput("the public log needs a name: give --origin (e.g. news.example/live) "
                       "or --base-url")


def signed_heads(log: PublicLog, tree: Tree, signer: Signer) -> list[tuple[int, bytes, str]]:
    """Every signed tree head, a new one for the current tree if it grew."""
    heads = log.heads()
    for size, root, note in heads:
        if size > tree.size or tree.root(size) != root:
            raise VerificationFailed(f"the public log no longer has the tree of {size} "
                                     "records it signed: its entries were altered")
        open_checkpoint(note, [signer.verifier()], signer.name)
    if not heads or heads[-1][0] != tree.size:
        note = Checkpoint(signer.name, tree.size, tree.root()).sign(signer)
        log.add_head(tree.size, tree.root(), note)
        heads = log.heads()
    return heads


def add_cosignatures(log: PublicLog, signer: Signer, cosigned: str) -> None:
    """Keep the witnesses' cosignatures (the note a witness returned) on the signed tree
    head they cosign, whichever it is."""
    try:
        text = parse(cosigned).text
    except VerificationFailed as error:
        raise RefusedInput(f"--cosigned is not a signed checkpoint: {error}") from None
    found = [(size, note) for size, _, note in log.heads() if parse(note).text == text]
    if not found:
        raise RefusedInput("the cosigned checkpoint is not one this store signed; give the "
                           "file `storylog witness cosign` wrote for this site")
    open_checkpoint(cosigned, [signer.verifier()], signer.name)
    size, note = found[0]
    have = {(s.name, s.key_id) for s in parse(note).unverified}
    extra = [s for s in parse(cosigned).unverified if (s.name, s.key_id) not in have]
    log.add_cosignatures(size, [s.line() for s in extra])


# -- the site's files ----------------------------------------------------------------------


@dataclass
class SiteLog:
    """What the pages need to name their records, and the well-known folder's files."""

    origin: str
    size: int
    files: dict[str, bytes] = field(default_factory=dict)
    # (slug, version) -> {"path": site-relative path, "hash": hex, "index": int}
    records: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    vkey: str = ""

    def page_record(self, slug: str, version: int) -> dict[str, Any] | None:
        return self.records.get((slug, version))


def well_known_files(log: PublicLog, entries: list[Entry], heads: list[tuple[int, bytes, str]],
                     signer: Signer, models: Mapping[str, Mapping[str, Any]], keys: Any
                     ) -> SiteLog:
    tree = Tree(e.leaf for e in entries)
    size, _, note = heads[-1]
    site = SiteLog(origin=signer.name, size=size, vkey=signer.verifier().vkey)
    files = site.files
    files[f"{WELL_KNOWN}/checkpoint"] = note.encode()
    files[f"{WELL_KNOWN}/key.vkey"] = (site.vkey + "\n").encode()
    for old, _, old_note in heads:
        files[f"{WELL_KNOWN}/checkpoints/{old}"] = old_note.encode()
        if 0 < old < size:
            proof = ConsistencyProof(old, tuple(tree.consistency_proof(old, size)), note)
            files[f"{WELL_KNOWN}/consistency/{old}"] = proof.format().encode()
    for e in entries:
        model = models.get(e.story)
        if model is None:
            continue
        page = model["pages"][e.version - 1]
        published = openings(model, page, e.record, keys)
        path = f"{WELL_KNOWN}/records/{e.story}/v{e.version}.json"
        files[path] = rec.dumps(published)
        inclusion = InclusionProof(e.seq - 1, tuple(tree.inclusion_proof(e.seq - 1, size)),
                                   note)
        files[f"{WELL_KNOWN}/proofs/{e.story}/v{e.version}.tlog-proof"] = \
            inclusion.format().encode()
        site.records[(e.story, e.version)] = {"path": path, "hash": published.hash,
                                              "index": e.seq - 1}
    files[f"{WELL_KNOWN}/standalone_verify.py"] = standalone_verifier()
    return site


def standalone_verifier() -> bytes:
    return resources.files("storylog.transparency").joinpath("standalone_verify.py").read_bytes()


def manifest(files: Mapping[str, bytes], origin: str, size: int, signer: Signer) -> bytes:
    """A signed note naming the SHA-256 of every file of the site: any byte changed, any
    page removed, is caught by it (the records tie the pages' content to the log)."""
    lines = [MANIFEST_HEADER, origin, str(size)]
    lines += [f"{hashlib.sha256(data).hexdigest()} {path}" for path, data in sorted(files.items())]
    return sign("\n".join(lines) + "\n", signer).encode()


def load_signer(path: Path, origin: str) -> Signer:
    from storylog.store.checkpoints import load_private

    return Signer(origin, load_private(path))


def iter_slugs(models: Mapping[str, Any]) -> Iterable[str]:
    return sorted(models)


# -- the whole site, with its public log ---------------------------------------------------


def site_files(app: Any, slug: str | None, options: Any, key_path: Path,
               origin: str | None = None, cosigned: str | None = None
               ) -> tuple[dict[str, bytes], list[str], SiteLog]:
    """The site of one story (``slug``) or of every published story (None), with its
    public log: records appended for new versions, a checkpoint signed if the tree grew,
    the well-known folder, the readers' page and the signed manifest."""
    from storylog.projections.queries import Views
    from storylog.projections.timeline import PublicIdentities
    from storylog.site.pages import render_site, render_sites
    from storylog.site.public_view import collect

    views = Views(app)
    identities = PublicIdentities(views)
    published = [s for s in views.slugs() if views.versions(s)]
    exported = [slug] if slug is not None else published
    skipped = [s for s in views.slugs() if slug is None and s not in exported]
    models = {s: collect(views, s, options, identities) for s in exported}
    log = PublicLog(app.sql)
    heads = log.heads()
    signer = load_signer(key_path, origin_for(options.base_url, origin, heads))
    everything = dict(models)
    entries = sync(log, app.sql, app.keys, everything,
                   lambda s: collect(views, s, options, identities))
    tree = Tree(e.leaf for e in entries)
    if cosigned is not None:
        add_cosignatures(log, signer, cosigned)
    heads = signed_heads(log, tree, signer)
    site_log = well_known_files(log, entries, heads, signer, models, app.keys)
    if slug is not None:
        files = render_site(views, slug, options, model=models[slug], log=site_log)
    else:
        files, _ = render_sites(views, exported, options, models=models, log=site_log)
    files.update(site_log.files)
    files[READERS_PAGE] = readers_page(site_log).encode("utf-8")
    files[f"{WELL_KNOWN}/manifest"] = manifest(files, site_log.origin, site_log.size, signer)
    return dict(sorted(files.items())), skipped, site_log


def readers_page(site_log: SiteLog) -> str:
    from markupsafe import escape

    from storylog.site.pages import CSP, STYLESHEET

    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>How to check this site</title>
<link rel="stylesheet" href="{STYLESHEET}">
</head>
<body>
<main>
<h1>How to check this site</h1>
<p>Every version of every story on this site has a <strong>public record</strong>: what readers
were shown (headline, standfirst, notes, and a salted fingerprint of each update), chained to
the story's previous version. The records of every story are the entries of one
<strong>public log</strong>, a Merkle tree in the format Certificate Transparency uses, whose
size and root the newsroom signs (the <em>checkpoint</em>). It is in
<code>{WELL_KNOWN}/</code>: the checkpoint, the newsroom's key
(<code>{escape(site_log.vkey)}</code>), the records, a proof for each that it is in the log,
proofs that the log only ever grew, and a signed list of the fingerprints of every file.</p>

<h2>Checking</h2>
<ol>
<li>Save this site (or give its address) and run the checker that comes with it:
<pre>python3 {WELL_KNOWN}/standalone_verify.py site SITE-FOLDER-OR-ADDRESS --key KEY</pre>
It needs only Python and the <code>cryptography</code> package (<code>pip install
cryptography</code>); or, with storylog installed, <code>storylog verify-site
SITE-FOLDER-OR-ADDRESS --pubkey KEY</code>.</li>
<li>Keep the file <code>{WELL_KNOWN}/checkpoint</code>. Next time, add
<code>--since SAVED-CHECKPOINT</code>: the check then proves that the log you see extends the
one you saved, so no version published before has been changed, removed or reordered since.</li>
<li>If organisations you trust witness this log, add <code>--witness THEIR-KEY</code>: the check
then requires their cosignature, their statement that they saw this log and no conflicting
one.</li>
</ol>

<h2>What a check proves</h2>
<ul>
<li>The checkpoint is signed by the key you gave, and every file of the site is the one the
newsroom signed.</li>
<li>Each version page shows what its record says was published, and each record is in the
signed log; a story's records are versions 1, 2, 3... each naming the one before.</li>
<li>With a saved checkpoint: nothing that was in the log then has been changed, removed or
reordered, even if the newsroom re-signed a rewritten log with its own key.</li>
<li>With a witness's key: someone outside the newsroom saw this log and no conflicting one.</li>
</ul>

<h2>What it does not prove</h2>
<ul>
<li>That what was published is true, complete or fair: only what was published, and when the
newsroom says it was.</li>
<li>Anything about drafts never published: only published versions enter the log.</li>
<li>That the key is the newsroom's: learn it from somewhere other than this site too.</li>
<li>Without a saved checkpoint or a witness, a newsroom that rewrote its whole log and signed
it again would show you a consistent, false past. Saving the checkpoint is what makes a
rewrite visible.</li>
<li>What a removed update said: only that something was there, when, and on what grounds it
was removed ("removed on legal grounds, 2024-11-06").</li>
</ul>
</main>
</body>
</html>
"""
