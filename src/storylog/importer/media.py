"""Pictures and links inside an update's text, taken out of its body.

- A picture is a caption followed by a credit: an explicit credit line ("Photo:
  Reuters", "© AFP") anywhere, a caption that ends with its credit ("... city.
  Photo: Reuters"), or, at the very end of an update, a one-sentence caption
  followed by a short line with no closing punctuation (the seed's "Privat").
- A link is a line that is only an address ("Deep State map: https://..."), or a
  line that ends with a link cue ("... Link to map.", "Open the map.") followed
  by the link's label on the next line (the seed's "Deep State Map"). What the
  line says before the cue becomes the link's caption, and the cue itself is
  dropped: on the page, "Occupation of Pokrovsk on the Deep State map. Link to
  map." is the caption of an embedded map and "Link to map." its clickable
  text, so a reader expects them with the map, not as a sentence of the
  update (where "Link to map." would point at nothing). The link's address
  comes from the line itself or, when the page gives none, from the gazetteer
  entry the label names; without either the link has no url and the caller is
  warned (storylog's Media needs one).

An update is never emptied: media are only taken out while body text remains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storylog.importer.gazetteer import Gazetteer

Paragraph = tuple[int, str]

_CREDIT_LINE = re.compile(
    r"^(?:(?:photo(?:graph)?|image|picture|pic|illustration|credit|video|footage)s?"
    r"(?:\s+credit)?\s*[:/]\s*|©\s*|\(c\)\s*)(?P<credit>\S.{0,118})$",
    re.I,
)
_CAPTION_WITH_CREDIT = re.compile(
    r"^(?P<caption>.{10,300}?[.!?])\s+\(?(?:photo(?:graph)?|image|picture|credit)s?"
    r"(?:\s+credit)?\s*:\s*(?P<credit>[^()]{1,80}?)\)?\.?$",
    re.I,
)
_URL_LINE = re.compile(
    r"^(?:(?P<label>[^:]{1,120}?)\s*(?::|[-–—])\s*)?\(?(?P<url>https?://\S+?)\)?\.?$"
    r"|^(?P<label2>.{1,120}?)\s*\((?P<url2>https?://\S+)\)\.?$",
    re.I,
)
_LINK_CUE = re.compile(
    r"(?:^|(?<=[.!?])\s+)(?:link(?:\s+to\s+(?:the\s+)?[\w ]{1,30})?|(?:open|see|view)\s+"
    r"(?:the\s+)?(?:map|link|source)|click\s+here[\w ]{0,30}|follow\s+the\s+link)\.?$",
    re.I,
)
_NOT_CREDITS = re.compile(
    r"^(?:more to follow|developing(?: story)?|breaking(?: news)?|read more|updating|"
    r"this is a developing story|live|share|advertisement)$",
    re.I,
)


@dataclass
class Extracted:
    body: list[Paragraph]
    media: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def extract_media(paragraphs: list[Paragraph], gazetteer: Gazetteer) -> Extracted:
    """Split an update's paragraphs into body paragraphs and media."""
    out = Extracted(list(paragraphs))
    index = 0
    while index < len(out.body):
        index = _at(out, index, gazetteer)
    _trailing_credit(out)
    return out


def _at(out: Extracted, index: int, gazetteer: Gazetteer) -> int:
    """Take the media that begins at paragraph ``index``; the index to look at next."""
    text = out.body[index][1]
    url = _URL_LINE.match(text) if "http" in text else None
    if url and len(out.body) > 1:
        _link(out, index, 1, url.group("url") or url.group("url2"),
              url.group("label") or url.group("label2"), None)
        return index
    credit = _CREDIT_LINE.match(text) if len(text) <= 140 else None
    if credit:
        return _credit_line(out, index, credit.group("credit").strip())
    inline = _CAPTION_WITH_CREDIT.match(text) if ":" in text[-100:] else None
    if inline and len(out.body) > 1:
        del out.body[index]
        out.media.append(_picture(inline.group("caption"), inline.group("credit").strip()))
        return index
    cue = _LINK_CUE.search(text, max(0, len(text) - 80))
    if cue and index + 1 < len(out.body) and len(out.body) > 2:
        return _cued_link(out, index, text[:cue.start()].strip(), gazetteer)
    return index + 1


def _credit_line(out: Extracted, index: int, credit: str) -> int:
    line, text = out.body[index]
    if index > 0 and _caption_like(out.body[index - 1][1]) and len(out.body) > 2:
        caption = out.body[index - 1][1]
        del out.body[index - 1:index + 1]
        out.media.append(_picture(caption, credit))
        return index - 1
    out.warnings.append(
        f"line {line}: {text!r} looks like a picture credit with no caption above it; "
        "it was left in the text"
    )
    return index + 1


def _cued_link(out: Extracted, index: int, caption: str, gazetteer: Gazetteer) -> int:
    label_line, label = out.body[index + 1]
    url = _URL_LINE.match(label)
    if url:
        _link(out, index, 2, url.group("url") or url.group("url2"), None, caption)
    elif _credit_like(label):
        entry = gazetteer.lookup(label) or next(
            (m.entry for m in gazetteer.find(label) if m.entry.url), None
        )
        _link(out, index, 2, entry.url if entry else None, label, caption)
        if not (entry and entry.url):
            out.warnings.append(
                f"line {label_line}: the link {label!r} has no address on the page or in the "
                "gazetteer; it is kept with its label only (a gazetteer file can give its address)"
            )
    else:
        return index + 1
    return index


def _link(
    out: Extracted, index: int, count: int, url: str | None, label: str | None,
    caption: str | None,
) -> None:
    del out.body[index:index + count]
    media = {"type": "link", "url": url, "label": label, "caption": caption or None}
    out.media.append({k: v.strip() for k, v in media.items() if v})


def _trailing_credit(out: Extracted) -> None:
    """The seed's picture: a one-sentence caption, then a bare credit, ending the update."""
    if len(out.body) < 3:
        return
    caption, credit = out.body[-2][1], out.body[-1][1]
    if _caption_like(caption) and _credit_like(credit):
        del out.body[-2:]
        out.media.append(_picture(caption, credit))


def is_credit_line(text: str) -> bool:
    """Whether a line is a picture credit ("Photo: AFP", "© Reuters")."""
    return len(text) <= 140 and bool(_CREDIT_LINE.match(text))


def _picture(caption: str, credit: str) -> dict[str, str]:
    return {"type": "picture", "caption": caption.strip(), "credit": credit.strip()}


def _caption_like(text: str) -> bool:
    sentences = len(re.findall(r"[.!?](?:\s|$)", text))
    return 10 <= len(text) <= 300 and sentences <= 1 and not re.search(r"[“\"]|https?://", text)


def _credit_like(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 4 and len(text) <= 40 and (text[0].isupper() or text[0] == "©")
        and text[-1] not in ".!?:;,\"”’" and not re.search(r"[“\"]", text)
        and not _NOT_CREDITS.match(text)
    )
