"""A student's cell as the grader prepares it before the sandbox sees it (trusted side).

The grader turns IPython syntax into Python and counts the cell's top-level statements itself,
so what the sandbox later reports about its progress can be checked, and a statement that hung
can be skipped without taking the sandbox's word for which one it was.

This runs in the grading process on the student's text, so its cost is bounded by the text's
size: cells past ``MAX_CELL_CHARACTERS`` are not prepared (the tokens and the syntax tree of a
cell take ~700 bytes per character), and IPython's transformer, which tokenizes the whole cell
again for every piece of special syntax it rewrites (up to 500 times), may tokenize at most
``TRANSFORM_BUDGET`` characters per cell; a cell that needs more is run as written.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_CELL_CHARACTERS = 100_000          # larger cells are not run (honest cells stay under 6,000)
REMEMBERED_CELLS, REMEMBERED_CELL_CHARACTERS = 2048, 10_000   # what a worker keeps for the whole class:
                                       # its text and code, at most 2 x 4 bytes a character: 160 MiB
TRANSFORM_BUDGET = 250_000             # characters IPython's token transforms may tokenize per cell


@dataclass(frozen=True)
class PreparedCell:
    code: str                 # plain Python, as the sandbox runs it
    statements: int           # top-level statements (0 when it does not parse)
    too_large: bool = False

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) of the code, or '' if there is none: the grader's own copy."""
        lines = self.code.splitlines()
        return lines[number - 1].strip()[:160] if 1 <= number <= len(lines) else ""

    @property
    def lines(self) -> int:
        return len(self.code.splitlines())


@lru_cache(maxsize=1)
def _transformer() -> Any:
    """IPython's TransformerManager with its token loop bounded by ``TRANSFORM_BUDGET``."""
    from IPython.core.inputtransformer2 import TRANSFORM_LOOP_LIMIT, TransformerManager

    class BoundedTransformer(TransformerManager):
        def do_token_transforms(self, lines: list[str]) -> list[str]:
            budget = TRANSFORM_BUDGET
            for _ in range(TRANSFORM_LOOP_LIMIT):
                budget -= sum(map(len, lines)) + 1      # each round tokenizes the whole cell
                if budget < 0:
                    break
                changed, lines = self.do_one_token_transform(lines)
                if not changed:
                    return lines
            raise RuntimeError("more IPython syntax than the grader transforms in a cell this size")

    return BoundedTransformer()


def to_python(source: str) -> str:
    """Turn IPython syntax (magics, ``!cmd``) into plain Python (a text transformation only)."""
    try:
        return _transformer().transform_cell(source)
    except Exception:
        return source


def prepare(source: str) -> PreparedCell:
    """The grader's copy of a cell (frozen; remembered by its text when it is of an honest size:
    most cells of a class are the same, cells too large to run are not transformed at all)."""
    return _remembered(source) if len(source) <= REMEMBERED_CELL_CHARACTERS else _prepare(source)


@lru_cache(maxsize=REMEMBERED_CELLS)
def _remembered(source: str) -> PreparedCell:
    return _prepare(source)


def _prepare(source: str) -> PreparedCell:
    if len(source) > MAX_CELL_CHARACTERS:
        return PreparedCell("", 0, too_large=True)
    code = to_python(source)
    try:
        statements = len(ast.parse(code).body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        statements = 0
    return PreparedCell(code, statements)
