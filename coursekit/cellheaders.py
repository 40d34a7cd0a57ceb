"""The short cell headers of the plain-text notebooks (``notebooks/<a>/<a>.py``).

A notebook is jupytext's percent format, except that a graded or read-only cell says what it
is in a few words instead of nbgrader's JSON::

    # %% [markdown]                               text (jupytext's own header, as are # %% [raw])
    # %%                                          a code cell students may edit, not graded
    # %% answer zero_pad                          the answer cell of zero_pad (grade_id zero_pad)
    # %% test zero_pad published points=1         a public test (grade_id test_zero_pad_published)
    # %% test zero_pad fresh_inputs points=2 hidden   a hidden test
    # %% locked packages                          a read-only cell run everywhere (imports...)
    # %% locked figure_pooling skip-at-grading    a read-only cell not run at grading
    # %% locked accuracy skip-at-grading raises-exception   ... that may raise in the release

Every test cell is read-only, autograded and tagged ``raises-exception`` (a failing test does
not stop the notebook). In a ``hidden`` test, the comment lines at the top of the cell stay
visible (what it tests, its points) and the rest of the cell is its hidden part: the build adds
nbgrader's ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` lines around it. Any other
header is an error that names its line. ``expand`` turns such a text into jupytext's own (what
``coursekit build`` reads); ``shorten`` is the way back.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from coursekit.assignment import HIDDEN_BEGIN, HIDDEN_END, SKIP_AT_GRADING_TAG

RAISES_TAG = "raises-exception"          # Jupyter's tag: the notebook goes on after an error
LOCKED_TAGS = (SKIP_AT_GRADING_TAG, RAISES_TAG)     # the words a locked cell may carry, in order
KINDS = ("answer", "test", "locked")
MARKER = "# %%"
BEGIN_LINE, END_LINE = f"### {HIDDEN_BEGIN}", f"### {HIDDEN_END}"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
POINTS = re.compile(r"points=(\d+(?:\.\d+)?)\Z")


class HeaderError(ValueError):
    """A cell header outside the grammar (the message names the line)."""


@dataclass(frozen=True)
class Header:
    kind: str                            # one of KINDS
    name: str                            # answer/locked: the grade_id; test: the function tested
    test: str = ""                       # test only: the test's own name (grade_id test_<name>_<test>)
    points: float = 0
    hidden: bool = False
    tags: tuple[str, ...] = ()           # locked only: a subset of LOCKED_TAGS, in that order

    @property
    def grade_id(self) -> str:
        return f"test_{self.name}_{self.test}" if self.kind == "test" else self.name

    def format(self) -> str:
        """The header line, as an author writes it."""
        words = [MARKER, self.kind, self.name]
        if self.kind == "test":
            words += [self.test, f"points={_number(self.points)}"] + (["hidden"] if self.hidden else [])
        return " ".join(words + list(self.tags))

    def metadata(self) -> tuple[dict, list[str]]:
        """The cell's nbgrader metadata and tags, exactly as nbgrader writes them."""
        answer, test = self.kind == "answer", self.kind == "test"
        meta: dict = {"grade": test, "grade_id": self.grade_id, "locked": not answer}
        if test:
            meta["points"] = _number(self.points)
        meta.update({"schema_version": 3, "solution": answer, "task": False})
        return meta, [RAISES_TAG] if test else list(self.tags)

    @classmethod
    def from_metadata(cls, meta: dict, tags: list[str], hidden: bool = False,
                      functions: tuple[str, ...] = ()) -> Header:
        """The short header of a cell with this nbgrader metadata and tags (the way back);
        ``functions``: the answer cells' names, to split a test's id into function and name."""
        grade_id = str(meta.get("grade_id", ""))
        if meta.get("solution"):
            header = cls("answer", grade_id)
        elif meta.get("grade"):
            named = [f for f in functions if grade_id.startswith(f"test_{f}_")]
            function = max(named, key=len, default="")
            header = cls("test", function, grade_id.removeprefix(f"test_{function}_"),
                         float(meta.get("points", 0)), hidden)
        else:
            header = cls("locked", grade_id, tags=tuple(tags))
        if not all(NAME.match(n) for n in (header.name, header.test or "x")) or header.metadata() != (meta, tags):
            raise HeaderError(f"no short header gives the metadata {meta} with tags {tags}")
        return header


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def parse(line: str, where: str = "") -> Header | None:
    """The short header on ``line``; None for jupytext's own (``# %%``, ``# %% [markdown]``)."""
    words = line[len(MARKER):].split()
    if not words or words[0].startswith("["):
        return None
    kind, args = words[0], words[1:]
    if kind not in KINDS:
        raise HeaderError(f"{where}unknown cell header {line.strip()!r}: a header is `# %%`, "
                          f"`# %% [markdown]` or starts with one of {', '.join(KINDS)}")
    if kind == "test":
        points = POINTS.match(args[2]) if len(args) > 2 else None
        if not (points and NAME.match(args[0]) and NAME.match(args[1]) and args[3:] in ([], ["hidden"])):
            raise HeaderError(f"{where}a test header is `# %% test <function> <name> points=<n> [hidden]`, "
                              f"not {line.strip()!r}")
        return Header("test", args[0], args[1], float(points.group(1)), args[3:] == ["hidden"])
    name, rest = (args[0], args[1:]) if args and NAME.match(args[0]) else ("", args)
    tags = tuple(t for t in LOCKED_TAGS if t in rest)
    if not name or (kind == "answer" and rest) or list(tags) != rest:
        usage = "`# %% answer <function>`" if kind == "answer" else \
            f"`# %% locked <name> [{'] ['.join(LOCKED_TAGS)}]` (in that order)"
        raise HeaderError(f"{where}a header of this kind is {usage}, not {line.strip()!r}")
    return Header(kind, name, tags=tags)


def expand(text: str, source: str = "<notebook>") -> str:
    """Jupytext's percent format: each short header as nbgrader's JSON, hidden parts marked."""
    out: list[str] = []
    hidden = ""                          # in a hidden test: "leading" (its comments), then "open"
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith(MARKER):
            _close_hidden(out, hidden)
            header = parse(line, f"{source}:{number}: ")
            if header is not None:
                meta, tags = header.metadata()
                line = f"{MARKER} nbgrader={json.dumps(meta, sort_keys=True)}" + (
                    f" tags={json.dumps(tags)}" if tags else "")
            hidden = "leading" if header is not None and header.hidden else ""
        elif line.strip() in (BEGIN_LINE, END_LINE):
            raise HeaderError(f"{source}:{number}: write `hidden` in the test's header instead of {line.strip()!r}")
        elif hidden == "leading" and not line.startswith("#"):
            out.append(BEGIN_LINE)
            hidden = "open"
        out.append(line)
    _close_hidden(out, hidden)
    return "\n".join(out)


def _close_hidden(out: list[str], hidden: str) -> None:
    """End the hidden part of the cell just read, after its last line that is not blank."""
    if not hidden:
        return
    last = len(out)
    while not out[last - 1].strip():
        last -= 1
    out[last:last] = [BEGIN_LINE, END_LINE] if hidden == "leading" else [END_LINE]


LONG_HEADER = re.compile(r"# %% nbgrader=(\{.*?\})(?: tags=(\[.*\]))?\s*\Z")


def shorten(text: str, source: str = "<notebook>") -> str:
    """The way back from ``expand``: nbgrader's JSON headers as short ones, hidden markers dropped."""
    lines = text.split("\n")
    functions = tuple(json.loads(m.group(1))["grade_id"] for m in map(LONG_HEADER.match, lines)
                      if m and json.loads(m.group(1)).get("solution"))
    out: list[str] = []
    for number, line in enumerate(lines, 1):
        match = LONG_HEADER.match(line)
        if match:
            meta, tags = json.loads(match.group(1)), json.loads(match.group(2) or "[]")
            end = next((i for i in range(number, len(lines)) if lines[i].startswith(MARKER)), len(lines))
            hidden = any(lines[i] == BEGIN_LINE for i in range(number, end))
            try:
                line = Header.from_metadata(meta, tags, hidden, functions).format()
            except HeaderError as exc:
                raise HeaderError(f"{source}:{number}: {exc}") from None
        elif line in (BEGIN_LINE, END_LINE):
            continue
        out.append(line)
    return "\n".join(out)
