"""Generated folders match what the build makes from source/, and release nothing secret."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from coursekit.assignment import Assignment, nbgrader_meta
from coursekit.build import notebook_from_text
from coursekit.course import GRADER_ONLY, Paths, assignments
from tests.conftest import REPO, copy_course, fill_data_or_skip, grader_only_lines, run

ASSIGNMENTS = assignments(REPO)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and "datasets" not in p.parts}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_is_built_from_its_text_twin(name):
    built = nbformat.writes(notebook_from_text(REPO / "notebooks" / name / f"{name}.py")) + "\n"
    assert (REPO / "source" / name / f"{name}.ipynb").read_text() == built, \
        "source/ is out of date: run `python -m coursekit build`"
    modules = Paths(name, REPO).modules
    assert {p.name for p in modules} >= {"checks.py"} and not {p.name for p in modules} & set(GRADER_ONLY)
    for module in modules:
        assert (REPO / "source" / name / module.name).read_bytes() == module.read_bytes(), \
            f"source/{name}/{module.name} differs from {module.relative_to(REPO)}: run `python -m coursekit build`"
    assert set(files(REPO / "source" / name)) == {f"{name}.ipynb", *(p.name for p in modules)}, \
        f"source/{name}/ holds files notebooks/ does not make: run `python -m coursekit build`"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_has_no_outputs(name):
    nb = nbformat.read(REPO / "source" / name / f"{name}.ipynb", as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_regenerating_the_release_and_samples_reproduces_the_committed_files(tmp_path, name):
    course = copy_course(tmp_path / "course")
    run(course, "coursekit", "build", name, "--no-solutions")
    assert files(course / "release" / name) == files(REPO / "release" / name), \
        "release/ differs from what source/ generates: run `python -m coursekit build`"
    for student in (REPO / "submitted").iterdir():
        if (student / name).is_dir():
            assert files(course / "submitted" / student.name / name) == files(student / name)


# Worked solutions that train a network print costs and accuracies that depend on the processor's
# rounding (BLAS kernels differ between machines); they are checked by fingerprint, not by bytes.
TRAINS = {"cnn_application"}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_worked_solutions_were_made_from_this_source_and_show_their_results(name):
    from coursekit.build import source_fingerprint
    from coursekit.course import Paths
    fill_data_or_skip(name)   # the fingerprint covers the data
    committed = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    assert committed.metadata["coursekit"]["source_sha256"] == source_fingerprint(Paths(name, REPO)), \
        "solutions/ was not made from this source: run `python -m coursekit build`"
    outputs = [o for c in committed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], "the worked solutions raise"
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4, "the figures are missing"
    assert not any("BEGIN HIDDEN TESTS" in c.source for c in committed.cells)
    for path, data in files(REPO / "source" / name).items():
        if not path.endswith(".ipynb"):
            assert (REPO / "solutions" / name / path).read_bytes() == data, path


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(ASSIGNMENTS) - TRAINS))
def test_regenerating_the_worked_solutions_reproduces_them_byte_for_byte(tmp_path, name):
    course = copy_course(tmp_path / "course")
    run(course, "coursekit", "build", name, "--no-samples", "--force")
    built, committed = files(course / "solutions" / name), files(REPO / "solutions" / name)
    assert built == committed, \
        "solutions/ differs from what source/ generates: run `python -m coursekit build`\n" + _first_difference(
            built.get(f"{name}.ipynb", b""), committed.get(f"{name}.ipynb", b""))


@pytest.mark.slow
def test_worked_solutions_keep_what_a_cell_prints_in_one_output_however_the_kernel_flushed_it():
    """The kernel sends printed text on a timer (every 0.2 s): a cell that prints, computes
    and prints again arrives as two outputs, or one, depending on the machine's load."""
    from nbgrader.preprocessors import Execute
    from coursekit.course import load_config
    config = load_config(REPO)
    chain = list(config.GenerateSolution.preprocessors)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import time\nprint('before')\ntime.sleep(0.5)\nprint('after')")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    resources: dict = {"metadata": {"path": str(REPO)}}
    for step in chain[chain.index(Execute):]:       # called as nbgrader's exporter calls them
        nb, resources = step(config=config)(nb, resources)
    assert [(o.output_type, o.text) for o in nb.cells[0].outputs] == [("stream", "before\nafter\n")]


def _first_difference(built: bytes, committed: bytes) -> str:
    """The first cell that differs, both ways (the test is flaky under load: this says where)."""
    try:
        pairs = zip(json.loads(built)["cells"], json.loads(committed)["cells"])
    except ValueError:
        return "(the notebooks are not both JSON)"
    for index, (a, b) in enumerate(pairs):
        if a != b:
            return f"cell {index}: built {json.dumps(a)[:1500]}\ncommitted {json.dumps(b)[:1500]}"
    return "(no cell differs: the notebooks' metadata or length do)"


def secret_lines(source: Path) -> list[str]:
    """Lines that only exist inside solution or hidden-test regions of the source notebook
    (lines that also appear outside them, or in the modules students get, are not secret)."""
    nb = nbformat.read(source, as_version=4)
    secret = set()
    public = {line.strip() for path in source.parent.glob("*.py") for line in path.read_text().splitlines()}
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            text = line.strip()
            if re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", text):
                inside = True
            elif re.search(r"END (SOLUTION|HIDDEN TESTS)", text):
                inside = False
            elif text and not text.startswith("#"):
                (secret if inside else public).add(text)
    return sorted(line for line in secret - public if len(line) > 12)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_nothing_released_contains_a_solution_or_a_hidden_test(name):
    secrets = secret_lines(REPO / "source" / name / f"{name}.ipynb")
    assert len(secrets) > 20
    for path, data in files(REPO / "release" / name).items():
        text = data.decode("utf-8", "replace")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path
        if path.endswith(".ipynb"):
            text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells)
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{path} contains source-only lines: {leaked[:3]}"


@pytest.mark.parametrize("name", [n for n in ASSIGNMENTS if (REPO / "notebooks" / n / "grading.py").exists()])
def test_the_grader_only_module_is_never_released(name):
    lines = grader_only_lines(name)
    assert len(lines) > 20
    for folder in ("source", "release", "solutions"):
        for path, data in files(REPO / folder / name).items():
            assert path != "grading.py", f"{folder}/{name}/grading.py exists"
            text = data.decode("utf-8", "replace")
            assert not [line for line in lines if line in text], f"{folder}/{name}/{path} holds lines of grading.py"
            if folder != "source":
                assert not re.search(r"\bgrading\.\w", text), f"{folder}/{name}/{path} calls the grader-only module"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_graded_function_has_one_answer_cell_and_named_test_cells(name):
    nb = nbformat.read(REPO / "release" / name / f"{name}.ipynb", as_version=4)
    assignment = Assignment.from_source(REPO / "source" / name / f"{name}.ipynb")
    ids = [nbgrader_meta(c).get("grade_id") for c in nb.cells]
    for function in assignment.functions:
        answers = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == function]
        assert len(answers) == 1 and nbgrader_meta(answers[0]).get("solution")
        assert f"def {function}(" in answers[0].source
        assert "### START CODE HERE ###" in answers[0].source
        assert any(i and i.startswith(f"test_{function}") for i in ids)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            assert any(meta["grade_id"].startswith(f"test_{f}") for f in assignment.functions)
    assert len(ids) == len(set(ids) - {None}) + ids.count(None)


# Training the course's network takes minutes: here it only has to run (the benchmark
# benchmarks/train_signs.py measures what it learns).
# The grader-only module in a kernel, as an instructor runs the source notebook in Jupyter: its
# reference solutions are the kernel's own functions.
GRADING_IN_A_KERNEL = """
from coursekit.assignment import load_grading
class _Solutions:
    def __getattr__(self, name):
        return globals()[name]
grading = load_grading({path!r}, {name!r}, _Solutions())
"""
SHORTENED = {"cnn_application": [("num_epochs=100", "num_epochs=2"), ("train_bigger_model = False", "train_bigger_model = True"),
                                 ("num_epochs=60", "num_epochs=1")]}


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_runs_top_to_bottom_with_figures(name, monkeypatch):
    from nbclient import NotebookClient
    monkeypatch.delenv("MPLBACKEND", raising=False)      # the kernel draws inline, as in Jupyter
    fill_data_or_skip(name)   # its data, as the build puts it there
    nb = nbformat.read(REPO / "source" / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:         # the whole notebook, but its training cut to two epochs
        for long, short in SHORTENED.get(name, []):
            cell.source = cell.source.replace(long, short)
    nb.cells.insert(0, nbformat.v4.new_code_cell(GRADING_IN_A_KERNEL.format(
        path=str(Paths(name, REPO).grading), name=name)))         # what the hidden tests call `grading`
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "source" / name)}}).execute()
    errors = [(nbgrader_meta(c).get("grade_id"), o.get("evalue")) for c in nb.cells
              if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    figures = [c for c in nb.cells if c.cell_type == "code"
               and any("image/png" in o.get("data", {}) for o in c.outputs)]
    assert len(figures) >= 4
