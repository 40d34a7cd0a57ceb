"""The audit's mutant generator and equivalence filter, in process (no sandbox)."""
from __future__ import annotations

import numpy as np
import pytest

from coursekit.assignment import Assignment
from coursekit.audit import equivalence
from coursekit.audit.mutate import mutants, solution_lines
from coursekit.audit.spec import Contract, load_spec, spec_path
from coursekit.course import ROOT, Paths

CELL = '''def scale(x, k):
    """Doc."""
    n = x.shape[0]
    ### BEGIN SOLUTION
    out = np.zeros(n)
    for i in range(n):
        out[i] += x[i] * k
    ### END SOLUTION
    return out
'''


def test_only_solution_lines_are_mutated_except_a_misplaced_return():
    found = mutants("scale", CELL)
    assert solution_lines(CELL) == {5, 6, 7}
    assert all(m.line in {5, 6, 7} for m in found)
    assert "n = x.shape[0]" in found[0].cell and all("n = x.shape[0]" in m.cell for m in found)
    operators = {m.operator for m in found}
    assert {"off-by-one in a range", "dropped factor", "+= to =", "removed statement", "early return",
            "swapped function"} <= operators
    assert len({m.cell for m in found}) == len(found)          # no duplicates
    early = next(m for m in found if m.operator == "early return")
    assert "+        return out" in early.diff


def test_generation_is_deterministic_and_names_mutants_by_function():
    first, second = mutants("scale", CELL), mutants("scale", CELL)
    assert [(m.id, m.cell) for m in first] == [(m.id, m.cell) for m in second]
    assert first[0].id == "scale-001"


def test_equivalence_keeps_mutants_that_differ_and_drops_those_that_do_not():
    namespace = {"np": np}
    exec(CELL, namespace)
    def draw(rng, ref):
        return (rng.standard_normal(int(rng.integers(1, 6))), float(rng.standard_normal())), {}
    contract = Contract(draw)
    inputs = equivalence.calls(contract, namespace)
    expected = equivalence.reference_behaviour(namespace["scale"], inputs)
    verdict = [equivalence.is_equivalent(m, namespace, inputs, expected, contract) for m in mutants("scale", CELL)]
    by_operator = {m.operator: equivalence.is_equivalent(m, namespace, inputs, expected, contract)
                   for m in mutants("scale", CELL)}
    assert by_operator["+= to ="] is True          # out starts at zeros and each i is written once
    assert by_operator["dropped factor"] is False
    assert by_operator["early return"] is False
    assert any(verdict) and not all(verdict)


def test_values_compare_by_shape_kind_and_tolerance():
    loose = Contract(lambda rng, ref: ((), {}))
    strict = Contract(lambda rng, ref: ((), {}), exact_dtype=True)
    a = np.ones((2, 3))
    assert equivalence.same(a, a + 1e-12, loose)
    assert not equivalence.same(a, a[:1], loose)
    assert equivalence.same(a, a.astype(np.float32), loose) and not equivalence.same(a, a.astype(np.float32), strict)
    assert not equivalence.same({"x": a}, {"y": a}, loose)
    assert not equivalence.same(1.0, np.ones((1, 1, 1)), loose)
    assert equivalence.same((a, None), [a, None], loose)


@pytest.mark.parametrize("name", ["cnn_layers", "cnn_application"])
def test_every_graded_function_has_a_contract_whose_inputs_the_reference_accepts(name):
    assignment = Assignment.from_source(Paths(name).source)
    spec = load_spec(name)
    assert set(spec) == set(assignment.functions)
    for function, contract in spec.items():
        inputs = equivalence.calls(contract, assignment.reference)[:5]
        equivalence.reference_behaviour(assignment.reference[function], inputs)     # raises if not


@pytest.mark.parametrize("name", ["cnn_layers", "cnn_application"])
def test_the_contract_is_never_released(name):
    assert spec_path(name).exists()
    for folder in ("source", "release", "solutions"):
        assert not list((ROOT / folder).rglob("audit_spec*")), f"{folder}/ holds an audit contract"


def test_the_report_lists_survivors_uncovered_cases_and_idle_tests(tmp_path):
    from rich.console import Console

    from coursekit.audit.report import print_summary, write_html
    from coursekit.audit.run import Audit, FunctionAudit

    found = mutants("scale", CELL)
    item = FunctionAudit("scale", ["test_scale_published", "test_scale_hidden"], {"test_scale_hidden"},
                         generated=found, equivalent=found[:1],
                         killed_by={m.id: ["test_scale_published"] for m in found[2:]},
                         cases={"k = 0": [], "n = 1": ["test_scale_hidden"]})
    result = Audit("demo", [item], {"generate": 0.1})
    assert [m.id for m in item.survivors] == [found[1].id] and item.uncovered == ["k = 0"] and not result.passed
    console = Console(record=True, width=160)
    print_summary(result, console)
    text = console.export_text()
    assert f"survived {found[1].id}" in text and "uncovered scale: no hidden test calls it with k = 0" in text
    assert "kills nothing scale: test_scale_hidden" in text
    page = write_html(result, root=tmp_path).read_text()
    assert found[1].id in page and "<tr class='bad'><td>test_scale_hidden" in page and "k = 0" in page
