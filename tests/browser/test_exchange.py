"""The course as it runs on a shared server: an instructor and two students, three Unix users.

Each has a JupyterLab of their own on loopback, started as that user from the kit's environment;
they share nbgrader's file-system exchange, a root-owned directory with the mode nbgrader wants
(0777, no sticky bit). The instructor releases from the formgrader, each student fetches in the
Assignments panel, fills in answers (one right, one with the sample class's forgotten stride),
validates and submits; the instructor collects, autogrades through the kit's sandbox, generates
and releases feedback; each student fetches their feedback and reads their own scores and
messages, and no hidden test. The students' answer cells are written with coursekit/samples.py;
every fetch, validate, submit, collect, autograde and release is a click. Needs root (it creates
the accounts, and removes those it created). Screenshots go to docs/screenshots/exchange-*.png.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.pipeline import load_config
from coursekit.samples import load_students, make_submission
from tests.browser.conftest import free_port, shot, wait_for_server, write_lab_settings
from tests.conftest import REPO
from tests.integration.test_environment import PROBE, unreadable_ancestor

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ASSIGNMENT = "cnn_layers"
MARK = "coursekit browser test"            # the GECOS field of the accounts this test creates
INSTRUCTOR = "ck-teacher"
STUDENTS = {"ck-ana": ("reference", 42), "ck-bo": ("ada", 32)}   # sample answers, expected score
NAMES = {"ck-ana": ("Ana", "Right"), "ck-bo": ("Bo", "Mistaken")}
COURSE_ID = load_config(REPO).CourseDirectory.course_id
FOR_STUDENTS = {   # what a student's JupyterLab does not offer (as on a hub: instructors only)
    "labconfig/page_config.json": {"disabledExtensions": {
        f"@jupyter/nbgrader:{name}": True for name in ("formgrader", "course-list", "create-assignment")}},
    "jupyter_server_config.json": {"ServerApp": {"jpserver_extensions": {
        f"nbgrader.server_extensions.{name}": False for name in ("formgrader", "course_list")}}},
}


def chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, user.pw_uid, user.pw_gid)


def as_user_command(user: pwd.struct_passwd, argv: list[str], expose: bool) -> list[str]:
    """Run ``argv`` as ``user`` (umask 022, no supplementary groups).

    ``expose``: in a mount namespace of its own, the unreadable folder above the interpreter
    (/root here) is replaced by an empty one holding only the way to the interpreter, as if the
    kit's environment were installed where every account can read it; nothing else changes."""
    drop = f"umask 022 && exec setpriv --reuid={user.pw_uid} --regid={user.pw_gid} --clear-groups -- {shlex.join(argv)}"
    blocked = unreadable_ancestor(Path(sys.base_prefix)) if expose else None
    if blocked is None:
        return ["sh", "-c", drop]
    way = blocked / Path(sys.base_prefix).relative_to(blocked).parts[0]
    hide = (f"stash=$(mktemp -d) && mount --bind {way} $stash && mount -t tmpfs -o mode=755,size=1m tmpfs {blocked} "
            f"&& mkdir -p {way} && mount --move $stash {way} && {{ rmdir $stash 2>/dev/null || true; }} && ")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", hide + drop]


def as_user(user: pwd.struct_passwd, home: Path, *argv: str, expose: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(as_user_command(user, list(argv), expose), capture_output=True, text=True,
                          timeout=120, env=user_env(user, home))


def environment_seen(user: pwd.struct_passwd | None = None, home: Path | None = None) -> subprocess.CompletedProcess:
    """What the kit's environment is when ``user`` runs it as the servers do (root, this process's
    account, by default): its version, prefix, the kit it imports, the servers' packages."""
    if user is None:
        return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd="/")
    assert home is not None
    return as_user(user, home, sys.executable, "-c", PROBE)


def user_env(user: pwd.struct_passwd, home: Path, **extra: str) -> dict[str, str]:
    jupyter, lab = home / ".local" / "share" / "jupyter", home / ".jupyter" / "lab"
    return {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": str(home),
            "USER": user.pw_name, "LOGNAME": user.pw_name, "SHELL": "/bin/sh", "LANG": "C.UTF-8",
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"), "JUPYTER_DATA_DIR": str(jupyter),
            "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(lab / "user-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(lab / "workspaces"), "PYTHONDONTWRITEBYTECODE": "1",
            "COURSEKIT_DATASETS": os.environ["COURSEKIT_DATASETS"],
            **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}, **extra}


@pytest.fixture(scope="module")
def accounts():
    """The instructor's and the students' Unix accounts (created if missing, removed after)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: it creates an instructor's and two students' Unix accounts")
    created = []
    for name in [INSTRUCTOR, *STUDENTS]:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            "--comment", MARK, name], check=True)
            created.append(name)
        else:
            if entry.pw_gecos != MARK:
                pytest.skip(f"a user {name} exists on this machine and is not this test's")
    yield {name: pwd.getpwnam(name) for name in [INSTRUCTOR, *STUDENTS]}
    for name in created:
        subprocess.run(["userdel", name], check=False)


@pytest.fixture(scope="module")
def hub(accounts, released_course):
    """Three JupyterLab servers, one per user, sharing a file-system exchange."""
    site = Path(tempfile.mkdtemp(prefix="coursekit-hub-"))
    site.chmod(0o755)
    exchange = site / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)                      # root-owned, writable by all: nbgrader's requirement
    (site / "logs").mkdir()
    servers, processes, logs = {}, [], []
    grader = environment_seen()
    assert grader.returncode == 0, grader.stderr
    try:
        for name, user in accounts.items():
            home = site / "home" / name
            (home / ".jupyter").mkdir(parents=True)
            write_lab_settings(home / ".jupyter" / "lab" / "user-settings")
            if name == INSTRUCTOR:
                root = home / "course"
                shutil.copytree(released_course, root)
                with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:     # the instructor's class list
                    for student, (first, last) in NAMES.items():
                        gb.update_or_create_student(student, first_name=first, last_name=last)
                extra = {"NBGRADER_EXCHANGE": str(exchange)}       # read by the kit's nbgrader_config.py
            else:
                root = home
                (home / ".jupyter" / "nbgrader_config.py").write_text(
                    f"c = get_config()\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"
                    f"c.Exchange.root = {str(exchange)!r}\n")
                for relative, text in FOR_STUDENTS.items():
                    (home / ".jupyter" / relative).parent.mkdir(parents=True, exist_ok=True)
                    (home / ".jupyter" / relative).write_text(json.dumps(text))
                extra = {}
            chown_tree(home, user)
            home.chmod(0o700)
            env = user_env(user, home, **extra)
            theirs = environment_seen(user, home)
            assert theirs.returncode == 0, f"{name} cannot run the kit's environment {sys.prefix}:\n{theirs.stderr}"
            assert theirs.stdout == grader.stdout, f"{name} runs another environment: {theirs.stdout} {grader.stdout}"
            token, port = secrets.token_hex(16), free_port()
            log = site / "logs" / f"{name}.log"
            logs.append(open(log, "w"))
            lab = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}"]
            process = subprocess.Popen(as_user_command(user, lab, expose=True), cwd=root, env=env,
                                       stdout=logs[-1], stderr=subprocess.STDOUT, start_new_session=True)
            processes.append(process)
            servers[name] = {"url": f"http://127.0.0.1:{port}", "token": token, "root": root, "home": home,
                             "log": log, "process": process, "user": user}
        for server in servers.values():
            wait_for_server(server["process"], server["url"], server["token"], server["log"])
        yield {"servers": servers, "exchange": exchange, "course": servers[INSTRUCTOR]["root"]}
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)       # the server and the kernels it started
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for handle in logs:
            handle.close()
        shutil.rmtree(site, ignore_errors=True)


def open_page(browser, server: dict, path: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{server['url']}{path}{'&' if '?' in path else '?'}token={server['token']}")
    return page


def confirm(page, message: str, timeout: float = 300_000) -> None:
    """Wait for the formgrader's modal saying ``message``; fail with its text if it says otherwise."""
    dialog = page.locator(".modal-dialog")
    dialog.wait_for(timeout=timeout)
    text = dialog.inner_text()
    assert message in text, text[-3000:]
    page.locator(".modal-footer button", has_text="OK").click()
    dialog.wait_for(state="hidden")
    page.locator(".modal-backdrop").wait_for(state="detached")      # faded out: not grey in a screenshot


def formgrader_action(page, server: dict, column: str, message: str, shot_name: str | None = None) -> None:
    page.goto(f"{server['url']}/formgrader")
    row = page.locator("#main-table tr", has_text=ASSIGNMENT)
    row.wait_for(timeout=60_000)
    row.locator(f"td.{column} a").click()
    if shot_name:
        page.locator(".modal-dialog").wait_for(timeout=300_000)
        shot(page, shot_name)
    confirm(page, message)


def assignment_list(page):
    """The student's Assignments panel (Nbgrader > Assignment List), refreshed."""
    page.wait_for_selector("div.lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=120_000)
    if not page.locator("#released_assignments_list").is_visible():
        page.click("div.lm-MenuBar-itemLabel:text-is('Nbgrader')")
        page.click("div.lm-Menu-itemLabel:text-is('Assignment List')")
    page.locator("#released_assignments_list").wait_for(timeout=60_000)
    page.click("#refresh_assignments_list")
    return page


def fill_in(server: dict, sample: str) -> None:
    """What the student types: the sample student's answer cells, in the notebook they fetched."""
    fetched = server["root"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assignment = Assignment.from_source(server_course_source())
    answers = load_students(REPO / "samples" / f"{ASSIGNMENT}.py")[sample]
    nbformat.write(make_submission(nbformat.read(fetched, as_version=4), assignment, answers), fetched)
    os.chown(fetched, server["user"].pw_uid, server["user"].pw_gid)


def server_course_source() -> Path:
    return REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def hidden_test_lines() -> list[str]:
    """Lines of the hidden tests long enough to be recognised if they leaked into feedback."""
    lines = []
    for test in Assignment.from_source(server_course_source()).tests:
        if test.hidden:
            hidden = test.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            lines += [line.strip() for line in hidden.splitlines() if len(line.strip()) > 30]
    assert lines, "no hidden test lines found: the check below would prove nothing"
    return lines


def test_release_fetch_submit_collect_autograde_feedback_as_three_users(hub, browser):
    started = time.monotonic()
    servers, exchange = hub["servers"], hub["exchange"]
    teacher = open_page(browser, servers[INSTRUCTOR], "/formgrader")
    formgrader_action(teacher, servers[INSTRUCTOR], "release", f"Successfully released '{ASSIGNMENT}'.")
    teacher.goto(f"{servers[INSTRUCTOR]['url']}/formgrader")
    row = teacher.locator("#main-table tr", has_text=ASSIGNMENT)
    row.locator("td.status", has_text="released").wait_for(timeout=60_000)
    shot(teacher, "exchange-instructor-released.png")
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()

    students = {}
    for name, (sample, _) in STUDENTS.items():
        page = open_page(browser, servers[name], "/formgrader")
        assert "Manage Assignments" not in page.content(), f"{name}'s server offers the formgrader"
        page.goto(f"{servers[name]['url']}/lab")
        page = assignment_list(page)
        released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        released.wait_for(timeout=60_000)
        if name == "ck-ana":
            shot(page, "exchange-student-released.png")
        released.locator("button", has_text="Fetch").click()
        fetched = page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first
        fetched.wait_for(timeout=60_000)
        assert (servers[name]["root"] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
        fill_in(servers[name], sample)
        students[name] = page

    for name, (sample, _) in STUDENTS.items():
        page = students[name]
        fetched = page.locator("#fetched_assignments_list")
        toggle = fetched.locator("a", has_text=ASSIGNMENT).first
        validate = fetched.locator("button", has_text="Validate").first
        if not validate.is_visible():
            toggle.click()
        validate.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for(timeout=300_000)
        text = dialog.inner_text()
        if sample == "reference":
            assert "Success! Your notebook passes all the tests." in text, text[-2000:]
        else:
            assert "conv_forward: the mean of Z is not right." in text, text[-2000:]
            dialog.locator("#validation-message pre").last.scroll_into_view_if_needed()     # the error, below the cell
            shot(page, "exchange-student-validate-mistake.png")
        page.locator(".jp-Dialog button", has_text=re.compile("OK|Ok|Close")).first.click()
        dialog.wait_for(state="hidden")
        fetched.locator("button", has_text="Submit").first.click()
        page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).wait_for(timeout=60_000)
        if name == "ck-bo":
            shot(page, "exchange-student-submitted.png")

    formgrader_action(teacher, servers[INSTRUCTOR], "collect", f"Successfully collected submissions of '{ASSIGNMENT}'.")
    teacher.goto(f"{servers[INSTRUCTOR]['url']}/formgrader/manage_submissions/{ASSIGNMENT}")
    from playwright.sync_api import expect
    for name, (_, points) in STUDENTS.items():
        row = teacher.locator("#main-table tr", has=teacher.locator("td.student-id", has_text=re.compile(f"^{name}$")))
        row.wait_for(timeout=60_000)
        row.locator("td.autograde a").click()
        confirm(teacher, f"Successfully autograded '{ASSIGNMENT}' for student '{name}'.")
        expect(row.locator("td.score")).to_have_text(f"{points} / 42", timeout=60_000)
    shot(teacher, "exchange-instructor-autograded.png")
    for name in STUDENTS:           # graded by the kit's pipeline, configured by its nbgrader_config.py
        graded = hub["course"] / "autograded" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        meta = nbformat.read(graded, as_version=4).metadata.get("coursekit", {})
        assert meta.get("isolation"), f"{name} was not graded by the kit's SandboxedExecute: {meta}"
        print(f"{name} graded from the formgrader with isolation {meta['isolation']!r}")

    for column, done in (("generate-feedback", "generated"), ("release-feedback", "released")):
        formgrader_action(teacher, servers[INSTRUCTOR], column, f"Successfully {done} feedback of '{ASSIGNMENT}'.")

    leaks = hidden_test_lines()
    for name, (sample, points) in STUDENTS.items():
        page = assignment_list(students[name])
        submitted = page.locator("#submitted_assignments_list")
        submitted.locator("button", has_text="Fetch Feedback").first.click()
        submitted.locator("a", has_text="view feedback").first.wait_for(timeout=60_000)
        [html] = (servers[name]["root"] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html")
        relative = html.relative_to(servers[name]["root"])
        feedback = open_page(browser, servers[name], f"/files/{relative}")
        text = feedback.locator("body").inner_text()
        assert re.search(rf"Score: {points}(\.0)? / 42(\.0)?", text), text[:2000]
        if sample == "reference":
            assert "conv_forward: the mean of Z is not right." not in text
        else:
            assert "conv_forward: the mean of Z is not right." in text
            assert "values wrong at some positions" in text        # a hidden test's message, not its code
            feedback.locator("text=conv_forward: the mean of Z is not right.").first.scroll_into_view_if_needed()
            shot(feedback, "exchange-student-feedback.png")
        assert "BEGIN HIDDEN TESTS" not in text
        assert not [line for line in leaks if line in text]
        feedback.context.close()

    # what each student may see of the exchange: not the others' submissions or feedback
    for name in STUDENTS:
        user, home = servers[name]["user"], servers[name]["home"]
        for private in ("inbound", "feedback"):
            folder = str(exchange / COURSE_ID / private)
            listing = as_user(user, home, sys.executable, "-c", f"import os; os.listdir({folder!r})")
            assert "PermissionError" in listing.stderr, f"{name} could list {private}/"
    for page in [teacher, *students.values()]:
        page.context.close()
    print(f"the whole cycle took {time.monotonic() - started:.0f} s")
