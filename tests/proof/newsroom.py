"""A small newsroom store with every kind of event, built through the real command line:
the tamper and bad-input suites work on it."""

from __future__ import annotations

from tests.conftest import Cli

SLUG = "bridge-live"


def build_newsroom(cli: Cli) -> None:
    """Two stories and the source registry: 31 + 3 + 2 events."""
    ok = cli.ok
    ok("new", SLUG, "--headline", "Battle for the bridge", "--standfirst",
       "What we know about the fighting.", "--tz", "Europe/Kyiv", editor="ana")
    for i, (stamp, text, source) in enumerate([
        ("2025-11-04 09:00", "Shelling reported near the bridge.", "Reuters"),
        ("2025-11-04 10:30", "About 80% of the town is under control, Röpcke said.",
         "Julian Röpcke,kind=analyst,via=Bild"),
        ("2025-11-04 11:15", "Video shows the bridge destroyed.", "Deep State,kind=osint"),
        ("2025-11-04 12:00", "مصادر محلية: الجسر مغلق. The crossing is closed.", "Al Jazeera"),
        ("2025-11-04 13:45", "The General Staff denied any encirclement.",
         "General Staff,kind=official"),
        ("2025-11-04 15:20", "Evacuation buses left at 15:00 — 🚌 three of them.", "Suspilne"),
    ], start=1):
        ok("add", SLUG, "--id", f"u{i}", "--stamp", stamp, "--text", text, "--source", source,
           *(["--key-event"] if i == 3 else []),
           *(["--picture", "The bridge at dawn", "--picture-url",
              "https://example.org/bridge.jpg", "--credit", "Reuters"] if i == 1 else []),
           *(["--link", "https://deepstatemap.live", "--link-label", "Map"] if i == 3 else []),
           editor="bob" if i % 2 else "ana")
    ok("publish", SLUG, "--note", "Morning", editor="ana")
    ok("edit", SLUG, "u2", "--kind", "correction", "--reason", "misread the figure",
       "--note", "An earlier version said 80%; he said 85%.", "--text",
       "About 85% of the town is under control, Röpcke said.", editor="cara")
    ok("edit", SLUG, "u1", "--kind", "copy-edit", "--reason", "style",
       "--text", "Shelling was reported near the bridge.", editor="ana")
    ok("edit", SLUG, "u4", "--kind", "update", "--reason", "confirmed",
       "--status", "verified", editor="bob")
    ok("retract", SLUG, "u3", "--reason", "the video is from 2023",
       "--note", "This update was withdrawn: the video was older than reported.", editor="ana")
    ok("review", SLUG, "u2", "--revision", "2", "--note", "fine", editor="desk")
    ok("publish", SLUG, "--note", "Noon", editor="ana")
    ok("retitle", SLUG, "--headline", "Bridge destroyed near Pokrovsk", "--reason", "news",
       editor="ana")
    ok("takedown", SLUG, "u6", "--grounds", "legal", "--reason", "court letter", editor="desk")
    ok("edit", SLUG, "u5", "--kind", "clarification", "--reason", "context",
       "--note", "The General Staff spoke in the evening.", "--text",
       "In the evening, the General Staff denied any encirclement.", editor="cara")
    for i in range(7, 17):
        ok("add", SLUG, "--id", f"u{i}", "--stamp", f"2025-11-05 {i:02d}:00", "--text",
           f"Update {i}: fighting continues in district {i}.", "--source", "Reuters",
           editor="bob")
        if i % 4 == 0:
            ok("edit", SLUG, f"u{i}", "--kind", "update", "--reason", "more",
               "--text", f"Update {i}: fighting continues in districts {i} and {i + 1}.",
               editor="ana")
    ok("publish", SLUG, "--note", "Evening", editor="ana")
    ok("source", "merge", "Al Jazeera", "Reuters", "--reason", "test merge", editor="desk")
    ok("new", "other-story", "--headline", "Elsewhere", editor="ana")
    ok("add", "other-story", "--text", "Nothing to see.", "--stamp", "2025-11-04 09:00",
       editor="ana")
    ok("publish", "other-story", editor="ana")
