"""Whatever the page, the importer refuses it cleanly or accounts for every line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from storylog.importer import ImportRefused, ParsedPage, parse_page

LINES = [
    "", "Updated November 11, 8:26 A.M.", "Last updated November 4, 8:15 P.M.",
    "4 November 2025 20:15", "November 5", "Wednesday 5 November 2025", "14:00", "2:00 P.M.",
    "14:05: Ukraine's General Staff said the city was holding.", "03/04 10:00",
    "November 4, 10:00 XYZ", "Bild military analyst Julian Röpcke reported an advance.",
    "“We will hold,” said Andrii Koval.", "Sirens sounded all night.",
    "Smoke rises over the city after a strike.", "Privat", "Photo: AFP",
    "Front line map: https://example.org/map", "Advertisement", "Key event",
    "The front on the Deep State map.", "Deep State Map", "according to",
    "he told Le Monde", "Nov. 4, 8.15pm", "midnight", "noon", "Updated", "The",
]
MARKERS = {"Key event", "November 5", "Wednesday 5 November 2025"}  # headings and markers


def accounted(line: str, page: ParsedPage) -> bool:
    """Whether the text of ``line`` is somewhere in what the importer returned."""
    places = [page.standfirst, page.headline or "", *(t for _, t in page.unplaced),
              *(t for _, t in page.ignored)]
    for update in page.updates:
        places.extend([update.body, update.title or "", update.byline or ""])
        places.extend(v for media in update.media for v in media.values())
    text = line.split(": ", 1)[1] if line[:2].isdigit() and ": " in line else line
    text = text.removeprefix("Photo: ")  # the credit's label is furniture
    if any(text in place for place in places):
        return True
    everything = "\n".join(places)  # a link line is split into its label and address
    return all(word.rstrip(":") in everything for word in text.split())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=25))
def test_any_page_is_refused_cleanly_or_loses_no_text(lines: list[str]) -> None:
    try:
        page = parse_page("\n".join(lines), year=2025, tz="Europe/Kyiv")
    except ImportRefused as refused:
        assert str(refused)
        return
    stamp_lines = {u.stamp_line for u in page.updates}
    for number, line in enumerate(lines, 1):
        if line and number not in stamp_lines and line not in MARKERS:
            assert accounted(line, page), (number, line)


PIECES = st.sampled_from([
    *"abcXYZ019 :.,/-–“”\"'’\n()©@ÖöİßP.M.", "Nov ", "11, ", "8:26 ", "A.M.", "said ",
    "according to ", "told ", "Bild ", "Röpcke ", "quoted by ", "http://x.org ",
    "Link to map.", "Photo: ", "Privat", "Updated ", "GMT", "a-Bild",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=80).map("".join))
def test_any_text_is_parsed_or_refused_never_crashes(text: str) -> None:
    try:
        parse_page(text, year=2025, tz="Europe/Kyiv")
    except ImportRefused as refused:
        assert str(refused)
