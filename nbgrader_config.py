"""The course: nbgrader reads this file for every command run from the repository root.

Stock commands (`nbgrader generate_assignment / autograde / generate_feedback / export`) and
`python -m coursekit ...` share it. What the kit changes from nbgrader's defaults:
- student stubs read START/END CODE HERE and still parse;
- solutions are generated without the hidden tests;
- autograding runs student code in a sandbox and the tests in the grader (coursekit);
- feedback shows test failures, never hidden test code.
"""
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)   # make the kit's own package importable for the nbgrader commands

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, ClearHiddenTests, ClearMarkScheme, ClearOutput,
    DeduplicateIds, Execute, GetGrades, IgnorePattern, IncludeHeaderFooter, LimitOutput, LockCells,
    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from coursekit.preprocessors import (  # noqa: E402
    DetectTampering, RecordFlags, SandboxedExecute, TolerantNotebookExporter, ValidateCellMetadata,
    remove_symlinks)

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# --- the course and its folders -------------------------------------------------------------
c.CourseDirectory.course_id = "cnn-layers-course"
c.CourseDirectory.root = ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
c.CourseDirectory.assignment_id = ""
c.CourseDirectory.solution_directory = "solutions"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(ROOT, "exchange"))
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

# --- data sets: copied next to the notebooks by `coursekit build`, never committed --------------
SHARED = os.environ.get("COURSEKIT_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
c.Datasets.sources = {"cnn_application": os.path.join(SHARED, "signs")}
# stock `nbgrader autograde` would copy the data into every student's folder; the sandbox reads
# the instructor's copy instead
c.Autograde.exclude_overwriting = {"cnn_application": ["datasets/train_signs.h5", "datasets/test_signs.h5"]}

# --- the student version ----------------------------------------------------------------------
# Each solution region becomes a stub that still parses (and says what to do when run).
c.ClearSolutions.code_stub = {
    "python": "### START CODE HERE ###\n"
              "raise NotImplementedError(\"Replace this line with your code.\")\n"
              "### END CODE HERE ###"}

# --- the worked solutions: solutions kept, hidden tests removed, executed with figures --------
c.GenerateSolution.preprocessors = [
    IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme, ClearHiddenTests, Execute]
c.Execute.timeout = 900          # per cell, for generate_solution (the instructor's own code: the worked solutions train a network)
c.Execute.record_timing = False   # no run times in the committed solutions: rebuilds are byte-identical

# --- autograding ------------------------------------------------------------------------------
c.Autograde.exporter_class = TolerantNotebookExporter
c.Autograde.pre_convert_hook = remove_symlinks   # nbgrader would copy what links point to
c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, DetectTampering, OverwriteKernelspec, OverwriteCells, ValidateCellMetadata]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, ValidateCellMetadata, RecordFlags]
c.OverwriteCells.add_missing_cells = True      # a deleted test cell is put back and scored
c.SandboxedExecute.cell_timeout = 30           # seconds per cell or statement of student code
c.SandboxedExecute.test_timeout = 60           # seconds per test cell spent in student code
c.SandboxedExecute.submission_timeout = 600    # seconds per notebook
c.SandboxedExecute.memory_mb = 2048
c.SandboxedExecute.isolation = "auto"          # full isolation when run as root

# --- feedback: results and messages, never the hidden tests -----------------------------------
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
