"""XSS payloads, a story full of them, and a harness that watches a real browser.

Every payload, if it ever ran, would do something the harness sees: open a dialog
(alert, confirm, prompt), call ``__xss(n)`` (a function the harness exposes), or
request a URL containing ``xss-beacon``. The harness also audits the DOM for
active content that only an injection could have put there (event handler
attributes, scripts, frames, forms, javascript: and data: links), which catches
payloads that would need a click or a hover to run.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

# {n} is the payload's number; a hit names the payload that ran.
TEMPLATES = [
    "<script>alert({n})</script>",
    "<img src=x onerror=alert({n})>",
    "<svg onload=alert({n})>",
    "<svg/onload=alert({n})>",
    "<img/src=x/onerror=alert({n})>",
    "<svg><script>alert({n})</script></svg>",
    "\"><script>alert({n})</script>",
    "'><script>alert({n})</script>",
    "</title><script>alert({n})</script>",
    "</textarea><script>alert({n})</script>",
    "</script><script>alert({n})</script>",
    "</style><script>alert({n})</script>",
    "<!--<script>alert({n})</script>-->",
    "--><script>alert({n})</script>",
    "<iframe src=\"javascript:alert({n})\"></iframe>",
    "<iframe srcdoc=\"<script>parent.alert({n})</script>\"></iframe>",
    "<iframe srcdoc=\"&lt;img src=x onerror=parent.alert({n})&gt;\"></iframe>",
    "<iframe src=data:text/html,<script>parent.alert({n})</script>></iframe>",
    "<body onload=alert({n})>",
    "<body onpageshow=alert({n})>",
    "<details open ontoggle=alert({n})>",
    "<input autofocus onfocus=alert({n})>",
    "<select autofocus onfocus=alert({n})></select>",
    "<textarea autofocus onfocus=alert({n})></textarea>",
    "<keygen autofocus onfocus=alert({n})>",
    "<slot onfocusin=alert({n}) tabindex=1 autofocus>",
    "<video><source onerror=alert({n})></video>",
    "<video src=x onerror=alert({n})>",
    "<audio src=x onerror=alert({n})>",
    "<object data=\"javascript:alert({n})\"></object>",
    "<object data=\"data:text/html,<script>alert({n})</script>\"></object>",
    "<embed src=\"javascript:alert({n})\">",
    "<a href=\"javascript:alert({n})\">click</a>",
    "<a href=\"jav&#x09;ascript:alert({n})\">click</a>",
    "<a href=\" javascript:alert({n})\">click</a>",
    "<a href=\"data:text/html,<script>alert({n})</script>\">click</a>",
    "<a href=# onclick=alert({n})>click</a>",
    "<button onclick=alert({n})>click</button>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert({n})>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert({n})>\">",
    "<style>@import 'javascript:alert({n})';</style>",
    "<style>*{{background:url(\"javascript:alert({n})\")}}</style>",
    "<marquee onstart=alert({n})>x</marquee>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert({n})\">",
    "<base href=\"javascript:alert({n})//\">",
    "<form><button formaction=javascript:alert({n})>x</button></form>",
    "<form action=javascript:alert({n})><input type=submit></form>",
    "<isindex action=javascript:alert({n}) type=image>",
    "<img src=\"x\" onerror=\"&#97;lert({n})\">",
    "<img src=x onerror=eval(atob('{b64}'))>",
    "<img src=x:alert({n}) onerror=eval(src)>",
    "<svg><animate onbegin=alert({n}) attributeName=x dur=1s>",
    "<svg><set onbegin=alert({n}) attributename=x to=y>",
    "<svg><discard onbegin=alert({n})>",
    "<image src=x onerror=alert({n})>",
    "<img src=x onerror=alert`{n}`>",
    "<scr<script>ipt>alert({n})</scr</script>ipt>",
    "<SCRIPT SRC=data:text/javascript,alert({n})></SCRIPT>",
    "<script src=\"data:,alert({n})\"></script>",
    "<img \"\"\"><script>alert({n})</script>\">",
    "<IMG SRC=javascript:alert({n})>",
    "<img src=x onerror=\\u0061lert({n})>",
    "<div style=\"background:url(javascript:alert({n}))\">x</div>",
    "<x onclick=alert({n}) style=display:block>click</x>",
    "<svg><a xlink:href=\"javascript:alert({n})\"><text y=20>x</text></a></svg>",
    "<img src=x onerror=top.__xss({n})>",
    "<img src=x onerror=fetch('/xss-beacon/{n}')>",
    "<img src=\"/xss-beacon/{n}\">",
    "<<script>alert({n});//<</script>",
    "<script>alert({n})//",
    "<img src=x onerror=\"alert({n})\"",
    "\"onmouseover=\"alert({n})",
    "' onmouseover='alert({n})",
    "\" autofocus onfocus=\"alert({n})",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert({n})//'>",
    "<xmp><img src=x onerror=alert({n})></xmp>",
    "<template><img src=x onerror=alert({n})></template>",
    "<img srcset=\"x 1x\" onerror=alert({n})>",
    "<picture><source srcset=x><img src=x onerror=alert({n})></picture>",
    "<svg><foreignObject><img src=x onerror=alert({n})></foreignObject></svg>",
    "<link rel=stylesheet href=javascript:alert({n})>",
    "<table background=\"javascript:alert({n})\"><tr><td>x</td></tr></table>",
    "<svg onload=alert&#40;{n}&#41;>",
    "<img src=x onerror=window['al'+'ert']({n})>",
    "<img src=x onerror=self[atob('YWxlcnQ=')]({n})>",
    "<img src=x onerror=confirm({n})>",
    "<img src=x onerror=prompt({n})>",
    "<frameset onload=alert({n})>",
    "<div onpointerover=alert({n})>x</div>",
    "<svg><script href=data:,alert({n}) />",
    "<svg><script xlink:href=data:,alert({n})></script></svg>",
    "<math href=\"javascript:alert({n})\">x</math>",
    "<img src=x onerror=import('data:text/javascript,alert({n})')>",
    "<script type=module>alert({n})</script>",
    "<img src=x onerror=location='javascript:alert({n})'>",
    "<dialog open onclose=alert({n})><form method=dialog><button>x</button></form></dialog>",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='alert({n})' /></svg>#x\" />",
    "<img\tsrc=x\tonerror=alert({n})>",
    "]]><script>alert({n})</script>",
    "<![CDATA[<script>alert({n})</script>]]>",
    "<?xml version=\"1.0\"?><script>alert({n})</script>",
    "<!DOCTYPE x [<!ENTITY x \"y\">]><script>alert({n})</script>",
    "&lt;script&gt;alert({n})&lt;/script&gt;",
    "%3Cscript%3Ealert({n})%3C/script%3E",
    "\\u003cscript\\u003ealert({n})\\u003c/script\\u003e",
    "{{{{constructor.constructor('alert({n})')()}}}}",
    "${{alert({n})}}",
    "javascript:alert({n})",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "\u202e<img src=x onerror=alert({n})>\u202c",  # an override, closed (open ones are refused)
    "<img src=x onerror=alert({n})>\u2028<script>alert({n})</script>",
    "＜script＞alert({n})＜/script＞",
    "<a href=\"https://example.com/\" target=_blank onmouseover=alert({n})>x</a>",
    "<object type=\"text/x-scriptlet\" data=\"javascript:alert({n})\"></object>",
]

# Links must pass the domain's own check (http(s), no spaces), so these attack the
# attribute instead of the scheme; the schemes are attacked in test_render.
URL_TEMPLATES = [
    "https://x.example/\"><script>alert({n})</script>",
    "https://x.example/'onmouseover='alert({n})",
    "https://x.example/\"onerror=\"alert({n})",
    "https://x.example/#\"><img/src=x/onerror=alert({n})>",
    "https://\"><svg/onload=alert({n})>",
    "http://x.example/javascript:alert({n})",
    "https://x.example/?q=<script>alert({n})</script>",
    "https://x.example/%22%3E%3Cscript%3Ealert({n})%3C/script%3E",
    "https://x.example/xss-beacon/{n}\"onload=\"alert({n})",
    "https://x.example/`onmouseover=alert({n})",
]


def payloads() -> list[str]:
    out = []
    for n, template in enumerate(TEMPLATES, start=1):
        b64 = base64.b64encode(f"alert({n})".encode()).decode()
        out.append(template.format(n=n, b64=b64))
    return out


def url_payloads() -> list[str]:
    return [t.format(n=1000 + n) for n, t in enumerate(URL_TEMPLATES, start=1)]


PAYLOADS = payloads()
URL_PAYLOADS = url_payloads()
assert len(PAYLOADS) >= 100, len(PAYLOADS)


def build_story(app: Any, slug: str = "xss") -> None:
    """A story carrying every payload in update text, source names and "via", links,
    captions, credits, link labels, headlines, standfirsts and every kind of public
    note, published in several versions."""
    from storylog.app.commands import (
        add_update,
        change_details,
        edit_update,
        publish,
        retract_update,
    )
    from storylog.domain.payloads import StoryDetailsChangedPayload, StoryOpenedPayload

    editor = "e"
    app.open_story(StoryOpenedPayload(slug=slug, headline=PAYLOADS[0], standfirst=PAYLOADS[1],
                                      tz="Europe/Kyiv"), editor=editor)
    for n, payload in enumerate(PAYLOADS):
        url = URL_PAYLOADS[n % len(URL_PAYLOADS)]
        add_update(
            app, slug, update_id=f"u{n}", stamp=f"2025-11-{1 + n // 24:02d} {n % 24:02d}:00",
            body=f"{payload}\n{payload} second paragraph",
            sources=[{"name": f"{payload} #{n}", "kind": "other", "via": f"{payload} via",
                      "url": url}],
            media=[{"type": "picture", "url": url, "caption": payload, "credit": payload},
                   {"type": "link", "url": url, "label": payload}],
            key_event=n % 7 == 0, editor=editor,
        )
        if n % 10 == 9:
            chunk = PAYLOADS[n - 9:n + 1]
            for k, note in enumerate(chunk[:3]):
                kind = ("correction", "clarification", "editors-note")[k]
                edit_update(app, slug, f"u{n - 9 + k}", kind=kind, reason="r", note=note,
                            body=f"{note} (edited)", status="disputed", editor=editor)
            retract_update(app, slug, f"u{n - 6}", reason="r", note=chunk[3], editor=editor)
            change_details(app, slug, StoryDetailsChangedPayload(
                headline=chunk[4], standfirst=chunk[5], kind="correction", reason="r",
                note=chunk[6]), editor=editor)
            publish(app, slug, editor=editor, note=chunk[7])
    publish(app, slug, editor=editor, note=PAYLOADS[-1])


AUDIT = """() => {
  const problems = [];
  const risky = ["iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
    "input", "button", "textarea", "select", "keygen", "svg", "math", "template", "style",
    "xmp", "plaintext", "noscript", "video", "audio", "image", "dialog", "slot", "marquee",
    "isindex", "details", "source", "picture", "table", "x", "scr", "mglyph"];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "background",
    "poster", "srcset", "codebase", "dynsrc", "lowsrc"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) problems.push(`${tag}[${name}]`);
      if (name === "srcdoc") problems.push(`${tag}[srcdoc]`);
      if (urlAttrs.includes(name)) {
        const v = a.value.toLowerCase().replace(/[\\s\\x00-\\x20]/g, "");
        const icon = tag === "link" && el.rel === "icon" && a.value === "data:,";
        if (/^(javascript|data|vbscript):/.test(v) && !icon) problems.push(`${tag}[${name}]=${v}`);
      }
      if (name === "style" && /javascript:|expression\\(/i.test(a.value))
        problems.push(`${tag}[style]`);
    }
    if (tag === "script" && el.type !== "application/ld+json") problems.push("script");
    if (risky.includes(tag)) problems.push(tag);
    if (tag === "meta" && el.httpEquiv && el.httpEquiv.toLowerCase() !== "content-security-policy")
      problems.push("meta[http-equiv]");
    if (tag === "link" && !["stylesheet", "alternate", "canonical", "icon"].includes(el.rel))
      problems.push(`link[rel=${el.rel}]`);
  }
  if (document.querySelectorAll('script[type="application/ld+json"]').length > 1)
    problems.push("a second JSON-LD block");
  return problems;
}"""


@dataclass
class Findings:
    url: str
    executed: list[str] = field(default_factory=list)  # dialogs and calls: script ran
    beacons: list[str] = field(default_factory=list)  # requests only an injection makes
    injected: list[str] = field(default_factory=list)  # active content in the DOM
    console_errors: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def clean(self) -> bool:
        return not (self.executed or self.beacons or self.injected)


class Harness:
    """Visits pages, one after another in one browser tab, and records what injected
    content did on each."""

    def __init__(self, browser: Any, base: str, *, bypass_csp: bool):
        self.base = base
        self.context = browser.new_context(bypass_csp=bypass_csp)
        self.context.route("**/*", self._route)
        self.current = Findings("")
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.current.console_errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.current.console_errors.append(str(e)))
        self.page.expose_function("__xss", lambda n: self.current.executed.append(f"__xss({n})"))

    def _dialog(self, dialog: Any) -> None:
        self.current.executed.append(f"{dialog.type}({dialog.message})")
        dialog.dismiss()

    def _route(self, route: Any) -> None:
        url = route.request.url
        if "/xss-beacon/" in url:
            self.current.beacons.append(url)
            route.abort()
        elif url.startswith(self.base) or url.startswith("data:"):
            route.continue_()
        else:
            route.abort()  # nothing leaves the machine

    def visit(self, path: str, *, settle_ms: int = 400) -> Findings:
        findings = self.current = Findings(self.base + path)
        self.page.goto(findings.url, wait_until="load")
        self.page.wait_for_timeout(settle_ms)
        findings.injected = self.page.evaluate(AUDIT)
        findings.text = self.page.evaluate(
            "() => document.body ? document.body.textContent : ''")
        self.page.goto("about:blank")  # late effects of this page are still counted here
        return findings

    def close(self) -> None:
        self.context.close()
