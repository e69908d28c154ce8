"""Does a well-kept lexical resource do the job of the reference model's hand-written word groups?

The reference model matches a request word to a tool word through related-word groups
(`src/agent_lib/emulator/models/ref/related_words.json`, hand-written). This experiment swaps
those groups for WordNet's synsets (Princeton WordNet 3.0, read from the files of Debian's
`wordnet-base` package; `apt-get install wordnet-base`, or point WORDNET_DIR at the same files)
and measures, with the same code otherwise, next to the trivial baselines:

* the routing development set and the known-weakness set (`run.py`),
* BFCL v4 (`public_bfcl.py`, the public set),
* the expectations of `tests/models/` (run in this process, under each variant).

Variants: `hand` (as shipped), `none` (no groups: what any groups buy), `wordnet` (every synset
with two or more one-word lemmas), `wordnet-first` (a word only in its most frequent sense per
part of speech, per WordNet's sense order), `hand+wordnet` and `hand+wordnet-first` (both).

    uv run --frozen python bench/routing/wordnet.py [--no-bfcl] [--no-tests]

WordNet is read here with a reader of its documented file format (wndb(5WN)): no dependency.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import public_bfcl  # noqa: E402
import run  # noqa: E402

from agent_lib.emulator.models.ref import lexicon  # noqa: E402

POS = ("noun", "verb", "adj", "adv")
_LEMMA = re.compile(r"^[a-z]+$")


def wordnet_dir() -> Path:
    found = Path(os.environ.get("WORDNET_DIR", "/usr/share/wordnet"))
    if not (found / "data.noun").exists():
        sys.exit(f"WordNet not found in {found}: apt-get install wordnet-base, or set WORDNET_DIR")
    return found


def _lemma(word: str) -> str:
    return re.sub(r"\(.*\)$", "", word).lower()  # adjectives carry a marker: "galore(ip)"


def synsets(root: Path) -> Iterator[tuple[str, int, list[str]]]:
    """(part of speech, offset, lemmas) for every synset; a data line is `offset lex_filenum
    ss_type w_cnt (word lex_id){w_cnt} ...`, w_cnt in hex; license lines start with spaces."""
    for pos, fields in _records(root, "data"):
        count = int(fields[3], 16)
        yield pos, int(fields[0]), [_lemma(fields[4 + 2 * i]) for i in range(count)]


def _records(root: Path, kind: str) -> Iterator[tuple[str, list[str]]]:
    """(part of speech, fields) of every line of the `kind` files (data, index), license lines skipped."""
    for pos in POS:
        with (root / f"{kind}.{pos}").open(encoding="utf-8") as f:
            yield from ((pos, line.split()) for line in f if not line.startswith("  "))


def first_senses(root: Path) -> set[tuple[str, int, str]]:
    """(pos, synset offset, lemma) for each lemma's most frequent sense: an index line is `lemma pos
    synset_cnt p_cnt ptr{p_cnt} sense_cnt tagsense_cnt offset{synset_cnt}`, senses in frequency order."""
    out = set()
    for pos, fields in _records(root, "index"):
        n_synsets, n_pointers = int(fields[2]), int(fields[3])
        offsets = fields[6 + n_pointers:6 + n_pointers + n_synsets]
        out.add((pos, int(offsets[0]), fields[0].lower()))
    return out


def wordnet_groups(root: Path, *, first_only: bool) -> list[str]:
    """Synsets as word groups: one-word lemmas only (the model matches single words), two or more."""
    first = first_senses(root) if first_only else None
    groups = []
    for pos, offset, lemmas in synsets(root):
        words = sorted({w for w in lemmas if _LEMMA.match(w)
                        and (first is None or (pos, offset, w) in first)})
        if len(words) >= 2:
            groups.append(" ".join(words))
    return groups


def variants(root: Path) -> dict[str, list[str]]:
    hand = list(lexicon.groups())
    every = wordnet_groups(root, first_only=False)
    first = wordnet_groups(root, first_only=True)
    return {"hand": hand, "none": [], "wordnet": every, "wordnet-first": first,
            "hand+wordnet": hand + every, "hand+wordnet-first": hand + first}


class _Count:
    """A pytest plugin that counts test outcomes."""

    def __init__(self) -> None:
        self.passed = self.failed = 0
        self.failures: list[str] = []

    def pytest_runtest_logreport(self, report) -> None:  # noqa: ANN001 (pytest's hook signature)
        if report.when == "call" or (report.when == "setup" and report.failed):
            if report.passed:
                self.passed += 1
            elif report.failed:
                self.failed += 1
                self.failures.append(report.nodeid.split("::", 1)[-1])


def run_tests() -> _Count:
    import pytest

    count = _Count()
    pytest.main(["-qq", "--tb=no", "-rN", "-p", "no:cacheprovider", "--no-header", "-o", "addopts=",
                 str(ROOT / "tests" / "models" / "test_reference_model.py")], plugins=[count])
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-bfcl", action="store_true", help="skip BFCL (about 20 s a variant)")
    parser.add_argument("--no-tests", action="store_true", help="skip tests/models")
    parser.add_argument("--only", nargs="*", help="variants to run (default: all)")
    args = parser.parse_args(argv)
    root = wordnet_dir()
    rows = []
    for name, groups in variants(root).items():
        if args.only and name not in args.only:
            continue
        start = time.perf_counter()
        with lexicon.using(groups):
            dev, weak = run.evaluate(), run.evaluate(known_weak=True)
            bfcl = {} if args.no_bfcl else public_bfcl.run(None)
            tests = None if args.no_tests else run_tests()
        rows.append((name, len(groups), dev, weak, bfcl, tests))
        print(f"{name}: {len(groups)} groups, {time.perf_counter() - start:.0f} s", file=sys.stderr)
    baselines = {label: (run.evaluate(cls()), run.evaluate(cls(), known_weak=True),
                         {} if args.no_bfcl else public_bfcl.run(None, cls()))
                 for label, cls in run.BASELINES.items()}
    print(table(rows, baselines))
    for name, *_, tests in rows:
        if tests and tests.failures:
            print(f"\n{name}: tests/models failing: {', '.join(tests.failures)}")


def _pct(good: int, total: int) -> str:
    return f"{good / total:.1%}" if total else "—"


def _dev_cells(outcomes: list[run.Outcome]) -> list[str]:
    cells = []
    for _, subset in run._splits(outcomes):
        r = run.rates(subset)
        cells.append(f"{r['tool_choice']:.1%} / {r['abstention']:.1%}")
    r = run.rates(outcomes)
    cells.append(f"{r['arguments']:.1%}")
    return cells


def _bfcl_cells(bfcl: dict[str, tuple[int, int]]) -> list[str]:
    return [_pct(*bfcl[s]) if s in bfcl else "—" for s in public_bfcl.SETS]


def table(rows: list, baselines: dict) -> str:
    head = ("| groups | n | dev-a choice / abst. | dev-b choice / abst. | dev all choice / abst. | dev args "
            "| known-weak choice / abst. | " + " | ".join(f"BFCL {s}" for s in public_bfcl.SETS) + " | tests/models |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name, n, dev, weak, bfcl, tests in rows:
        w = run.rates(weak)
        t = f"{tests.passed} passed, {tests.failed} failed" if tests else "—"
        lines.append(f"| {name} | {n} | " + " | ".join(_dev_cells(dev)) +
                     f" | {w['tool_choice']:.1%} / {w['abstention']:.1%} | " + " | ".join(_bfcl_cells(bfcl)) + f" | {t} |")
    for label, (dev, weak, bfcl) in baselines.items():
        w = run.rates(weak)
        lines.append(f"| baseline: {label} | — | " + " | ".join(_dev_cells(dev)) +
                     f" | {w['tool_choice']:.1%} / {w['abstention']:.1%} | " + " | ".join(_bfcl_cells(bfcl)) + " | — |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
