"""The site's pages from its model: Jinja2 templates with autoescaping, shipped in the
package, one stylesheet, an Atom feed and schema.org JSON-LD.

``render_site(views, slug)`` returns ``{relative path: bytes}``; it is deterministic
(no build time is written anywhere), so a re-export that finds the same bytes can
leave a page untouched, and reference renderings stay stable.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from storylog.projections.queries import Views
from storylog.projections.timeline import PublicIdentities
from storylog.site.public_view import NOTE_TITLES, SiteOptions, collect
from storylog.site.safe import json_script, safe_url, xml_clean

# No script runs on any page: JSON-LD is data, not script, and needs no permission.
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'; style-src 'self'; img-src 'self' https: http: data:")
FEED = "feed.atom"
# Bidirectional classes that can make text, or the text after it, run right to left.
TURNS = frozenset({"R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI", "FSI",
                   "PDI"})
STYLESHEET = "style.css"


def environment(*, autoescape: bool = True) -> Environment:
    """The templates' environment. ``autoescape=False`` exists only so that the tests
    can build a deliberately unsafe page and prove their XSS harness catches it."""
    env = Environment(
        loader=PackageLoader("storylog.site", "templates"), autoescape=autoescape,
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, finalize=_finalize,
    )
    env.filters["short"] = short
    env.filters["bdi"] = bdi
    env.filters["isolate"] = isolate
    env.globals["NOTE_TITLES"] = NOTE_TITLES
    return env


def _finalize(value: Any) -> Any:
    """Every value printed loses the characters XML forbids (the feed must parse)."""
    if isinstance(value, Markup):
        return Markup(xml_clean(str(value)))
    if isinstance(value, str):
        return xml_clean(value)
    return value


@pass_eval_context
def bdi(context: EvalContext, text: str | None) -> Markup:
    """Editor text in HTML, in a ``<bdi>`` element: its direction is its own, and a bidi
    control in it (U+202E ...) ends with it, never reversing the page's text after it."""
    if not text:
        return Markup("")
    return Markup(f"<bdi>{escape(text) if context.autoescape else text}</bdi>")


def isolate(text: str | None) -> str:
    """Editor text where no markup can go (a title, an attribute, the feed's plain text),
    between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, to the same effect, if it
    holds anything that can turn text right to left (plain left-to-right text is left
    as it is, so titles and feeds stay clean for the usual case)."""
    if not text:
        return ""
    if any(unicodedata.bidirectional(c) in TURNS for c in text):
        return f"\u2068{text}\u2069"
    return text


def stylesheet() -> bytes:
    return resources.files("storylog.site").joinpath("static", STYLESHEET).read_bytes()


def short(text: str | None, limit: int = 110) -> str:
    """The first sentence or so of ``text``, at most ``limit`` characters."""
    text = " ".join((text or "").split())
    for end in (". ", "? ", "! "):
        cut = text.find(end)
        if 0 < cut < limit:
            return text[:cut + 1]
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit - 1)
    return text[:cut if cut > limit // 2 else limit - 1].rstrip(" ,;:") + "…"


class Renderer:
    """Renders one story's model into files."""

    def __init__(self, site: dict[str, Any], options: SiteOptions,
                 checkpoint: dict[str, Any] | None, env: Environment,
                 log: Any = None, log_root: str = ""):
        self.site = site
        self.log = log  # publiclog.SiteLog: the public records the pages name
        self.log_root = log_root  # from the story's folder to the site's root
        self.options = options
        self.checkpoint = checkpoint
        self.env = env
        self.ui = Markup("") if site["lang"].split("-")[0] == "en" else Markup(' lang="en"')
        self.files: dict[str, bytes] = {}

    def url(self, path: str) -> str | None:
        """An absolute address for ``path`` when the site's base address is known."""
        base = self.options.base_url
        if not base:
            return None
        return base.rstrip("/") + "/" + path

    def chain(self, page: dict[str, Any]) -> dict[str, Any]:
        return {"version": page["number"], "head": page["head"], "event": page["event"]}

    def page(self, path: str, template: str, *, chain: dict[str, Any], **context: Any) -> None:
        root = "../" * path.count("/")
        record = self.log.page_record(self.site["slug"], chain["version"]) if self.log else None
        html = self.env.get_template(template).render(
            record=record, log_root=self.log_root,
            site=self.site, root=root, csp=CSP, ui=self.ui, chain=chain,
            checkpoint=self.checkpoint, canonical=self.url(path), feed=FEED,
            stylesheet=STYLESHEET, path=path, **context,
        )
        self.files[path] = html.encode("utf-8")

    def render(self) -> dict[str, bytes]:
        site = self.site
        latest = site["latest"]
        latest_chain = self.chain(latest)
        self.page("index.html", "story.html", chain=latest_chain, page=latest, is_latest=True,
                  jsonld=json_script(self.live_blog()))
        for page in site["pages"]:
            self.page(f"v/{page['number']}.html", "story.html", chain=self.chain(page),
                      page=page, is_latest=False, jsonld=None)
        for diff in site["diffs"]:
            self.page(f"diff/{diff['number']}.html", "diff.html", chain=self.chain(diff),
                      diff=diff)
        history = [{**page, "diff": diff} for page, diff in zip(site["pages"], site["diffs"],
                                                                  strict=True)]
        self.page("history.html", "history.html", chain=latest_chain,
                  history=list(reversed(history)))
        self.page("sources/index.html", "sources.html", chain=latest_chain)
        for source in site["sources"]:
            self.page(source["href"], "source.html", chain=latest_chain, source=source)
        self.files[FEED] = self.feed().encode("utf-8")
        self.files[STYLESHEET] = stylesheet()
        return dict(sorted(self.files.items()))

    # -- schema.org ----------------------------------------------------------------

    def live_blog(self) -> dict[str, Any]:
        site = self.site
        latest = site["latest"]
        shown = [u for u in latest["updates"] if not u["taken_down"]]
        doc: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "LiveBlogPosting",
            "headline": latest["headline"],
            "inLanguage": site["lang"],
            "datePublished": site["first_published"]["iso"],
            "dateModified": latest["published"]["iso"],
            "version": str(latest["number"]),
        }
        if latest["standfirst"]:
            doc["description"] = latest["standfirst"]
        url = self.url("index.html")
        if url:
            doc["url"] = doc["mainEntityOfPage"] = url
        if self.options.publisher:
            doc["publisher"] = {"@type": "Organization", "name": self.options.publisher}
        if shown:
            stamps = sorted(u["stamp"]["full"] for u in shown)
            doc["coverageStartTime"], doc["coverageEndTime"] = stamps[0], stamps[-1]
        doc["liveBlogUpdate"] = [self.blog_posting(u) for u in shown]
        notes = [n for n in latest["notes"] if n["kind"] != "copy-edit"]
        if notes:
            doc["correction"] = [correction(n) for n in notes]
        return doc

    def blog_posting(self, u: dict[str, Any]) -> dict[str, Any]:
        changed = self.site["updated_versions"].get(u["id"])
        modified = self.site["pages"][changed - 1]["published"]["iso"] if changed else None
        post: dict[str, Any] = {
            "@type": "BlogPosting",
            "identifier": u["id"],
            "datePublished": u["stamp"]["full"],
        }
        if modified:
            post["dateModified"] = modified
        url = self.url(f"index.html#{u['anchor']}")
        if url:
            post["url"] = url
        notes = [{**n, "update": u["id"]} for n in u["notes"]]
        if u["retracted"]:
            post["headline"] = "Withdrawn: " + short(u["retraction"]["note"], 100)
            notes.append({"kind": "retraction", "title": NOTE_TITLES["retraction"],
                          "note": u["retraction"]["note"], "at": u["retraction"]["at"]})
        else:
            post["headline"] = short(" ".join(u["paragraphs"])) or u["stamp"]["text"]
            post["articleBody"] = "\n\n".join(u["paragraphs"])
        if notes:
            post["correction"] = [correction(n) for n in notes]
        return post

    # -- Atom ------------------------------------------------------------------------

    def feed(self) -> str:
        site = self.site
        base = uuid.UUID(site["story_id"])
        entries = []
        fragment = self.env.get_template("_feed_version.html")
        for diff, page in zip(site["diffs"], site["pages"], strict=True):
            n = diff["number"]
            entries.append({
                "id": uuid.uuid5(base, f"version/{n}").urn,
                "title": f"Version {n}: {diff['summary_text']}",
                "updated": diff["published"]["iso"], "link": f"diff/{n}.html",
                "html": fragment.render(diff=diff, page=page, ui=self.ui),
                "text": None, "category": "version",
            })
            for note in diff["notes"]:
                about = (f"update of {note['stamp']['text']}" if note["stamp"]
                         else f"the {note['target'] or 'story'}")
                entries.append({
                    "id": uuid.uuid5(base, f"note/{n}/{note['update'] or ''}/{note['kind']}/"
                                           f"{note['at']['iso']}/{note['note']}").urn,
                    "title": f"{note['title']}: {about}",
                    "updated": diff["published"]["iso"],
                    "link": f"index.html#{note['anchor']}" if not _removed(site, note)
                    else "history.html",
                    "html": None, "text": note["note"], "category": note["kind"],
                })
        for u in site["takedowns"]:
            taken = u["taken_down"]
            entries.append({
                "id": uuid.uuid5(base, f"takedown/{u['id']}").urn,
                "title": f"An update was removed {taken['because']}".rstrip(),
                "updated": taken["at"]["iso"], "link": f"index.html#{u['anchor']}",
                "html": None, "category": "takedown",
                "text": f"The update of {u['stamp']['text']} was removed "
                        f"{taken['because']} on {taken['at']['date']}.".replace("  ", " "),
            })
        entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
        base_url = self.options.base_url
        return self.env.get_template("feed.atom").render(
            site=site, entries=entries, updated=max(e["updated"] for e in entries),
            feed_id=base.urn, base=base_url and base_url.rstrip("/") + "/",
            author=self.options.publisher or "The newsroom", feed=FEED,
        )


def _removed(site: dict[str, Any], note: dict[str, Any]) -> bool:
    return any(u["id"] == note["update"] for u in site["takedowns"])


def correction(note: dict[str, Any]) -> dict[str, Any]:
    return {"@type": "CorrectionComment", "text": f"{note['title']}: {note['note']}",
            "datePublished": note["at"]["iso"]}


def render_model(site: dict[str, Any], options: SiteOptions | None = None, *,
                 checkpoint: dict[str, Any] | None = None,
                 env: Environment | None = None, log: Any = None,
                 log_root: str = "") -> dict[str, bytes]:
    """The files of one story's site from its model (see ``model.collect``); ``log``
    (a ``publiclog.SiteLog``) makes every page name its public record."""
    return Renderer(site, options or SiteOptions(), checkpoint, env or environment(),
                    log, log_root).render()


def latest_checkpoint_of(views: Views, options: SiteOptions) -> dict[str, Any] | None:
    if not options.checkpoint:
        return None
    found = views.latest_checkpoint()
    if found is None:
        return None
    return {"seq": int(found["seq"]), "hash": str(found["hash"])}


def render_site(views: Views, slug: str, options: SiteOptions | None = None, *,
                model: dict[str, Any] | None = None, log: Any = None) -> dict[str, bytes]:
    """The static site of one published story: ``{relative path: bytes}``, deterministic.

    Pages: ``index.html`` (the latest published version), ``history.html``,
    ``v/N.html`` (what readers saw in version N), ``diff/N.html`` (what changed from
    version N-1 to N), ``sources/index.html`` and ``sources/<name>.html`` (each cited
    source's timeline in this story), ``feed.atom`` and ``style.css``.
    """
    options = options or SiteOptions()
    return render_model(model or collect(views, slug, options), options,
                        checkpoint=latest_checkpoint_of(views, options), log=log)


def render_sites(views: Views, slugs: Iterable[str] | None = None,
                 options: SiteOptions | None = None, *,
                 models: dict[str, dict[str, Any]] | None = None,
                 log: Any = None) -> tuple[dict[str, bytes], list[str]]:
    """Every published story (or the given ones), each under ``<slug>/``, with an
    ``index.html`` listing them. Returns the files and the slugs skipped because
    they have no published version yet."""
    options = options or SiteOptions()
    env = environment()
    checkpoint = latest_checkpoint_of(views, options)
    files: dict[str, bytes] = {}
    stories = []
    skipped = []
    identities = PublicIdentities(views)
    for slug in (views.slugs() if slugs is None else slugs):
        if not views.versions(slug):
            skipped.append(slug)
            continue
        site = (models or {}).get(slug) or collect(views, slug, options, identities)
        sub = Renderer(site, with_base(options, slug), checkpoint, env, log, "../").render()
        files.update({f"{slug}/{path}": data for path, data in sub.items()})
        latest = site["latest"]
        stories.append({"slug": slug, "headline": latest["headline"], "lang": site["lang"],
                        "version": latest["number"], "published": latest["published"],
                        "head": latest["head"], "event": latest["event"]})
    stories.sort(key=lambda s: (s["published"]["iso"], s["slug"]), reverse=True)
    html = env.get_template("stories.html").render(
        stories=stories, root="", csp=CSP, checkpoint=checkpoint, stylesheet=STYLESHEET,
        record=None, log_root="",
        canonical=options.base_url and options.base_url.rstrip("/") + "/index.html",
    )
    files["index.html"] = html.encode("utf-8")
    files[STYLESHEET] = stylesheet()
    return dict(sorted(files.items())), skipped


def with_base(options: SiteOptions, slug: str) -> SiteOptions:
    if not options.base_url:
        return options
    return SiteOptions(show_editors=options.show_editors, publisher=options.publisher,
                       checkpoint=options.checkpoint,
                       base_url=options.base_url.rstrip("/") + "/" + slug)


__all__ = ["CSP", "environment", "render_model", "render_site", "render_sites", "safe_url"]
