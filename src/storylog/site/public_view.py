"""What the public site shows, gathered from the read models: published versions only.

Everything here is built from ``Views.view(slug, version=N)`` and ``version_diff``
between consecutive published versions, never from the working copy, and every
internal field is left behind on the way: reasons, review notes, overrides,
editors' names (unless the newsroom opts in), confidential sources (a name marked
confidential in any story is dropped everywhere, and never tied to another name by
a merge), and whatever a
takedown removed (only its notice remains). The result is plain dicts and lists,
ready for the templates; nothing in it is escaped yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storylog.errors import RefusedInput
from storylog.projections.diff import version_diff
from storylog.projections.queries import Views
from storylog.projections.timeline import PublicIdentities
from storylog.site.safe import file_name, safe_url

NOTE_TITLES = {
    "clarification": "Clarification",
    "correction": "Correction",
    "editors-note": "Editor's note",
    "update": "Update",
    "copy-edit": "Note",
    "retraction": "Withdrawn",
}
STATUS_TEXT = {
    "unverified": "Not yet verified",
    "verified": "Verified",
    "disputed": "Disputed",
    "denied": "Denied",
    "false": "False",
}
KIND_TEXT = {
    "outlet": "outlet", "person": "person", "official": "official", "analyst": "analyst",
    "osint": "open-source investigators", "social-media": "social media",
    "anonymous": "unnamed source", "agency": "news agency", "other": "source",
}
REMOVED_BECAUSE = {
    "legal": "on legal grounds",
    "source-safety": "to protect a source",
    "court-order": "under a court order",
    "privacy": "on privacy grounds",
    "other": "",
}
# A source's page shows each update citing it; of that update's other sources it lists
# at most this many (and links to the rest), so that the site stays linear in the
# number of sources even when one update cites thousands.
SOURCES_ON_A_SOURCE_PAGE = 12
RTL_LANGUAGES = {"ar", "arc", "dv", "fa", "ha", "he", "khw", "ks", "ku", "ps", "sd", "ur", "yi"}


@dataclass(frozen=True)
class SiteOptions:
    """Choices of the newsroom for its public site.

    ``show_editors``: name who published each version and who withdrew an update
    (editors' identities are internal unless the newsroom opts in).
    ``base_url``: the absolute http(s) address the site will be served from; used
    for canonical links and absolute addresses in the feed and JSON-LD.
    ``publisher``: the newsroom's name, for the feed's author and JSON-LD.
    ``checkpoint``: show the latest signed checkpoint in the footers.
    """

    show_editors: bool = False
    base_url: str | None = None
    publisher: str | None = None
    checkpoint: bool = True

    def __post_init__(self) -> None:
        if self.base_url is not None and safe_url(self.base_url) is None:
            raise RefusedInput(f"--base-url {self.base_url!r} must be an http:// or https:// "
                               "address")


class Clock:
    """Times as the site shows them: stamps in the newsroom's zone, recorded times in
    UTC for machines and in the newsroom's zone for people."""

    def __init__(self, tz: str):
        self.zone = ZoneInfo(tz)

    def stamp(self, stamp: str) -> dict[str, str]:
        local = datetime.fromisoformat(stamp).replace(tzinfo=self.zone)
        return {"iso": local.isoformat(timespec="minutes"),
                "full": local.isoformat(timespec="seconds"),
                "text": f"{local:%Y-%m-%d %H:%M} {local.tzname()}"}

    def moment(self, recorded: str) -> dict[str, str]:
        utc = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
        if utc.tzinfo is None:
            utc = utc.replace(tzinfo=UTC)
        local = utc.astimezone(self.zone)
        return {"iso": utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "full": utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "text": f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
                "date": f"{local:%Y-%m-%d}"}


class Sources:
    """Public identities of a story's sources (``PublicIdentities``: confidential names
    dropped, merges applied unless they would tie a name to a confidential one).

    A name marked confidential in any revision of any story (published or not) is
    treated as confidential everywhere: it never appears, not even as another
    source's "via".
    """

    def __init__(self, identities: PublicIdentities):
        self.identities = identities

    def public(self, s: dict[str, Any]) -> dict[str, Any] | None:
        ids = self.identities
        if s.get("confidential") or ids.is_secret(s["name"]):
            return None
        via = s.get("via")
        if via and ids.is_secret(via):
            via = None
        key = ids.key(s["name"])
        via_key = ids.key(via) if via else None
        kind = str(s.get("kind") or "other")
        return {
            "name": s["name"], "key": key, "href": source_href(key),
            "kind": kind, "kind_text": KIND_TEXT.get(kind, kind),
            "via": via, "via_key": via_key,
            "via_href": source_href(via_key) if via_key else None,
            "url": safe_url(s.get("url")),
        }

    def display_name(self, key: str, first_cited: str) -> str:
        return self.identities.display_name(key, first_cited)

    def kind_of(self, key: str, name: str) -> str:
        return self.identities.kind_of(key, name)


def source_href(key: str) -> str:
    return f"sources/{file_name(key)}.html"


def removed_text(grounds: str) -> str:
    return REMOVED_BECAUSE.get(grounds, f"on {grounds} grounds")


class Collector:
    """Builds the site's model of one story."""

    def __init__(self, views: Views, slug: str, options: SiteOptions,
                 identities: PublicIdentities | None = None):
        self.views = views
        self.slug = slug
        self.options = options
        self.story = views.story(slug)
        self.sid = str(self.story["story_id"])
        self.clock = Clock(self.story["tz"])
        self.sources = Sources(identities or PublicIdentities(views))
        self.versions = views.versions(slug)
        if not self.versions:
            raise RefusedInput(f"{slug} has no published version yet; the site shows only "
                               "published versions: run `storylog publish` first")

    # -- one update, as readers may see it -----------------------------------------

    def update(self, u: dict[str, Any]) -> dict[str, Any]:
        base: dict[str, Any] = {"id": u["id"], "stamp": self.clock.stamp(u["stamp"]),
                                "anchor": f"u-{u['id']}"}
        if u.get("taken_down"):
            taken = u["taken_down"]
            return {**base, "taken_down": {"grounds": taken["grounds"],
                                           "because": removed_text(taken["grounds"]),
                                           "at": self.clock.moment(taken["at"])},
                    "key_event": False, "status": None, "status_text": None,
                    "paragraphs": [], "sources": [], "media": [], "notes": [],
                    "retracted": False, "retraction": None, "erased": True}
        body = u["body"]
        retraction = None
        if u["retracted"] and u["retraction"]:
            retraction = {"note": u["retraction"]["note"],
                          "at": self.clock.moment(u["retraction"]["at"]),
                          "by": u["retraction"].get("by") if self.options.show_editors else None}
        return {
            **base, "taken_down": None, "key_event": bool(u["key_event"]),
            "status": u["status"], "status_text": STATUS_TEXT.get(u["status"], u["status"]),
            "revision": u["revision"], "erased": body is None,
            "paragraphs": paragraphs(body),
            "sources": self.public_sources(u["sources"]),
            "media": [m for m in (public_media(m) for m in u["media"]) if m],
            "notes": [self.note(n, u["id"]) for n in u["notes"]],
            "retracted": bool(u["retracted"]), "retraction": retraction,
        }

    def public_sources(self, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [p for p in (self.sources.public(s) for s in sources or []) if p]

    def note(self, n: dict[str, Any], update_id: str | None, stamp: Any = None) -> dict[str, Any]:
        return {"kind": n["kind"], "title": NOTE_TITLES.get(n["kind"], "Note"), "note": n["note"],
                "at": self.clock.moment(n["at"]), "update": update_id,
                "anchor": f"u-{update_id}" if update_id else "top", "stamp": stamp,
                "target": n.get("target")}

    # -- notes on the headline and standfirst ----------------------------------------

    def detail_notes(self, low: int, high: int) -> list[dict[str, Any]]:
        notes = []
        for r in self.views.store.detail_notes(self.sid, low, high):
            if not r["note"]:
                continue
            fields = [f for f in ("headline", "standfirst") if r[f] is not None]
            target = " and ".join(fields) or "story"
            notes.append(self.note({"kind": r["kind"] or "update", "note": r["note"],
                                    "at": r["recorded_at"], "target": target}, None))
        return notes

    # -- the whole story ----------------------------------------------------------------

    def collect(self) -> dict[str, Any]:
        pages = []
        diffs = []
        previous_position = 0
        for v in self.versions:
            n = v["version"]
            view = self.views.view(self.slug, version=n)
            updates = [self.update(u) for u in view["updates"]]
            diff = self.diff(version_diff(self.views, self.slug, n - 1, n), previous_position,
                             v["position"])
            diffs.append(diff)
            pages.append({
                "number": n, "published": self.clock.moment(v["recorded_at"]),
                "note": v["note"], "by": v["editor"] if self.options.show_editors else None,
                "head": v["head"], "event": v["position"] - 1, "position": v["position"],
                "headline": view["headline"], "standfirst": view["standfirst"],
                "headline_notes": self.detail_notes(0, v["position"]),
                "updates": updates,
            })
            previous_position = v["position"]
        for page in pages:
            page["notes"] = story_notes(page)
            page["key_events"] = [u for u in page["updates"] if u["key_event"]]
            page["cited"] = cited_sources(page["updates"])
        latest = pages[-1]
        site = {
            "slug": self.slug, "story_id": self.sid, "lang": self.story["lang"],
            "dir": "rtl" if self.story["lang"].split("-")[0] in RTL_LANGUAGES else "ltr",
            "tz": self.story["tz"], "headline": latest["headline"],
            "standfirst": latest["standfirst"], "latest": latest, "pages": pages,
            "diffs": diffs, "first_published": pages[0]["published"],
            "takedowns": [u for u in latest["updates"] if u["taken_down"]],
            "show_editors": self.options.show_editors,
        }
        site["sources"] = self.source_pages(pages)
        site["updated_versions"] = last_changed_in(pages)
        return site

    # -- one version's changes ------------------------------------------------------------

    def diff(self, d: dict[str, Any], low: int, high: int) -> dict[str, Any]:
        n = d["to"]["version"]
        edited = [e for e in (self.edit(e) for e in d["edited"]) if e]
        stamps = {u["id"]: u["stamp"] for key in ("added", "retracted", "edited")
                  for u in d[key]}
        notes = [self.note(x, x["update"], self.clock.stamp(stamps[x["update"]])
                           if x["update"] in stamps else None) for x in d["notes"]]
        notes += self.detail_notes(low, high)
        notes.sort(key=lambda x: (x["at"]["iso"], x["update"] or ""))
        result = {
            "number": n, "from": d["from"]["version"],
            "from_published": self.clock.moment(d["from"]["published_at"])
            if d["from"]["published_at"] else None,
            "published": self.clock.moment(d["to"]["published_at"]),
            "head": d["to"]["head"], "event": d["to"]["position"] - 1,
            # The first version's headline is not a change: it is shown, not diffed.
            "headline": d["headline"] if d["from"]["version"] else None,
            "standfirst": d["standfirst"] if d["from"]["version"] else None,
            "added": [self.update(u) for u in d["added"]],
            "retracted": [{"id": r["id"], "anchor": f"u-{r['id']}",
                           "stamp": self.clock.stamp(r["stamp"]), "notice": r["notice"],
                           "paragraphs": paragraphs(r["body"]),
                           "at": self.clock.moment(r["at"])} for r in d["retracted"]],
            "taken_down": [{"id": t["id"], "anchor": f"u-{t['id']}",
                            "stamp": self.clock.stamp(t["stamp"]),
                            "because": removed_text(t["grounds"]),
                            "at": self.clock.moment(t["at"])} for t in d["taken_down"]],
            "edited": edited, "notes": notes,
        }
        result["summary"] = {
            "added": len(result["added"]), "edited": len(edited),
            # An update added and withdrawn between two versions counts as both.
            "retracted": len(result["retracted"])
            + sum(1 for u in result["added"] if u["retracted"]),
            "notes": len(notes), "taken_down": len(result["taken_down"]),
            "details": [f for f in ("headline", "standfirst") if result[f]],
        }
        result["summary_text"] = summary_text(result["summary"])
        return result

    def edit(self, e: dict[str, Any]) -> dict[str, Any] | None:
        c = e["changes"]
        out: dict[str, Any] = {"id": e["id"], "anchor": f"u-{e['id']}",
                               "stamp": self.clock.stamp(e["stamp"])}
        changes: dict[str, Any] = dict.fromkeys(
            ("body", "status", "stamp", "key_event", "sources", "media"))
        if "body" in c:
            changes["body"] = diff_paragraphs(c["body"])
        if "status" in c:
            changes["status"] = {k: STATUS_TEXT.get(c["status"][k], c["status"][k])
                                 for k in ("from", "to")}
        if "stamp" in c:
            changes["stamp"] = {k: self.clock.stamp(c["stamp"][k]) for k in ("from", "to")}
        if "key_event" in c:
            changes["key_event"] = {k: bool(c["key_event"][k]) for k in ("from", "to")}
        if "sources" in c:
            sources = {k: self.public_sources(c["sources"][k])
                       for k in ("added", "removed", "changed")}
            if any(sources.values()):
                changes["sources"] = sources
        if "media" in c:
            media = {k: [m for m in (public_media(m) for m in c["media"][k]) if m]
                     for k in ("from", "to")}
            if media["from"] != media["to"]:
                changes["media"] = media
        if not any(v is not None for v in changes.values()):
            return None  # only confidential details changed: nothing readers may see
        out["changes"] = changes
        return out

    # -- sources and their timelines --------------------------------------------------------

    def source_pages(self, pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        latest = {u["id"]: u for u in pages[-1]["updates"]}
        found: dict[str, dict[str, Any]] = {}
        for page in pages:
            for u in page["updates"]:
                for s in u["sources"]:
                    self._cite(found, s["key"], s["name"], u, page["number"], "direct", s)
                    if s["via"]:
                        self._cite(found, s["via_key"], s["via"], u, page["number"], "via", s)
        result: list[dict[str, Any]] = []
        filed: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for key, info in found.items():
            name = self.sources.display_name(key, info["first"])
            entries = []
            for uid, cite in info["updates"].items():
                u = latest[uid]
                entries.append({
                    "item": with_few_sources(u, key, filed), "versions": cite["versions"],
                    "first_version": cite["versions"][0], "last_version": cite["versions"][-1],
                    "still_cited": cite["versions"][-1] == pages[-1]["number"],
                    "as_cited": sorted(cite["as_cited"] - {name}),
                    "roles": sorted(cite["roles"]), "via": sorted(cite["via"]),
                    "statuses": cite["statuses"],
                })
            entries.sort(key=lambda e: (e["item"]["stamp"]["full"], e["item"]["id"]))
            urls = [u for u in info["urls"] if u]
            result.append({
                "key": key, "href": source_href(key), "name": name,
                "kind": info["kind"] or self.sources.kind_of(key, name),
                "url": urls[-1] if urls else None, "entries": entries,
                "aliases": sorted(info["names"] - {name}),
            })
        for s in result:
            s["kind_text"] = KIND_TEXT.get(s["kind"], s["kind"])
        result.sort(key=lambda s: (-len(s["entries"]), s["name"].casefold(), s["key"]))
        hrefs = [s["href"] for s in result]
        if len(set(hrefs)) != len(hrefs):  # pragma: no cover - a hash collision
            raise RuntimeError("two sources were given the same file name")
        return result

    @staticmethod
    def _cite(found: dict[str, dict[str, Any]], key: str, name: str, u: dict[str, Any],
              version: int, role: str, s: dict[str, Any]) -> None:
        info = found.setdefault(key, {"first": name, "names": set(), "updates": {},
                                      "kind": None, "urls": []})
        info["names"].add(name)
        if role == "direct":
            info["kind"] = s["kind"] if s["kind"] != "other" or not info["kind"] else info["kind"]
            info["urls"].append(s["url"])
        cite = info["updates"].setdefault(u["id"], {"versions": [], "as_cited": set(),
                                                    "roles": set(), "via": set(),
                                                    "statuses": []})
        if not cite["versions"] or cite["versions"][-1] != version:
            cite["versions"].append(version)
            if not cite["statuses"] or cite["statuses"][-1]["status"] != u["status_text"]:
                cite["statuses"].append({"version": version, "status": u["status_text"]})
        cite["roles"].add(role)
        if role == "via":
            cite["as_cited"].add(s["name"])
            cite["via"].add(s["name"])
        else:
            cite["as_cited"].add(name)


def with_few_sources(u: dict[str, Any], key: str,
                     filed: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """``u`` as a source's page shows it: with all of its sources if they are few, else
    with those filed under ``key`` and the number of the others. ``filed`` keeps each
    long list's sources by key, worked out once per update."""
    if len(u["sources"]) <= SOURCES_ON_A_SOURCE_PAGE:
        return u
    if u["id"] not in filed:
        by_key: dict[str, list[dict[str, Any]]] = {}
        filed[u["id"]] = by_key
        for s in u["sources"]:
            for k in {s["key"], s["via_key"]} - {None}:
                by_key.setdefault(k, []).append(s)
    shown = filed[u["id"]].get(key, [])[:SOURCES_ON_A_SOURCE_PAGE]
    return {**u, "sources": shown, "more_sources": len(u["sources"]) - len(shown)}


def paragraphs(body: str | None) -> list[str]:
    if body is None:
        return []
    return [p.strip() for p in body.split("\n") if p.strip()]


def diff_paragraphs(segments: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    """Word-diff segments split into paragraphs at line breaks."""
    result: list[list[dict[str, str]]] = [[]]
    for s in segments:
        for i, piece in enumerate(s["text"].split("\n")):
            if i:
                result.append([])
            if piece:
                result[-1].append({"op": s["op"], "text": piece})
    return [p for p in result if any(s["text"].strip() for s in p)]


def public_media(m: dict[str, Any]) -> dict[str, Any] | None:
    url = safe_url(m.get("url"))
    if m.get("type") == "picture":
        if not url and not m.get("caption"):
            return None
        return {"type": "picture", "url": url, "caption": m.get("caption"),
                "credit": m.get("credit")}
    if m.get("type") == "link":
        if not url and not m.get("label"):
            return None
        return {"type": "link", "url": url, "label": m.get("label"), "caption": m.get("caption")}
    return None


def story_notes(page: dict[str, Any]) -> list[dict[str, Any]]:
    """Every public note readers of this version can see, newest first."""
    notes = list(page["headline_notes"])
    for u in page["updates"]:
        notes += [{**n, "stamp": u["stamp"]} for n in u["notes"]]
        if u["retraction"]:
            notes.append({"kind": "retraction", "title": NOTE_TITLES["retraction"],
                          "note": u["retraction"]["note"], "at": u["retraction"]["at"],
                          "update": u["id"], "anchor": u["anchor"], "stamp": u["stamp"],
                          "target": None})
    notes.sort(key=lambda n: (n["at"]["iso"], n["update"] or ""), reverse=True)
    return notes


def cited_sources(updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, str]] = {}
    for u in updates:
        for s in u["sources"]:
            seen.setdefault(s["key"], {"name": s["name"], "href": s["href"]})
            if s["via_key"]:
                seen.setdefault(s["via_key"], {"name": s["via"], "href": s["via_href"]})
    return sorted(seen.values(), key=lambda s: (s["name"].casefold(), s["href"]))


def last_changed_in(pages: list[dict[str, Any]]) -> dict[str, int]:
    """For each update of the latest version, the version in which it last changed."""
    changed: dict[str, int] = {}
    seen: dict[str, Any] = {}
    for page in pages:
        for u in page["updates"]:
            state = (u.get("revision"), bool(u["taken_down"]))
            if seen.get(u["id"]) != state:
                seen[u["id"]] = state
                changed[u["id"]] = page["number"]
    return changed


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def summary_text(s: dict[str, Any]) -> str:
    parts = [f"{s['added']} added", f"{s['edited']} edited", f"{s['retracted']} retracted",
             plural(s["notes"], "public note")]
    if s["taken_down"]:
        parts.append(f"{s['taken_down']} removed")
    if s["details"]:
        parts.append(f"{' and '.join(s['details'])} changed")
    return ", ".join(parts)


def collect(views: Views, slug: str, options: SiteOptions | None = None,
            identities: PublicIdentities | None = None) -> dict[str, Any]:
    """The site's model of one story: its published versions, with internal fields gone.

    ``identities``: the sources' public identities, worked out once for many stories."""
    return Collector(views, slug, options or SiteOptions(), identities).collect()
