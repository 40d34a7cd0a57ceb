"""A student's cell as the grader prepares it before the sandbox sees it (trusted side).

The grader turns IPython syntax into Python and counts the cell's top-level statements itself,
so what the sandbox later reports about its progress can be checked, and a statement that hung
can be skipped without taking the sandbox's word for which one it was.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_CELL_CHARACTERS = 1_000_000        # larger cells are not run (no honest cell comes close)


@dataclass(frozen=True)
class PreparedCell:
    code: str                 # plain Python, as the sandbox runs it
    statements: int           # top-level statements (0 when it does not parse)
    too_large: bool = False

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) of the code, or '' if there is none: the grader's own copy."""
        lines = self.code.splitlines()
        return lines[number - 1].strip()[:160] if 1 <= number <= len(lines) else ""


def to_python(source: str) -> str:
    """Turn IPython syntax (magics, ``!cmd``) into plain Python (a text transformation only)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def prepare(source: str) -> PreparedCell:
    if len(source) > MAX_CELL_CHARACTERS:
        return PreparedCell("", 0, too_large=True)
    code = to_python(source)
    try:
        statements = len(ast.parse(code).body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        statements = 0
    return PreparedCell(code, statements)
