"""Which students' answers are more alike than this class explains: fingerprints (copydetect's
winnowing, as in MOSS), scaffolding removed, common passages ignored, pairs ranked by how
unusual they are among all pairs of the class.

Honest solutions of this assignment look alike: the same loops, the same window formulas. So a
fingerprint counts only if few students share it (MOSS's "-m": passages found in many
submissions are ignored), and a pair is flagged only when its share of such rare passages is an
outlier among all pairs of this class (robust z-score), not when it passes a fixed threshold.
"""
from __future__ import annotations

import copy
import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files

from coursekit.assignment import Assignment, nbgrader_meta

NOISE_TOKENS = 12       # k: shortest passage that counts (tokens, after names are normalised)
WINDOW = 4              # winnowing window: every match of k + WINDOW - 1 tokens is found
FLAG_Z = 4.0            # how far above the class's usual pair a flagged pair lies (robust z)


@dataclass
class Pair:
    a: str
    b: str
    rare: int                    # fingerprints the two share and (almost) nobody else has
    share: float                 # rare shared fingerprints / fingerprints of the smaller answer
    z: float                     # how unusual ``share`` is among all pairs of this class
    flagged: bool
    code: tuple[str, str] = ("", "")
    slices: tuple = field(default=((), ()))


def answers(nb: nbformat.NotebookNode, functions: list[str]) -> str:
    """The student's answer cells (graded functions only), in notebook order."""
    return "\n\n".join(c.source for c in nb.cells
                       if c.cell_type == "code" and nbgrader_meta(c).get("grade_id") in functions)


def fingerprint(name: str, code: str, boilerplate: set | None = None, window: int = WINDOW) -> CodeFingerprint:
    return CodeFingerprint(f"{name}.py", NOISE_TOKENS, window, boilerplate=list(boilerplate or []),
                           language="python", fp=io.StringIO(code))


def read_class(folder: Path, assignment: Assignment) -> dict[str, str]:
    """Every readable submission's answers: ``folder``/<student>/<assignment>/<notebook>.ipynb."""
    codes = {}
    for path in sorted(folder.glob(f"*/{assignment.name}/{assignment.notebook}.ipynb")):
        if path.is_symlink():
            continue
        try:
            codes[path.parts[-3]] = answers(nbformat.read(path, as_version=4), assignment.functions)
        except Exception:          # unreadable submissions have nothing to compare
            continue
    return codes


def similar_pairs(codes: dict[str, str], scaffolding: str, top: int = 10) -> list[Pair]:
    """The ``top`` most unusual pairs of the class, most unusual first."""
    boilerplate = fingerprint("scaffolding", scaffolding, window=1).hashes
    prints = {s: fingerprint(s, code, boilerplate) for s, code in codes.items()}
    holders = Counter(h for fp in prints.values() for h in fp.hashes)
    common = max(2, round(0.1 * len(prints)))          # shared by more than this: a common idiom
    scored = []
    for a, b in combinations(sorted(prints), 2):
        rare = {h for h in prints[a].hashes & prints[b].hashes if holders[h] <= common}
        smaller = max(1, min(len(prints[a].hashes), len(prints[b].hashes)))
        scored.append((a, b, rare, len(rare) / smaller))
    shares = [s for *_, s in scored] or [0.0]
    median = statistics.median(shares)
    spread = max(1.4826 * statistics.median(abs(s - median) for s in shares), 0.02)
    pairs = []
    for a, b, rare, share in sorted(scored, key=lambda item: -item[3])[:top]:
        z = (share - median) / spread
        pair = Pair(a, b, len(rare), round(share, 3), round(z, 1), z >= FLAG_Z and len(rare) >= 3)
        if rare:
            pair.code, pair.slices = (codes[a], codes[b]), _matching_regions(prints[a], prints[b], rare)
        pairs.append(pair)
    return pairs


def _matching_regions(fa: CodeFingerprint, fb: CodeFingerprint, rare: set) -> tuple:
    """Character ranges of the rare shared passages in each answer."""
    fa, fb = copy.copy(fa), copy.copy(fb)
    fa.hashes, fb.hashes = rare & fa.hashes, rare & fb.hashes
    _, _, (slices_a, slices_b) = compare_files(fa, fb)
    as_list = lambda s: [(int(x), int(y)) for x, y in zip(*s, strict=True)] if len(s) and np.size(s) else []
    return as_list(slices_a), as_list(slices_b)


def scaffolding_of(release: Path, functions: list[str]) -> str:
    """What every student was given: the release's answer cells."""
    return answers(nbformat.read(release, as_version=4), functions)
