"""No active HTML from a student reaches the feedback page or the formgrader.

Both render the autograded notebook: the feedback page through nbconvert (``HTMLExporter``),
the formgrader in the instructor's browser through its own template, which renders markdown
without nbconvert's ``sanitize_html``. So the autograded notebook itself is cleaned
(``SanitizeHTML``, an autograde step after execution), with nh3 (Rust's ammonia):

- markdown cells the student wrote (not identical to a cell of the release) become their
  rendered HTML, cleaned: no scripts, event handlers, ``javascript:`` or ``data:`` URLs,
  iframes, forms, objects or styles; text, links, images, lists, tables and math survive;
- raw cells the student wrote are cleaned the same way (nbconvert shows HTML raw cells verbatim);
- outputs keep plain text, PNG/JPEG/GIF images, LaTeX and cleaned HTML; JavaScript, SVG and
  every other type are dropped;
- cell tags (written into CSS classes) keep only ``[A-Za-z0-9_-]``; attachments only images.

Cells identical to the release are left untouched. ``c.HTMLExporter.sanitize_html`` is set too,
so the feedback page cleans again whatever reaches it.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Any

import nbformat
import nh3
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from coursekit.flags import Flag

URL_SCHEMES = {"http", "https", "mailto", "attachment"}
SAFE_TAG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ACTIVE = re.compile(r"<\s*(script|iframe|object|embed|form|style|svg|math|meta|link|base|frame)|"
                    r"\son\w+\s*=|javascript\s*:|vbscript\s*:|data\s*:\s*text/html", re.IGNORECASE)
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


def clean(html: str) -> str:
    """HTML with nothing active left (nh3's defaults; attachments allowed as image sources)."""
    return nh3.clean(html, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer nofollow")


def clean_markdown(text: str) -> str:
    """A student's markdown as cleaned HTML (markdown links are HTML links only once rendered)."""
    return clean(markdown2html_mistune(text))


def _released_texts(path: str) -> frozenset[str]:
    try:
        stat = os.stat(path)
    except OSError:
        return frozenset()
    return _texts_of(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _texts_of(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return frozenset()
    return frozenset(c.source for c in nb.cells if c.cell_type in ("markdown", "raw"))


class SanitizeHTML(NbGraderPreprocessor):
    """Autograde step: the student's markdown, raw cells and outputs without active HTML."""

    output_types = List(Unicode(), ["text/plain", *IMAGE_TYPES, "text/latex", "text/html"],
                        help="Output types kept (text/html is cleaned); others are dropped.").tag(config=True)

    def released(self, resources: dict) -> frozenset[str]:
        """The release's markdown and raw cells (left as they are), read once per file version."""
        ids = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        path = coursedir.format_path(coursedir.release_directory, ".", ids["assignment"])
        return _released_texts(os.path.abspath(f"{path}/{ids['notebook']}.ipynb"))

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        from coursekit.preprocessors import add_flags
        released = self.released(resources)
        active = False
        for cell in nb.cells:
            tags = cell.metadata.get("tags")
            if tags is not None:
                safe = [t for t in tags if isinstance(t, str) and SAFE_TAG.match(t)] if isinstance(tags, list) else []
                active = active or safe != tags
                cell.metadata["tags"] = safe
            if cell.cell_type == "code":
                active = self._outputs(cell) or active
            elif cell.source not in released:
                active = active or bool(ACTIVE.search(cell.source))
                cell.source = clean_markdown(cell.source) if cell.cell_type == "markdown" else clean(cell.source)
                if "attachments" in cell:
                    cell.attachments = {name: {k: v for k, v in data.items() if k in IMAGE_TYPES}
                                        for name, data in cell.attachments.items() if isinstance(data, dict)}
        if active:
            add_flags(nb, Flag.HTML_SANITIZED)
        return nb, resources

    def _outputs(self, cell: Any) -> bool:
        """Clean one code cell's outputs; whether anything active was there."""
        active = False
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            for kind in list(data):
                if kind not in self.output_types:
                    active = True
                    del data[kind]
                elif kind == "text/html":
                    html = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                    active = active or bool(ACTIVE.search(html))
                    data[kind] = clean(html)
            if not data:
                data["text/plain"] = "[output removed by the grader: only text and images are kept]"
        return active
