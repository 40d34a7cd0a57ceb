"""Every piece of code a notebook hands students as a hint names only variables they have.

A hint followed literally must not raise NameError: the code of an exercise's text (its fenced
``python`` blocks, the code spans of its "Exercise" and "If you are stuck" paragraphs) and the
indexing expressions in its public tests' ``hint=`` messages may use only the names the answer
cell defines (arguments, the stub's variables, the names the reference solution binds), the
notebook's own globals, builtins, and names the hint binds itself.
"""
from __future__ import annotations

import ast
import builtins
import re
import textwrap

import nbformat
import pytest

from coursekit.assignment import Assignment, is_answer_cell, is_test_cell, nbgrader_meta
from tests.conftest import REPO

ASSIGNMENTS = ["cnn_layers", "cnn_application"]
FENCED = re.compile(r"```python\n(.*?)```", re.S)
SPAN = re.compile(r"`([^`\n]+)`")
INDEXING = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*(?:\[[^\[\]]*\])+")
HINT_PARAGRAPH = re.compile(r"^\s*[-*]?\s*\*\*(Exercise|If you are stuck)|^\s*If you are stuck", re.M)
INDEX_WORDS = re.compile(r"for (?:every|each) `?([A-Za-z_]\w*)`?|for ([A-Za-z_]\w*(?:, [A-Za-z_]\w*)*) in")
DTYPE_WORDS = {"float16", "float32", "float64", "uint8", "int32", "int64"}   # dtype names used as words


def bound_names(tree: ast.AST) -> set[str]:
    """Names a piece of code binds: assignments, loop targets, arguments, imports, definitions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def used_names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def index_words(text: str) -> set[str]:
    """Names a hint's prose binds: "for every `i`", "for t, p in ..."."""
    return {name.strip() for match in INDEX_WORDS.findall(text) for group in match for name in group.split(",")
            if name.strip()}


def snippets_of_text(markdown: str) -> list[tuple[str, set[str]]]:
    """Fenced python blocks anywhere; code spans only in the paragraphs that give hints."""
    found = [(textwrap.dedent(block), set()) for block in FENCED.findall(markdown)]
    for paragraph in re.split(r"\n\s*\n", FENCED.sub("", markdown)):
        hint = bool(HINT_PARAGRAPH.search(paragraph))
        found += [(span, index_words(paragraph)) for span in SPAN.findall(paragraph)
                  if hint or is_statement(span)]
    return found


def is_statement(span: str) -> bool:
    """An update of an array (``x[...] = ...``, ``x += ...``): code to type in, wherever the text
    shows it (``pad = (f - 1) // 2`` is a formula, not a line to paste)."""
    try:
        body = ast.parse(span).body
    except SyntaxError:
        return False
    return any(isinstance(node, ast.AugAssign)
               or (isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) for t in node.targets))
               for node in body)


def snippets_of_hints(test_source: str) -> list[tuple[str, set[str]]]:
    """Indexing expressions (``W[:, :, :, c]``) inside the ``hint=`` strings of a public test."""
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(test_source)):
        if isinstance(node, ast.keyword) and node.arg in ("hint", "on_error"):
            text = "".join(str(v.value) for v in ast.walk(node.value)
                           if isinstance(v, ast.Constant) and isinstance(v.value, str))
            found += [(code, index_words(text)) for code in INDEXING.findall(text)]
    return found


def hints_by_function(name: str) -> dict[str, list[tuple[str, set[str]]]]:
    """For each graded function, the hints students read before and while answering it."""
    nb = nbformat.read(REPO / "release" / name / f"{name}.ipynb", as_version=4)
    out: dict[str, list[tuple[str, set[str]]]] = {}
    pending: list[tuple[str, set[str]]] = []
    current = None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            pending += snippets_of_text(cell.source)
        elif is_answer_cell(cell):
            current = nbgrader_meta(cell)["grade_id"]
            out[current] = pending
            pending = []
        elif is_test_cell(cell) and current and "Public test" in cell.source:
            out[current] += snippets_of_hints(cell.source)
    return out


def parse(snippet: str) -> ast.AST | None:
    """The snippet as code, or None for prose, error messages and shape tuples like (m, n_H)."""
    try:
        tree = ast.parse(snippet)
    except SyntaxError:
        return None
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Tuple):
        return None
    return tree


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_hint_names_only_variables_the_answer_cell_defines(name):
    assignment = Assignment.from_source(REPO / "source" / name / f"{name}.ipynb")
    notebook_globals = set(assignment.reference) | set(dir(builtins))
    hints = hints_by_function(name)
    assert set(hints) == set(assignment.functions)
    assert sum(len(h) for h in hints.values()) >= 2 * len(hints), "the hints were not found"
    unknown = []
    for function, snippets in hints.items():
        defined = bound_names(ast.parse(assignment.answers[function])) | notebook_globals
        for snippet, words in snippets:
            tree = parse(snippet)
            if tree is None:
                continue                      # prose or an error message, not code
            missing = used_names(tree) - defined - bound_names(tree) - words - DTYPE_WORDS
            if missing:
                unknown.append(f"{function}: `{snippet}` uses {sorted(missing)}")
    assert not unknown, "hints that would raise NameError:\n" + "\n".join(unknown)


def test_the_check_catches_a_hint_naming_a_variable_the_stub_never_defines():
    # the hint issue 24 found: pool_forward's text used a_prev, which its stub never defines
    assignment = Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb")
    defined = bound_names(ast.parse(assignment.answers["pool_forward"])) | set(assignment.reference)
    tree = parse("a_prev[vert_start:vert_end, horiz_start:horiz_end, c]")
    assert used_names(tree) - defined - bound_names(tree) == {"a_prev"}
    assert snippets_of_text("**Exercise 4.** Use `a_prev[0, c]`.\n\nElsewhere `Z[i]`, `x[i, window] += 1`.") == [
        ("a_prev[0, c]", set()), ("x[i, window] += 1", set())]
    assert snippets_of_hints('expect(hint="add 1 to M[t, p] for t, p in zip(a, b)")') == [("M[t, p]", {"t", "p"})]
