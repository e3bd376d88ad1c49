"""The public change history of a story as a static site (`storylog export`, `serve`).

    render_site(views, slug, options)  -> {relative path: bytes}, deterministic
    render_sites(views, slugs, options) -> ({path: bytes} for every story, skipped slugs)
    write_site(files, outdir)          -> WriteReport; atomic, unchanged files untouched

Only published versions reach the site, and no internal field does: see
``storylog.site.public_view``.
"""

from __future__ import annotations

from storylog.site.pages import CSP, render_model, render_site, render_sites
from storylog.site.public_view import SiteOptions, collect
from storylog.site.write import WriteReport, write_site

__all__ = ["CSP", "SiteOptions", "WriteReport", "collect", "render_model", "render_site",
           "render_sites", "write_site"]
