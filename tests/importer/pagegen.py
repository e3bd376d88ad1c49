"""Synthetic live pages of any size, with the answer a correct parser must give.

The page mixes the stamp styles real pages use (full stamps with and without
year, 12- and 24-hour clocks, times in GMT, date headings with time-only and
colon stamps), sourced and unsourced text, pictures with credits and links.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
KYIV = ZoneInfo("Europe/Kyiv")
PLACES = ("Pokrovsk", "Myrnohrad", "Hryshyne", "Rodynske", "Kostiantynivka", "Siversk")
SOURCED = (
    ("Julian Röpcke reported that Russian forces advanced {n} metres near {place}.",
     "Julian Röpcke"),
    ("According to the General Staff, {n} attacks were repelled near {place}.",
     "Ukraine's General Staff"),
    ("Deep State notes that the front line moved {n} metres west of {place}.", "Deep State"),
    ("An officer told Le Monde that {n} drones hit {place} overnight.", "Ukrainian officer"),
    ("Spokesperson Andrii Koval said {n} clashes took place near {place}.", "Andrii Koval"),
)
UNSOURCED = (
    "Air-raid sirens sounded in {place} for {n} minutes.",
    "Evacuation buses left {place} with {n} residents on board.",
    "Power was cut in {n} streets of {place}.",
)
FILLERS = (
    "Residents of {place} spent the night in shelters as the shelling went on until morning.",
    "The road between {place} and the regional centre is watched by drones day and night, "
    "which makes every delivery of food, water and ammunition a dangerous undertaking.",
    "Humanitarian convoys have not reached the eastern districts of {place} for {n} days.",
    "Several buildings near the central square were damaged, and the fire brigade worked "
    "for hours to put out the flames before the next wave of strikes.",
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass
class Expected:
    stamp: str
    body: str
    sources: list[str]
    media: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Page:
    text: str
    standfirst: str
    updates: list[Expected]


def make_page(count: int, seed: int = 7) -> Page:
    """A page of ``count`` updates, newest first, all in 2025, in the Kyiv zone."""
    rng = random.Random(seed)
    standfirst = "This page follows the battle for the city. It will be updated."
    lines = [standfirst]
    updates: list[Expected] = []
    moments = _moments(rng, count)
    day_index = 0
    while day_index < len(moments):
        day = moments[day_index].date()
        same_day = [m for m in moments[day_index:] if m.date() == day]
        _write_day(rng, same_day, lines, updates, len(updates))
        day_index += len(same_day)
    return Page("\n".join(lines) + "\n", standfirst, updates)


def _moments(rng: random.Random, count: int) -> list[datetime]:
    """Distinct local times, newest first, about a dozen a day, inside 2025."""
    moment = datetime(2025, 12, 28, 23, 0)
    out = []
    for _ in range(count):
        moment -= timedelta(minutes=rng.choice((17, 31, 46, 58, 73, 95, 120)))
        while _twice(moment):  # an hour the clocks pass twice is refused: no page prints it
            moment -= timedelta(hours=1)
        out.append(moment)
    assert out[-1].year == 2025, "too many updates for one year"
    return out


def _twice(moment: datetime) -> bool:
    """Whether the clocks pass ``moment`` twice in Kyiv, or in Warsaw (where the page is also
    read, an hour behind)."""
    return any(moment.replace(tzinfo=zone, fold=0).utcoffset()
               != moment.replace(tzinfo=zone, fold=1).utcoffset() for zone in (KYIV, WARSAW))


def _write_day(
    rng: random.Random, moments: list[datetime], lines: list[str], updates: list[Expected],
    number: int,
) -> None:
    if rng.random() < 0.3:
        day = moments[0]
        lines.append(f"{DAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}")
        for i, moment in enumerate(moments):
            _write_update(rng, moment, lines, updates, number + i, heading=True)
    else:
        for i, moment in enumerate(moments):
            _write_update(rng, moment, lines, updates, number + i, heading=False)


def _write_update(
    rng: random.Random, moment: datetime, lines: list[str], updates: list[Expected],
    number: int, *, heading: bool,
) -> None:
    paragraphs, sources = _body(rng, number)
    stamp = _stamp(rng, moment, heading)
    if heading and rng.random() < 0.4:
        lines.append(f"{stamp}: {paragraphs[0]}")
        lines.extend(paragraphs[1:])
    else:
        lines.append(stamp)
        lines.extend(paragraphs)
    media = _media(rng, number, lines)
    updates.append(Expected(moment.strftime("%Y-%m-%d %H:%M"), "\n".join(paragraphs),
                            sources, media))


def _body(rng: random.Random, number: int) -> tuple[list[str], list[str]]:
    paragraphs, sources = [], []
    for part in range(rng.randint(1, 5)):
        n = number * 10 + part
        place = rng.choice(PLACES)
        if rng.random() < 0.6:
            template, source = rng.choice(SOURCED)
            sentence = template.format(n=n, place=place)
            if source not in sources:
                sources.append(source)
        else:
            sentence = rng.choice(UNSOURCED).format(n=n, place=place)
        fillers = rng.sample(FILLERS, rng.randint(0, 2))
        paragraphs.append(" ".join([sentence, *(f.format(n=n, place=place) for f in fillers)]))
    return paragraphs, sources


def _stamp(rng: random.Random, moment: datetime, heading: bool) -> str:
    if heading:
        return rng.choice((moment.strftime("%H:%M"), _twelve(moment)))
    style = rng.randrange(5)
    month = MONTHS[moment.month - 1]
    if style == 0:
        return f"Updated {month} {moment.day}, {_twelve(moment)}"
    if style == 1:
        return f"Last updated {month} {moment.day}, {moment.year}, {_twelve(moment)}"
    if style == 2:
        return f"{moment.day} {month} {moment.year} {moment:%H:%M}"
    if style == 3:
        return f"{month[:3]}. {moment.day}, {moment:%H:%M}"
    utc = moment.replace(tzinfo=KYIV).astimezone(UTC)
    return f"{MONTHS[utc.month - 1]} {utc.day}, {utc:%H:%M} GMT"


def _twelve(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M} {'A.M.' if moment.hour < 12 else 'P.M.'}"


def _media(rng: random.Random, number: int, lines: list[str]) -> list[dict[str, str]]:
    roll = rng.random()
    if roll < 0.1:
        caption = f"Smoke rises over the city after strike number {number}."
        lines.extend([caption, "Reuters/Jane Doe"])
        return [{"type": "picture", "caption": caption, "credit": "Reuters/Jane Doe"}]
    if roll < 0.15:
        url = f"https://example.org/map/{number}"
        lines.append(f"Front line map: {url}")
        return [{"type": "link", "url": url, "label": "Front line map"}]
    return []


def seed_sized_page(count: int) -> str:
    """The seed's seven updates repeated, restamped one an hour, to ``count`` updates."""
    from storylog.importer import parse_page
    from tests.importer.test_seed import SEED

    seed = parse_page(SEED.read_text(encoding="utf-8"), year=2025, tz="Europe/Kyiv")
    moment = datetime(2025, 12, 28, 23, 0)
    lines = [seed.standfirst]
    for i in range(count):
        update = seed.updates[i % len(seed.updates)]
        lines.append(f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}")
        lines.append(update.body)
        moment -= timedelta(minutes=59)
    return "\n".join(lines) + "\n"


def main() -> None:
    """Print how long parsing and aligning 5,000-update pages takes here."""
    import time

    from storylog.importer import align, parse_page

    for name, text in (("synthetic", make_page(5000).text), ("seed-sized", seed_sized_page(5000))):
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            page = parse_page(text, year=None if name == "seed-sized" else 2025,
                              tz="Europe/Kyiv")
            parsed = (time.perf_counter() - wall, time.process_time() - cpu)
            wall, cpu = time.perf_counter(), time.process_time()
            align(page.updates, page.updates)
            aligned = (time.perf_counter() - wall, time.process_time() - cpu)
            print(f"{name}: {len(page.updates)} updates, {len(text):,} characters; parse "
                  f"{parsed[0]:.2f} s wall ({parsed[1]:.2f} s CPU); align with itself "
                  f"{aligned[0]:.2f} s wall ({aligned[1]:.2f} s CPU)")


if __name__ == "__main__":
    main()
