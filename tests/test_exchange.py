"""A class on one server: nbgrader's exchange with three students, each a separate user.

This is the flow of ``book/instructors.md`` (*Running the course on a JupyterHub*): the
instructor releases chapter 1 into a shared exchange folder; alice, bob and carol, each a Linux
user with their own home, fetch it, answer (alice right, bob not at all, carol one exercise
wrong) and submit; the instructor collects, autogrades (in the sandbox), generates and releases
feedback; each student fetches their own feedback and sees their own score. Creating users needs
root, which CI has (``.ci/run`` runs as root); elsewhere the test says how to run it.

Each student's commands run with the student's user and group (``setpriv``), so everything they
write (their copy, their submission in the exchange) is theirs and subject to the exchange's
permissions. Where this machine's Python lives in a folder other users cannot enter (pyenv under
``/root``), they also get read-only access to files (``CAP_DAC_READ_SEARCH``), never write
access: on a real server the Python install is readable by everyone.
"""

from __future__ import annotations

import os
import pathlib
import pwd
import shutil
import subprocess
import sys
import tempfile

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_course.py"
CHAPTER = ROOT / "notebooks" / "01_neurons.ipynb"
ASSIGNMENT = "ch01_neurons"
STUDENTS = {"alice": "right", "bob": "untouched", "carol": "one wrong"}
PREFIX = "dlbx-"  # the Linux users are dlbx-alice, dlbx-bob, dlbx-carol
TIMEOUT = 900

pytestmark = pytest.mark.slow


CREATED: list[str] = []  # users this test made, removed at the end


def _user(name: str) -> pwd.struct_passwd:
    login = PREFIX + name
    try:
        return pwd.getpwnam(login)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", login],
                       check=True, capture_output=True)
        CREATED.append(login)
        return pwd.getpwnam(login)


@pytest.fixture(scope="module")
def server():
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
        pytest.fail("this test creates three Linux users, so it runs as root (as CI does): "
                    "sudo .venv/bin/pytest tests/test_exchange.py")
    base = pathlib.Path(tempfile.mkdtemp(prefix="dlbasics-class-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
        for login in CREATED:
            subprocess.run(["userdel", login], capture_output=True)


def _bin() -> pathlib.Path:
    return pathlib.Path(sys.executable).parent


def nbgrader(args: list[str], cwd: pathlib.Path, user: pwd.struct_passwd | None = None) -> str:
    """Run ``nbgrader args`` in ``cwd`` as the instructor (root) or as ``user``."""
    env = {"PATH": f"{_bin()}{os.pathsep}/usr/bin:/bin", "LANG": "C.UTF-8"}
    command = [sys.executable, "-m", "nbgrader", *args]
    if user is None:
        env.update(HOME=os.environ.get("HOME", "/root"), USER="root")
    else:
        env.update(HOME=str(cwd), USER=user.pw_name, LOGNAME=user.pw_name)
        switch = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                  "--clear-groups"]
        needed = (pathlib.Path(sys.executable), pathlib.Path(sys.executable).resolve(),
                  ROOT / "src")
        if not all(map(_readable_by_everyone, needed)):
            switch += ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
        command = [*switch, *command]
    result = subprocess.run(command, cwd=cwd, env=env, text=True, capture_output=True,
                            timeout=TIMEOUT)
    log = result.stdout + result.stderr
    who = user.pw_name if user else "instructor"
    assert result.returncode == 0, f"{who}: `nbgrader {' '.join(args)}` failed:\n{log[-4000:]}"
    return log


def _readable_by_everyone(path: pathlib.Path) -> bool:
    """Can a user other than the owner reach ``path`` (every folder above it searchable)?"""
    return all(p.stat().st_mode & 0o001 for p in path.parents)


def _answer(nb, how: str, reference: dict[str, str]) -> None:
    answers = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    for k, cell in enumerate(answers):
        gid = cell.metadata.nbgrader.grade_id
        if how == "right" or (how == "one wrong" and k > 0):
            cell.source = reference[gid]
        elif how == "one wrong":
            cell.source = cell.source.replace("raise NotImplementedError()", "return 0")


def test_a_class_runs_through_the_exchange(server):
    exchange = server / "exchange"
    course = server / "course"
    homes = server / "home"
    homes.mkdir(mode=0o755)
    # The instructor's course folder and the server-wide setting every user's nbgrader reads
    # (on a JupyterHub: /etc/jupyter/nbgrader_config.py).
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(course), "--chapters", "01"],
                   check=True, capture_output=True, text=True, timeout=TIMEOUT)
    shared = f'c.CourseDirectory.course_id = "dlbasics"\nc.Exchange.root = "{exchange}"\n'
    (course / "nbgrader_config_local.py").write_text(shared)
    exchange.mkdir(mode=0o777)
    exchange.chmod(0o777)
    nbgrader(["release_assignment", ASSIGNMENT], course)

    source = nbformat.read(course / "source" / ASSIGNMENT / CHAPTER.name, as_version=4)
    reference = {c.metadata.nbgrader.grade_id: "\n".join(
        line for line in c.source.splitlines()
        if line.strip() not in {"### BEGIN SOLUTION", "### END SOLUTION"})
        for c in source.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}

    users = {}
    for name, how in STUDENTS.items():
        user = users[name] = _user(name)
        home = homes / name
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(shared)
        shutil.chown(home, user.pw_uid, user.pw_gid)
        shutil.chown(home / ".jupyter", user.pw_uid, user.pw_gid)
        shutil.chown(home / ".jupyter" / "nbgrader_config.py", user.pw_uid, user.pw_gid)
        listed = nbgrader(["list"], home, user)
        assert ASSIGNMENT in listed, listed
        nbgrader(["fetch_assignment", ASSIGNMENT], home, user)
        path = home / ASSIGNMENT / CHAPTER.name
        assert path.owner() == user.pw_name, "the student owns the fetched copy"
        nb = nbformat.read(path, as_version=4)
        _answer(nb, how, reference)
        nbformat.write(nb, path)
        shutil.chown(path, user.pw_uid, user.pw_gid)
        nbgrader(["submit", ASSIGNMENT], home, user)

    nbgrader(["collect", ASSIGNMENT], course)
    logins = {PREFIX + name for name in STUDENTS}
    assert {p.name for p in (course / "submitted").iterdir()} == logins
    nbgrader(["autograde", ASSIGNMENT], course)
    nbgrader(["generate_feedback", ASSIGNMENT], course)
    nbgrader(["release_feedback", ASSIGNMENT], course)

    points = sum(c.metadata.nbgrader.get("points", 0) for c in source.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade"))
    first = next(c.metadata.nbgrader.points for c in source.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade"))
    expected = {"alice": points, "bob": 0, "carol": points - first}
    for name, user in users.items():
        home = homes / name
        nbgrader(["fetch_feedback", ASSIGNMENT], home, user)
        pages = list((home / ASSIGNMENT / "feedback").rglob("*.html"))
        assert len(pages) == 1, f"{name}: {pages}"
        html = pages[0].read_text(encoding="utf-8")
        assert f"Score: {expected[name]:g}" in html.replace(".0 ", " ") or (
            f"{expected[name]:.1f} / {points:.1f}" in html), (name, expected[name], html[:2000])
        others = [o for o in STUDENTS if o != name]
        stray = [q for o in others for q in (home / ASSIGNMENT / "feedback").rglob(f"*{o}*")]
        assert not stray, f"{name} got another student's feedback: {stray}"
