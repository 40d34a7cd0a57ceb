"""Mutants of a graded function's reference solution, made from its AST.

Only code inside the solution regions (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) is
mutated: that is the code students write. The operators model the mistakes of this field
(off-by-one bounds, a dropped stride, ``w`` for ``h``, swapped axes, ``max`` for ``min``, ``+=``
for ``=``, a dropped term or cast, ``[a:-b]`` slices, a removed statement, an early return...).
The same answer cell always gives the same mutants, in the same order.
"""
from __future__ import annotations

import ast
import copy
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Replacement = tuple[ast.AST, str]          # (new node, operator name)

# attribute or function names a student confuses with one another
SWAPPED_CALLS = {"max": "min", "min": "max", "argmax": "argmin", "argmin": "argmax", "mean": "sum",
                 "sum": "mean", "maximum": "minimum", "minimum": "maximum", "zeros": "ones", "ones": "zeros",
                 "zeros_like": "ones_like", "ones_like": "zeros_like"}
SWAPPED_DTYPES = {"float32": "float64", "float64": "float32", "int32": "int64", "int64": "int32"}
# pieces of names that come in pairs: w for h, vert for horiz, W for H, 2 for 1...
NAME_PAIRS = [("h", "w"), ("H", "W"), ("vert", "horiz"), ("start", "end"), ("1", "2"), ("2", "3"),
              ("X", "Y"), ("x", "y"), ("rows", "cols"), ("true", "pred"), ("A", "Z"), ("prev", "")]
BINOP_SWAPS: dict[type, list[type]] = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div],
                                       ast.Div: [ast.FloorDiv, ast.Mult], ast.FloorDiv: [ast.Div]}
COMPARE_SWAPS: dict[type, type] = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
                                   ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclass
class Mutant:
    function: str
    number: int                # position among the function's mutants, from 1
    operator: str
    line: int                  # line of the answer cell
    cell: str                  # the mutated answer cell, as a student would submit it
    diff: str                  # readable unified diff of the function, reference -> mutant

    @property
    def id(self) -> str:
        return f"{self.function}-{self.number:03d}"


def solution_lines(cell: str) -> set[int]:
    """Line numbers (1-based) strictly inside the solution regions of an answer cell."""
    inside, lines = False, set()
    for number, line in enumerate(cell.splitlines(), start=1):
        stripped = line.strip()
        if stripped == "### BEGIN SOLUTION":
            inside = True
        elif stripped == "### END SOLUTION":
            inside = False
        elif inside:
            lines.add(number)
    return lines


class _Context:
    """What the operators need to know about the function being mutated."""

    def __init__(self, func: ast.FunctionDef) -> None:
        self.names = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
        self.final_return = next((s for s in reversed(func.body) if isinstance(s, ast.Return)), None)
        self.strings: dict[str, list[str]] = {}
        parents = _parents(func)
        for node in ast.walk(func):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and not _is_docstring(node, parents):
                role = _string_role(node, parents)
                if role and node.value not in self.strings.setdefault(role, []):
                    self.strings[role].append(node.value)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_docstring(node: ast.AST, parents: dict) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(parents.get(parent), ast.FunctionDef)


def _string_role(node: ast.AST, parents: dict) -> str | None:
    parent = parents.get(node)
    if isinstance(parent, ast.Subscript):
        return "key"
    if isinstance(parent, ast.Compare):
        return "compared"
    if isinstance(parent, ast.keyword):
        return f"keyword {parent.arg}"
    return None


def _num(value: int | float) -> ast.expr:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _plus(node: ast.expr, k: int) -> ast.expr:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return _num(node.value + k)
    return ast.BinOp(copy.deepcopy(node), ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _same(a: ast.AST | None, b: ast.AST | None) -> bool:
    return a is not None and b is not None and ast.dump(a) == ast.dump(b)


def _replace_field(node: ast.AST, field: str, value: object) -> ast.AST:
    new = copy.deepcopy(node)
    setattr(new, field, value)
    return new


# -- the operators: each yields replacements for one node --------------------------------------

def off_by_one(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """range() arguments and slice bounds one too large or too small."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        for i, arg in enumerate(node.args[:2]):
            for k in (1, -1):
                args = [copy.deepcopy(a) for a in node.args]
                args[i] = _plus(arg, k)
                yield _replace_field(node, "args", args), "off-by-one in a range"
    if isinstance(node, ast.Slice):
        for field in ("lower", "upper"):
            bound = getattr(node, field)
            if bound is not None:
                for k in (1, -1):
                    yield _replace_field(node, field, _plus(bound, k)), "off-by-one in a slice bound"


def negative_slice(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``x[a:a + n]`` written ``x[a:-a]`` (empty when ``a == 0``)."""
    if (isinstance(node, ast.Slice) and node.lower is not None and isinstance(node.upper, ast.BinOp)
            and isinstance(node.upper.op, ast.Add) and _same(node.lower, node.upper.left)):
        yield _replace_field(node, "upper", ast.UnaryOp(ast.USub(), copy.deepcopy(node.lower))), "[a:-b] slice"


def dropped_factor(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``h * stride`` -> ``h``: a product that loses one factor (a dropped stride)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.FloorDiv)):
        yield copy.deepcopy(node.left), "dropped factor"
        if isinstance(node.op, ast.Mult):
            yield copy.deepcopy(node.right), "dropped factor"


def dropped_term(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``a + b`` -> ``a`` or ``b``: a dropped bias, padding or offset."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield copy.deepcopy(node.left), "dropped term"
        yield copy.deepcopy(node.right), "dropped term"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield copy.deepcopy(node.operand), "dropped sign"


def arithmetic(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    if isinstance(node, ast.BinOp):
        for op in BINOP_SWAPS.get(type(node.op), []):
            yield _replace_field(node, "op", op()), "wrong arithmetic operator"


def comparison(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
        yield _replace_field(node, "ops", [COMPARE_SWAPS[type(node.ops[0])]()]), "wrong comparison"


def swapped_names(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``w`` for ``h``, ``n_W`` for ``n_H``, ``horiz_end`` for ``vert_end``: a name's twin."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        for twin in sorted(_twins(node.id) & ctx.names):
            yield ast.Name(twin, ast.Load()), "swapped variable"


def _twins(name: str) -> set[str]:
    twins = set()
    for a, b in NAME_PAIRS:
        for old, new in ((a, b), (b, a)):
            if not old:
                continue
            pattern = rf"(?<![A-Za-z0-9]){re.escape(old)}(?![A-Za-z0-9])" if len(old) == 1 else re.escape(old)
            for match in re.finditer(pattern, name):
                twin = name[:match.start()] + new + name[match.end():]
                twin = re.sub("__+", "_", twin).strip("_")
                if twin and twin != name:
                    twins.add(twin)
    return twins


def swapped_elements(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """Swapped axes, indices, shape entries, unpacked names and call arguments."""
    if isinstance(node, ast.Tuple):
        items, what = node.elts, "swapped tuple entries"
    elif isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
        items, what = node.args, "swapped arguments"
    else:
        return
    for i in range(len(items) - 1):
        if not _same(items[i], items[i + 1]):
            swapped = [copy.deepcopy(e) for e in items]
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            yield _replace_field(node, "elts" if isinstance(node, ast.Tuple) else "args", swapped), what


def changed_index(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``W.shape[0]`` -> ``W.shape[1]``: an integer index one off."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and type(node.slice.value) is int:
        for k in (1, -1):
            yield _replace_field(node, "slice", _num(node.slice.value + k)), "changed index"


def swapped_call(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``max`` for ``min``, ``mean`` for ``sum``, ``zeros`` for ``ones``, a dtype for another."""
    if isinstance(node, ast.Attribute):
        table = {**SWAPPED_CALLS, **SWAPPED_DTYPES}
        if node.attr in table:
            what = "dtype" if node.attr in SWAPPED_DTYPES else "swapped function"
            yield _replace_field(node, "attr", table[node.attr]), what
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in ("max", "min", "sum"):
        yield ast.Name({"max": "min", "min": "max", "sum": "len"}[node.id], ast.Load()), "swapped function"


def axis(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """The wrong ``axis=`` (or none)."""
    if isinstance(node, ast.Call):
        for i, kw in enumerate(node.keywords):
            if kw.arg == "axis":
                rest = [copy.deepcopy(k) for j, k in enumerate(node.keywords) if j != i]
                yield _replace_field(node, "keywords", rest), "dropped axis"
                for value in (0, 1, -1):
                    if not (isinstance(kw.value, ast.Constant) and kw.value.value == value):
                        keywords = [copy.deepcopy(k) for k in node.keywords]
                        keywords[i] = ast.keyword("axis", _num(value))
                        yield _replace_field(node, "keywords", keywords), "wrong axis"


def cast(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """A dropped dtype cast or conversion: ``.astype(T)``, ``dtype=``, ``float()``, ``.item()``."""
    if not isinstance(node, ast.Call):
        return
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in ("astype", "item"):
        yield copy.deepcopy(func.value), "dropped cast"
    if isinstance(func, ast.Name) and func.id in ("float", "int") and len(node.args) == 1:
        yield copy.deepcopy(node.args[0]), "dropped cast"
    for i, kw in enumerate(node.keywords):
        if kw.arg == "dtype":
            yield _replace_field(node, "keywords", [copy.deepcopy(k) for j, k in enumerate(node.keywords) if j != i]), \
                "dropped dtype"


def dropped_call(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``zero_pad(A, pad)`` -> ``A``: a step forgotten, its input used as is."""
    if (isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred)
            and not (isinstance(node.func, ast.Name) and node.func.id in ("range", "float", "int"))):
        yield copy.deepcopy(node.args[0]), "dropped call"


def changed_constant(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return
    value = node.value
    if isinstance(value, (int, float)):
        others = [value + 1, value - 1, 0, 1] if isinstance(value, int) else [value * 2, value / 2, 0.0]
        for new in dict.fromkeys(others):
            if new != value:
                yield _num(new), "changed constant"


def swapped_string(node: ast.AST, ctx: _Context, parents: dict) -> Iterator[Replacement]:
    """A key, mode or option for another of the same role: ``"stride"`` for ``"pad"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        role = _string_role(node, parents)
        for other in ctx.strings.get(role or "", []):
            if other != node.value:
                yield ast.Constant(other), "swapped string"


def removed_statement(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    if isinstance(node, ast.stmt) and not isinstance(node, (ast.FunctionDef, ast.Pass)):
        yield ast.Pass(), "removed statement"


def augmented(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """``+=`` written ``=`` (overlapping windows overwrite each other) or ``-=``."""
    if isinstance(node, ast.AugAssign):
        yield ast.Assign([copy.deepcopy(node.target)], copy.deepcopy(node.value)), "+= to ="
        if isinstance(node.op, ast.Add):
            yield _replace_field(node, "op", ast.Sub()), "+= to -="


def early_return(node: ast.AST, ctx: _Context) -> Iterator[Replacement]:
    """The final ``return`` indented into a loop: the function stops after one pass."""
    if isinstance(node, (ast.For, ast.While)) and ctx.final_return is not None:
        yield _replace_field(node, "body", copy.deepcopy(node.body) + [copy.deepcopy(ctx.final_return)]), \
            "early return"


OPERATORS: list[Callable[[ast.AST, _Context], Iterator[Replacement]]] = [
    off_by_one, negative_slice, dropped_factor, dropped_term, arithmetic, comparison, swapped_names,
    swapped_elements, changed_index, swapped_call, axis, cast, dropped_call, changed_constant,
    removed_statement, augmented]


def mutants(function: str, cell: str) -> list[Mutant]:
    """Every distinct mutant of ``function`` in its answer cell, in a fixed order."""
    tree = ast.parse(cell)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    scope = solution_lines(cell)
    ctx = _Context(func)
    parents = _parents(tree)
    reference = ast.unparse(func)
    nodes = list(ast.walk(tree))
    seen: set[str] = {reference}
    found: list = []
    for index, node in enumerate(nodes):
        replacements: list[Replacement] = []
        if isinstance(node, (ast.For, ast.While)) and getattr(node, "lineno", 0) > func.lineno:
            replacements += early_return(node, ctx)       # a mis-indented return: anywhere in the body
        if getattr(node, "lineno", None) in scope and not _is_docstring(node, parents):
            for operator in OPERATORS:
                replacements += operator(node, ctx)
            replacements += swapped_string(node, ctx, parents)
        for new, name in replacements:
            mutated = _apply(tree, index, new)
            mutated_func = next(n for n in mutated.body if isinstance(n, ast.FunctionDef) and n.name == function)
            text = ast.unparse(mutated_func)
            if text in seen:
                continue
            try:
                compile(mutated, "<mutant>", "exec")
            except SyntaxError:
                continue
            seen.add(text)
            diff = "\n".join(difflib.unified_diff(reference.splitlines(), text.splitlines(),
                                                  "reference", "mutant", n=1, lineterm=""))
            found.append(Mutant(function, len(found) + 1, name, getattr(node, "lineno", 0),
                                ast.unparse(mutated), diff))
    return found


def _apply(tree: ast.Module, index: int, new: ast.AST) -> ast.Module:
    """A copy of ``tree`` whose ``index``-th node (in ``ast.walk`` order) is ``new``."""
    mutated = copy.deepcopy(tree)
    target = list(ast.walk(mutated))[index]
    for parent in ast.walk(mutated):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return ast.fix_missing_locations(mutated)
            if isinstance(value, list) and any(item is target for item in value):
                value[[i for i, item in enumerate(value) if item is target][0]] = new
                return ast.fix_missing_locations(mutated)
    raise ValueError("node to mutate not found")
