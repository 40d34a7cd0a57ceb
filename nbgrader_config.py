"""The course: nbgrader reads this file for every command run from the repository root.

Stock commands (`nbgrader generate_assignment / autograde / generate_feedback / export`) and
`python -m coursekit ...` share it. What the kit changes from nbgrader's defaults:
- student stubs read START/END CODE HERE and still parse;
- solutions are generated without the hidden tests;
- autograding runs student code in a sandbox and the tests in the grader (coursekit);
- feedback shows test failures, never hidden test code.
"""
import os

from nbconvert.preprocessors import (
    ClearMetadataPreprocessor, CoalesceStreamsPreprocessor, CSSHTMLHeaderPreprocessor)
from nbgrader.preprocessors import (
    AssignLatePenalties, ClearHiddenTests, ClearMarkScheme, ClearOutput,
    Execute, GetGrades, IgnorePattern, IncludeHeaderFooter, LimitOutput, LockCells,
    SaveAutoGrades)

from coursekit import timestamps  # the kit, installed in the environment (pyproject.toml)
from coursekit.files import KeepSubmittedFiles, set_aside_links
from coursekit.html import SanitizeHTML
from coursekit.preprocessors import (
    DetectTampering, RecordFlags, RestoreKernelspec, SandboxedExecute, TolerantNotebookExporter,
    ValidateCellMetadata)
from coursekit.structure import RebuildStructure
from coursekit.timestamps import GradedTimestamp, RecordingCollect

ROOT = os.path.dirname(os.path.abspath(__file__))   # the course directory: where this file is

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# --- the course and its folders -------------------------------------------------------------
c.CourseDirectory.course_id = "cnn-layers-course"
c.CourseDirectory.root = ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "gradebook.db")
c.CourseDirectory.assignment_id = ""
c.CourseDirectory.solution_directory = "solutions"
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", os.path.join(ROOT, "exchange"))
# submission times come from what the instructor's side records, never from the timestamp.txt the
# student's process writes (README, "Safety"); collect records when the student last changed the folder
c.SubmissionTime.from_collection = True
c.ExchangeFactory.collect = RecordingCollect
timestamps.install()     # nbgrader's own commands read submission times through this setting
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
# CoalesceStreamsPreprocessor: the kernel flushes printed text on a timer, so under load one print
# can arrive as two outputs; merged, a rebuild is byte-identical however busy the machine.
c.GenerateSolution.preprocessors = [
    IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme, ClearHiddenTests, Execute,
    CoalesceStreamsPreprocessor]
c.CoalesceStreamsPreprocessor.enabled = True     # nbconvert's preprocessors are off unless enabled
c.Execute.timeout = 900          # per cell, for generate_solution (the instructor's own code: the worked solutions train a network)
c.Execute.record_timing = False   # no run times in the committed solutions: rebuilds are byte-identical

# --- autograding ------------------------------------------------------------------------------
c.Autograde.exporter_class = TolerantNotebookExporter
# nbgrader would follow links (as the instructor) and block on FIFOs: they are moved aside first
c.Autograde.pre_convert_hook = set_aside_links
# KeepSubmittedFiles: only notebooks (and declared data) of the student's land in autograded/ and
# feedback/. RebuildStructure replaces nbgrader's DeduplicateIds and OverwriteCells (which raise on
# notebooks a student can make): every test cell of the source once, in place, whatever the
# submission says. SanitizeHTML: no active HTML of the student's in the feedback or the formgrader.
c.Autograde.sanitize_preprocessors = [
    KeepSubmittedFiles, GradedTimestamp, ClearOutput, DetectTampering, RestoreKernelspec,
    RebuildStructure, ValidateCellMetadata]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, SanitizeHTML, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
    AssignLatePenalties, ValidateCellMetadata, RecordFlags]
c.KeepSubmittedFiles.keep = {}                 # per assignment: globs of data students may hand in
# The sandbox's limits are SandboxedExecute's traits, whose defaults are the kit's only ones
# (`nbgrader autograde --help-all | grep -A2 SandboxedExecute` lists them with their help): set
# here only what this course changes, e.g.
#   c.SandboxedExecute.submission_timeout = 900     # seconds per notebook, everything included
#   c.SandboxedExecute.isolation = "strict"         # full isolation (root or userns) or refuse to grade

# --- grades for the LMS: `nbgrader export --exporter=coursekit.lms.CanvasExport` (or MoodleExport) --
c.LmsExport.roster = os.path.join(ROOT, "roster.csv")   # nbgrader_id,lms_id[,name,email,...]: see coursekit/lms.py

# --- feedback: results and messages, never the hidden tests -----------------------------------
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
c.HTMLExporter.sanitize_html = True            # the autograded notebook is clean already; clean again
