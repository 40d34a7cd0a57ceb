"""``python -m coursekit audit <assignment>``: how well the hidden tests catch plausible mistakes.

1. Mutants of every graded function's reference solution (``mutate``), deterministic.
2. Equivalent ones dropped: those that behave as the reference on many random calls drawn from
   the contract in ``notebooks/<a>/audit_spec.py`` (``equivalence``).
3. The others graded with the kit's pipeline in a throwaway course copy (``grading``): a mutant
   is killed when a test cell of its own function loses points; a lost point in another
   function's test is a leak (grading is meant to be per function).
4. The declared edge cases of each function, checked against the calls the hidden tests make.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursekit.assignment import Assignment
from coursekit.audit import equivalence, grading
from coursekit.audit.mutate import Mutant, mutants
from coursekit.audit.spec import cases_hit, load_spec
from coursekit.course import ROOT, Paths


@dataclass
class FunctionAudit:
    function: str
    tests: list[str]                                          # its test cells, in notebook order
    hidden: set[str]                                          # those with hidden parts
    generated: list[Mutant] = field(default_factory=list)
    equivalent: list[Mutant] = field(default_factory=list)
    killed_by: dict[str, list[str]] = field(default_factory=dict)   # mutant id -> test cells that lost points
    leaks: dict[str, list[str]] = field(default_factory=dict)       # mutant id -> other functions' cells
    cases: dict[str, list[str]] = field(default_factory=dict)       # edge case -> hidden tests reaching it

    @property
    def graded(self) -> list[Mutant]:
        ids = {m.id for m in self.equivalent}
        return [m for m in self.generated if m.id not in ids]

    @property
    def survivors(self) -> list[Mutant]:
        return [m for m in self.graded if not self.killed_by.get(m.id)]

    @property
    def score(self) -> float:
        graded = self.graded
        return (len(graded) - len(self.survivors)) / len(graded) if graded else 1.0

    @property
    def uncovered(self) -> list[str]:
        return [case for case, tests in self.cases.items() if not tests]

    def kills(self, test: str) -> int:
        return sum(test in cells for cells in self.killed_by.values())


@dataclass
class Audit:
    assignment: str
    functions: list[FunctionAudit]
    seconds: dict[str, float] = field(default_factory=dict)   # step -> seconds

    @property
    def passed(self) -> bool:
        return not any(f.survivors or f.uncovered or f.leaks for f in self.functions)

    def total(self, what: str) -> int:
        return sum(len(getattr(f, what)) for f in self.functions)


def audit(assignment_name: str, root: Path = ROOT, functions: list[str] | None = None, workers: int = 2,
          progress: Callable[[str, int], Callable[[], Any]] | None = None) -> Audit:
    """Audit the hidden tests of one assignment (or of some of its functions)."""
    clock = time.monotonic()
    paths = Paths(assignment_name, root)
    assignment = Assignment.from_source(paths.source)
    spec = load_spec(assignment_name, root)
    chosen = functions or assignment.functions
    unknown = [f for f in chosen if f not in assignment.functions or f not in spec]
    if unknown:
        raise SystemExit(f"not graded functions of {assignment_name} with a contract in its audit_spec.py: {unknown}")
    hidden = {t.grade_id for t in assignment.tests if t.hidden}
    tests = grading.function_tests(assignment)
    result = Audit(assignment_name, [FunctionAudit(f, tests.get(f, []), hidden & set(tests.get(f, [])))
                                     for f in chosen])
    for item in result.functions:
        item.generated = mutants(item.function, assignment.answers[item.function])
    result.seconds["generate"] = time.monotonic() - clock

    clock = time.monotonic()
    namespace = assignment.reference
    for item in result.functions:
        contract = spec[item.function]
        inputs = equivalence.calls(contract, namespace)
        expected = equivalence.reference_behaviour(namespace[item.function], inputs)
        item.equivalent = [m for m in item.generated
                           if equivalence.is_equivalent(m, namespace, inputs, expected, contract)]
    result.seconds["equivalence"] = time.monotonic() - clock

    clock = time.monotonic()
    by_name = {item.function: item for item in result.functions}
    for item in result.functions:
        item.cases = {case: [] for case in spec[item.function].cases}

    def observe(test: str, function: str, args: tuple, kwargs: dict) -> None:
        item = by_name.get(function)
        if item is None or test not in hidden:
            return
        for case in cases_hit(spec[function], namespace[function], args, kwargs):
            if test not in item.cases[case]:
                item.cases[case].append(test)

    maxima = grading.test_maxima(assignment)
    graded = [m for item in result.functions for m in item.graded]
    with tempfile.TemporaryDirectory(prefix="coursekit-audit-") as folder:
        course = grading.course_copy(root, assignment_name, Path(folder) / "course")
        students = grading.write_submissions(course, assignment, graded)
        reference = grading.grade_reference(course, assignment, observe)
        lost = grading.lost_points(reference, maxima)
        if lost:
            raise RuntimeError(f"the reference answers lose points in the audit's course copy: {lost}")
        result.seconds["reference"] = time.monotonic() - clock
        clock = time.monotonic()
        tick = progress("grading mutants", len(graded)) if progress else (lambda: None)
        scores = grading.grade_mutants(course, assignment, [s for s in students if s != grading.REFERENCE],
                                       workers, tick)
    for item in result.functions:
        own = set(item.tests)
        for mutant in item.graded:
            cells = grading.lost_points(scores[grading.student_id(mutant)], maxima)
            item.killed_by[mutant.id] = [c for c in cells if c in own]
            leaks = [c for c in cells if c not in own]
            if leaks:
                item.leaks[mutant.id] = leaks
    result.seconds["grading"] = time.monotonic() - clock
    return result
