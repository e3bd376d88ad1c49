"""Stealth-edit detection measured on the labelled corpus (issue 16).

    .venv/bin/python bench/stealth.py [--split dev|heldout|fresh|all] [--failures] [--json]

For each split (dev: the pairs the detector was developed against; held-out: the third it
was not, until its first run; fresh: a second unseen set written after that run) and
overall, prints per category: recall on fact changes (the share that ``text_findings``
flags) and false alarms on style changes (the share it flags), beside the targets
(recall >= 0.98, false alarms <= 0.03). ``--failures`` lists the pairs it gets wrong, for
the split asked for. The corpus lives in tests/standards/stealth_corpus/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "tests" / "standards" / "stealth_corpus"
SPLITS = ("dev", "heldout", "fresh")
RECALL_TARGET = 0.98
FALSE_ALARM_TARGET = 0.03


def load(split: str) -> list[dict[str, Any]]:
    path = CORPUS / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from storylog.domain.stealth import text_findings

    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"label": "", "n": 0, "flagged": 0})
    wrong = []
    for r in rows:
        findings = text_findings(r["before"], r["after"])
        cell = per[r["category"]]
        cell["label"] = r["label"]
        cell["n"] += 1
        cell["flagged"] += bool(findings)
        if bool(findings) != (r["label"] == "fact"):
            wrong.append({**r, "findings": findings})
    facts = [c for c in per.values() if c["label"] == "fact"]
    styles = [c for c in per.values() if c["label"] == "style"]
    n_fact = sum(c["n"] for c in facts)
    n_style = sum(c["n"] for c in styles)
    return {
        "categories": {k: dict(v) for k, v in sorted(per.items())},
        "fact_pairs": n_fact,
        "style_pairs": n_style,
        "recall": sum(c["flagged"] for c in facts) / n_fact if n_fact else None,
        "false_alarms": sum(c["flagged"] for c in styles) / n_style if n_style else None,
        "wrong": wrong,
    }


def _rate(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def report(name: str, s: dict[str, Any]) -> list[str]:
    lines = [f"== {name}: {s['fact_pairs']} fact pairs, {s['style_pairs']} style pairs",
             f"   recall on fact changes  {_rate(s['recall'])}  (target >= {RECALL_TARGET})",
             f"   false alarms on style   {_rate(s['false_alarms'])}  "
             f"(target <= {FALSE_ALARM_TARGET})"]
    for label, head in (("fact", "recall"), ("style", "false alarms")):
        lines.append(f"   {label:5} {'category':20} {'pairs':>5} {head:>12}")
        for cat, c in s["categories"].items():
            if c["label"] == label:
                lines.append(f"         {cat:20} {c['n']:5} {c['flagged'] / c['n']:12.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE.parent / "src"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    rows = {s: load(s) for s in splits}
    started = time.perf_counter()
    scores = {s: score(rows[s]) for s in splits}
    if len(splits) > 1:
        scores["overall"] = score([r for s in splits for r in rows[s]])
    elapsed = time.perf_counter() - started
    pairs = sum(len(r) for r in rows.values())
    if args.json:
        print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "wrong"}
                          for k, v in scores.items()}, indent=2))
        return 0
    for name, s in scores.items():
        print("\n".join(report(name, s)))
    print(f"({pairs} pairs scored in {elapsed:.2f} s, "
          f"{1000 * elapsed / max(pairs, 1) * (2 if len(splits) > 1 else 1):.2f} ms a pair)")
    if args.failures:
        for name in splits:
            for w in scores[name]["wrong"]:
                print(f"\n[{name}] {w['label']} / {w['category']}: {w['why']}\n"
                      f"  - {w['before']}\n  + {w['after']}\n  found: {w['findings']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
