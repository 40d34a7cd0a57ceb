"""Data sets next to a notebook: configured per assignment, filled by the build, never committed.

An assignment that reads data has a ``datasets/`` folder next to its notebook. The build fills
``source/<a>/datasets/`` from the location configured in ``nbgrader_config.py``::

    c.Datasets.sources = {"cnn_application": "/path/to/signs"}

nbgrader then copies it next to the released notebook and the worked solutions like any other
file of the assignment. At grading, the sandbox sees the instructor's copy read-only instead of
copies per student.
"""
from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from traitlets import Dict, Unicode
from traitlets.config import Config, Configurable

from coursekit.assignment import DATA_FOLDER


class Datasets(Configurable):
    sources = Dict(value_trait=Unicode(), default_value={},
                   help="Per assignment, the directory whose files fill datasets/ next to its notebook."
                   ).tag(config=True)


def missing(config: Config, assignment: str) -> str | None:
    """Why the configured data of ``assignment`` cannot be read, or None when it can (or needs none)."""
    location = Datasets(config=config).sources.get(assignment)
    if location and not Path(location).expanduser().is_dir():
        return (f"the data of {assignment} should be in {Path(location).expanduser().resolve()}: "
                "set c.Datasets.sources in nbgrader_config.py or COURSEKIT_DATASETS")
    return None


def fill(config: Config, assignment: str, source_dir: Path) -> list[Path]:
    """Copy the configured data files into ``source_dir/datasets``; returns the files there."""
    location = Datasets(config=config).sources.get(assignment)
    if not location:
        return []
    origin = Path(location).expanduser().resolve()
    if not origin.is_dir():
        raise FileNotFoundError(f"the data of {assignment} should be in {origin} (c.Datasets.sources)")
    target = source_dir / DATA_FOLDER
    target.mkdir(exist_ok=True)
    files = []
    for path in sorted(origin.iterdir()):
        if path.is_file() and path.suffix in (".h5", ".hdf5", ".npz", ".csv"):
            copy = target / path.name
            if not copy.exists() or not filecmp.cmp(path, copy, shallow=False):
                shutil.copyfile(path, copy)
            files.append(copy)
    return files
