"""The importer against its corpus (tests/importer/corpus/): the share of pages imported
exactly, and source recall and precision, for the development pages and the held-out third
apart. It prints its figures; the targets are asserted by tests/importer/test_corpus.py.

    .venv/bin/python bench/import_corpus.py              # both splits
    .venv/bin/python bench/import_corpus.py --split dev  # while developing
    .venv/bin/python bench/import_corpus.py -v           # and what each page got wrong
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.importer.corpus import pages, score, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "held-out", "all"], default="all")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    splits = ["dev", "held-out"] if args.split == "all" else [args.split]
    for split in splits:
        scores = [score(page) for page in pages(split)]
        t = totals(scores)
        print(f"{split:8}  pages {t.pages:3}  exact {t.exact}/{t.pages} "
              f"({t.exact / t.pages:.0%})  source recall {t.recall:.3f}  "
              f"precision {t.precision:.3f}")
        if args.verbose:
            for s in scores:
                if s.error or s.mismatches:
                    print(f"  {s.name}: {s.error or ''}")
                    for mismatch in s.mismatches:
                        print(f"    {mismatch}")


if __name__ == "__main__":
    main()
