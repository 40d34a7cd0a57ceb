"""The kit where people use it: JupyterLab for students, the formgrader for instructors.

A Jupyter server with the kit's pinned requirements runs on loopback in a copy of the course;
Playwright drives Debian's Chromium (/usr/bin/chromium). The tests wait on the page's own state
(execution counts, the kernel's status, the score cell), never on sleeps, and save the
screenshots the README shows (docs/screenshots/).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.sandbox.jail import MODES
from tests.browser.conftest import CHROMIUM, free_port, shot, wait_for_server, write_lab_settings
from tests.conftest import REPO, run

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(released_course, tmp_path_factory):
    """JupyterLab with nbgrader, serving a course copy that holds the sample class."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing (.ci/run installs it: apt-get install chromium)")
    home = tmp_path_factory.mktemp("jupyter")
    course = home / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(REPO / "submitted", course / "submitted", dirs_exist_ok=True)
    settings = write_lab_settings(home / "lab-settings")
    token, port = secrets.token_hex(16), free_port()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(JUPYTERLAB_SETTINGS_DIR=str(settings), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_CONFIG_DIR=str(home / "config"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""))
    log = open(home / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={course}"],
        cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for_server(process, url, token, home / "server.log")
    yield {"url": url, "token": token, "course": course}
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{server['url']}/lab?token={server['token']}")      # logs in (cookie)
    yield page
    context.close()


def run_all(page, server, notebook: str) -> None:
    """Open a notebook in JupyterLab, run all cells, wait until every code cell has run."""
    workspace = re.sub(r"\W", "-", notebook)                  # a fresh workspace: only this notebook
    page.goto(f"{server['url']}/lab/workspaces/{workspace}/tree/{notebook}?reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000)
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("div.lm-Menu-itemLabel:text-is('Run All Cells')")
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""", timeout=300_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000)


def cell_of(page, text: str):
    """The code cell whose input contains ``text``."""
    return page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=text)).first


def test_student_runs_the_released_notebook_sees_figures_and_helpful_failures(page, server):
    run_all(page, server, "release/cnn_layers/cnn_layers.ipynb")
    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() >= 4, "the figures did not render"
    failing = cell_of(page, "Public test of conv_forward")
    text = failing.locator(".jp-OutputArea").inner_text()
    assert "NotImplementedError" in text and "Replace this line with your code." in text
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() >= 8, "every public test should fail on the untouched notebook"
    figure = cell_of(page, "show_window_corners(")
    figure.scroll_into_view_if_needed()
    shot(page, "student-release-figure.png")
    failing.locator(".jp-OutputArea-output").last.scroll_into_view_if_needed()
    shot(page, "student-release-failing-test.png")


def open_submission(page, server, student: str) -> None:
    """Run a sample student's notebook next to the modules students were given with it."""
    folder = server["course"] / "submitted" / student / "cnn_layers"
    for module in (server["course"] / "release" / "cnn_layers").glob("*.py"):
        shutil.copy(module, folder)
    run_all(page, server, f"submitted/{student}/cnn_layers/cnn_layers.ipynb")


def test_student_with_a_mistake_is_told_what_was_expected_and_where_to_look(page, server):
    open_submission(page, server, "ada")                 # forgot the stride in conv_forward
    output = cell_of(page, "Public test of conv_forward").locator(".jp-OutputArea")
    text = output.inner_text()
    for words in ("conv_forward: the mean of Z is not right.", "expected: 0.6923608807576933",
                  "you gave:", "Where to look: check the window corners (h * stride, w * stride)"):
        assert words in text
    output.locator(".jp-OutputArea-output").last.scroll_into_view_if_needed()
    shot(page, "student-mistake-helpful-message.png")


def test_student_with_right_answers_sees_the_public_tests_pass(page, server):
    open_submission(page, server, "reference")
    passed = page.locator(".jp-OutputArea-output", has_text="all public tests passed")
    assert passed.count() == 8
    assert "Hidden tests with new inputs run when your notebook is graded" in passed.first.inner_text()
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0
    cell_of(page, "Public test of conv_forward").scroll_into_view_if_needed()
    shot(page, "student-reference-passing-tests.png")


def test_instructor_autogrades_a_submission_from_the_formgrader(page, server):
    page.goto(f"{server['url']}/formgrader")
    assignment = page.locator("#main-table tr", has_text="cnn_layers")
    assignment.wait_for(timeout=60_000)
    shot(page, "instructor-formgrader-assignments.png")
    assignment.locator("a", has_text=re.compile(r"^\d+$")).click()        # its submissions
    row = page.locator("#main-table tr", has=page.locator("td.student-id", has_text=re.compile("^ada$")))
    row.wait_for(timeout=60_000)
    assert "needs autograding" in row.inner_text()
    row.locator("td.autograde a").click()
    page.locator(".modal-dialog", has_text="Successfully autograded").wait_for(timeout=300_000)
    page.locator(".modal-footer button", has_text="OK").click()
    page.locator(".modal-dialog").wait_for(state="hidden")
    from playwright.sync_api import expect
    expect(row.locator("td.score")).to_have_text("32 / 42", timeout=60_000)
    assert "graded" in row.locator("td.status").inner_text()
    shot(page, "instructor-formgrader-autograded.png")
    graded = server["course"] / "autograded" / "ada" / "cnn_layers" / "cnn_layers.ipynb"
    assert json.loads(graded.read_text())["metadata"]["coursekit"]["isolation"] in MODES
