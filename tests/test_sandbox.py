"""Autograding runs each submission in a sandbox (``scripts/grading_sandbox.py``).

A tiny generated assignment (two exercises of 1 point each) is graded with the real nbgrader in
a course folder configured by ``scripts/make_course.py``. Three students hand it in:

- alice answers both exercises (2 points), bob hands in the release untouched (0 points);
- mallory answers the first exercise only (1 point) and adds cells that attack the grading:
  read the hidden tests and the reference solutions in ``source/``, write and delete
  ``gradebook.db``, read and overwrite alice's submission, connect to a server listening on
  127.0.0.1 and to the internet, read the instructor's environment, fork without end, allocate
  20 GiB and loop forever. Each attack prints whether it was blocked.

The same honest submissions graded without the sandbox (asked for by name) get the same grades.
Without bubblewrap, or with a broken configuration, autograding stops with a clear message
instead of grading without the sandbox.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import warnings

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ASSIGNMENT, NOTEBOOK = "tiny", "tiny.ipynb"
TIMEOUT = 10  # seconds per cell in these tests (the course's configuration says 60)
SECRET = "DLBASICS_TEST_SECRET"
sys.path.insert(0, str(ROOT / "scripts"))
import grading_sandbox  # noqa: E402


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_course = _load("make_course")


def graded(kind: str, grade_id: str, source: str, points: int = 1):
    meta = {"grade": kind == "check", "solution": kind == "answer", "locked": kind == "check",
            "schema_version": 3, "grade_id": grade_id}
    if kind == "check":
        meta["points"] = points
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def source_notebook():
    """Two exercises, each an answer cell and a check cell with a hidden test."""
    cells = [nbformat.v4.new_code_cell("from dlbasics.checks import Case, check_function")]
    for name, factor in (("double", 2), ("triple", 3)):
        cells += [
            graded("answer", f"tiny-{name}-answer", f"def {name}(x):\n    ### BEGIN SOLUTION\n"
                   f"    return {factor} * x\n    ### END SOLUTION\n"),
            graded("check", f"tiny-{name}-check",
                   f"print(check_function({name}, [\n    Case((1,), {factor}),\n"
                   f"    ### BEGIN HIDDEN TESTS\n    Case((-7,), {-7 * factor}),\n"
                   "    ### END HIDDEN TESTS\n]))"),
        ]
    return nbformat.v4.new_notebook(cells=cells)


def attack(name: str, action: str):
    """A cell that tries ``action`` and prints whether it was blocked."""
    body = "\n".join("    " + line for line in action.strip().splitlines())
    prefix = f"ATTACK {name}:"
    return nbformat.v4.new_code_cell(
        f"try:\n{body}\n    print({prefix!r}, 'SUCCEEDED')\n"
        "except BaseException as error:\n"
        f"    print({prefix!r}, 'blocked', f'({{type(error).__name__}}: {{error}})')")


def attacks(root: pathlib.Path, port: int) -> list:
    source = root / "source" / ASSIGNMENT / NOTEBOOK
    db = root / "gradebook.db"
    alice = root / "submitted" / "alice" / ASSIGNMENT / NOTEBOOK
    return [
        attack("read the reference solutions and hidden tests",
               f"print(open({str(source)!r}).read())"),
        attack("read the graded notebook with its hidden tests",
               f"print(open({NOTEBOOK!r}).read())"),
        attack("list the course folder", f"import os\nprint(os.listdir({str(root)!r}))"),
        attack("write gradebook.db", f"open({str(db)!r}, 'ab').write(b'0')"),
        attack("rewrite the grades", "import sqlite3\n"
               f"sqlite3.connect({str(db)!r}).execute('update grade set auto_score = 1')"),
        attack("delete gradebook.db", f"import os\nos.remove({str(db)!r})"),
        attack("read another student's notebook", f"print(open({str(alice)!r}).read())"),
        attack("overwrite another student's notebook", f"open({str(alice)!r}, 'w').write('')"),
        attack("write in the course folder", f"open({str(root / 'pwned.txt')!r}, 'w')"),
        attack("connect to 127.0.0.1", "import socket\n"
               f"socket.create_connection(('127.0.0.1', {port}), timeout=5)"),
        attack("connect to the internet", "import socket\n"
               "socket.create_connection(('1.1.1.1', 53), timeout=5)"),
        attack("read the instructor's environment", f"import os\nprint(os.environ[{SECRET!r}])"),
        attack("allocate 20 GiB", "import numpy as np\n"
               "print(np.ones(20 * 2**30, dtype=np.uint8).sum())"),
        attack("fork without end", "import os, time\nchildren = 0\nwhile True:\n"
               "    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)\n"
               "    children += 1"),
        attack("loop forever", "while True:\n    pass"),
    ]


def run_nbgrader(root: pathlib.Path, *args: str, check: bool = True):
    bindir = pathlib.Path(sys.executable).parent
    env = dict(os.environ, PATH=os.pathsep.join([str(bindir), os.environ.get("PATH", "")]),
               **{SECRET: "the instructor's token"})
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=env,
                            capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    if check:
        assert result.returncode == 0, f"`nbgrader {' '.join(args)}` failed:\n{log[-6000:]}"
    return result.returncode, log, time.perf_counter() - start


def scores(root: pathlib.Path) -> dict:
    """(student, grade id) -> points, from the gradebook."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlbasics") as gb:
            return {(student.id, grade.name): grade.score for student in gb.students
                    for grade in gb.find_submission_notebook(
                        pathlib.Path(NOTEBOOK).stem, ASSIGNMENT, student.id).grades}


def digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_course(base: pathlib.Path, name: str, local: str = "") -> pathlib.Path:
    """A copy of the released course ``base`` with its own local configuration."""
    root = base.parent / name
    shutil.copytree(base, root)
    make_course.write_config(root)
    (root / "nbgrader_config_local.py").write_text(
        f"c = get_config()  # noqa: F821\nc.Execute.timeout = {TIMEOUT}\n{local}")
    return root


def hand_in(root: pathlib.Path, student: str, answers: tuple[str, ...] = (), extra=()):
    nb = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source.replace(
        "    ### BEGIN SOLUTION\n", "").replace("    ### END SOLUTION\n", "")
        for c in source_notebook().cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid in answers:
            cell.source = solutions[gid]
    nb.cells[1:1] = list(extra)
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> pathlib.Path:
    """The tiny assignment, released with the course's configuration."""
    problem = grading_sandbox.bwrap_problem()
    assert problem is None, problem
    root = tmp_path_factory.mktemp("sandbox") / "released"
    root.mkdir()
    make_course.write_config(root)
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / ASSIGNMENT / NOTEBOOK)
    run_nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    return root


@pytest.fixture(scope="module")
def attacked(released):
    """Grade alice, bob and mallory in the sandbox; mallory is graded alone and timed."""
    root = new_course(released, "sandboxed")
    with socket.create_server(("127.0.0.1", 0)) as listener:  # closed even if grading fails
        port = listener.getsockname()[1]
        hand_in(root, "alice", ("tiny-double-answer", "tiny-triple-answer"))
        hand_in(root, "bob")
        hand_in(root, "mallory", ("tiny-double-answer",), attacks(root, port))
        protected = [root / "source" / ASSIGNMENT / NOTEBOOK,
                     root / "submitted" / "alice" / ASSIGNMENT / NOTEBOOK]
        before = {path: digest(path) for path in protected}
        _, log, seconds = run_nbgrader(root, "autograde", ASSIGNMENT, "--student", "mallory")
        db_after_mallory = digest(root / "gradebook.db")
        log += run_nbgrader(root, "autograde", ASSIGNMENT)[1]
        listener.setblocking(False)
        try:
            listener.accept()[0].close()
            reached = True
        except BlockingIOError:
            reached = False
    return {"root": root, "log": log, "seconds": seconds, "before": before,
            "after": {path: digest(path) for path in protected}, "reached": reached,
            "db_after_mallory": db_after_mallory, "scores": scores(root)}


def attack_lines(root: pathlib.Path) -> dict[str, str]:
    nb = nbformat.read(root / "autograded" / "mallory" / ASSIGNMENT / NOTEBOOK, as_version=4)
    lines = {}
    for cell in nb.cells:
        text = "".join(output.get("text", "") for output in cell.get("outputs", []))
        for line in text.splitlines():
            if line.startswith("ATTACK "):
                name, _, result = line.removeprefix("ATTACK ").partition(": ")
                lines[name] = result
    return lines


def test_bubblewrap_is_installed_and_works():
    problem = grading_sandbox.bwrap_problem()
    assert problem is None, problem


@pytest.mark.slow
def test_every_attack_fails_inside_the_sandbox(attacked):
    lines = attack_lines(attacked["root"])
    expected = [c.source.split("ATTACK ")[1].split(":")[0] for c in attacks(ROOT, 1)]
    assert sorted(lines) == sorted(expected), lines
    succeeded = {name: result for name, result in lines.items() if not result.startswith("blocked")}
    assert not succeeded, succeeded
    assert lines["allocate 20 GiB"].startswith("blocked (MemoryError")
    assert lines["fork without end"].startswith("blocked (BlockingIOError")
    assert lines["loop forever"].startswith("blocked (KeyboardInterrupt")
    assert lines["connect to 127.0.0.1"].startswith("blocked (ConnectionRefusedError")


@pytest.mark.slow
def test_nothing_outside_the_sandbox_changed(attacked):
    root = attacked["root"]
    assert attacked["after"] == attacked["before"], "source/ or alice's submission changed"
    assert not (root / "pwned.txt").exists()
    assert not attacked["reached"], "a submission connected to the server on 127.0.0.1"
    for _ in range(50):  # the sandboxes of a grading that ended are torn down in a moment
        alive = left_running(attacked["log"])
        if not alive:
            break
        time.sleep(0.2)
    assert not alive, f"processes of this test's sandboxes still run: {alive}"


def left_running(log: str) -> list[str]:
    """Processes of the sandboxes that graded ``log``, still running after the grading ended.

    Other tests may be grading beside this one, so a process in some sandbox is not enough: as
    root each kernel runs as a user id of its own, which the log names; otherwise a process is
    this test's if no grading waits for it (the first process above it outside the sandbox is
    the system's first process: its grader has ended)."""
    pids = [pid for pid in os.listdir("/proc") if pid.isdigit() and
            _status(pid, "State")[:1] not in ("", "Z")]  # a zombie has ended
    if os.geteuid() == 0:
        uids = {int(uid) for uid in re.findall(r"runs in a sandbox as user id (\d+)", log)}
        assert len(uids) >= 3, f"every kernel names its user id in the log:\n{log[-3000:]}"
        return [pid for pid in pids if _status(pid, "Uid").partition("\t")[0] in map(str, uids)]
    return [pid for pid in pids if _in_sandbox(pid) and _grader(pid) == "1"]


def _status(pid: str, field: str) -> str:
    try:
        lines = pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # the process ended
        return ""
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(field + ":")),
                "")


def _in_sandbox(pid: str) -> bool:
    if _status(pid, "Name") == "bwrap":
        return True
    try:
        return os.readlink(f"/proc/{pid}/cwd") == grading_sandbox.WORKDIR
    except OSError:  # ended, or another user's
        return False


def _grader(pid: str) -> str:
    while pid and pid != "0" and _in_sandbox(pid):
        pid = _status(pid, "PPid")
    return pid


@pytest.mark.slow
def test_grades_are_earned_and_every_other_grade_unchanged(attacked):
    assert attacked["scores"] == {
        ("alice", "tiny-double-check"): 1, ("alice", "tiny-triple-check"): 1,
        ("bob", "tiny-double-check"): 0, ("bob", "tiny-triple-check"): 0,
        ("mallory", "tiny-double-check"): 1, ("mallory", "tiny-triple-check"): 0,
    }


@pytest.mark.slow
def test_grading_the_attacker_ends_within_the_cell_timeout(attacked):
    # the looping cell is interrupted once, after TIMEOUT seconds, and grading goes on; the
    # rest is nbgrader and one kernel start (a loose bound: the machine may be busy)
    assert attacked["log"].count(f"Timeout waiting for execute reply ({TIMEOUT}s)") == 1
    assert attacked["seconds"] < TIMEOUT + 120, attacked["seconds"]


@pytest.mark.slow
def test_honest_grades_are_the_same_without_the_sandbox(released, attacked):
    root = new_course(released, "unsandboxed", "c.SandboxedKernelManager.enabled = False\n"
                      "c.SandboxedKernelManager.bwrap = '/nonexistent/bwrap'\n")
    hand_in(root, "alice", ("tiny-double-answer", "tiny-triple-answer"))
    hand_in(root, "bob")
    _, log, _ = run_nbgrader(root, "autograde", ASSIGNMENT)
    assert "Grading WITHOUT a sandbox" in log
    honest = {k: v for k, v in attacked["scores"].items() if k[0] in {"alice", "bob"}}
    assert scores(root) == honest


@pytest.mark.slow
def test_without_bubblewrap_grading_stops_and_says_how_to_install_it(released):
    root = new_course(released, "no-bwrap", "c.SandboxedKernelManager.bwrap = "
                      "'/nonexistent/bwrap'\n")
    hand_in(root, "alice", ("tiny-double-answer", "tiny-triple-answer"))
    status, log, _ = run_nbgrader(root, "autograde", ASSIGNMENT, check=False)
    assert status != 0
    assert "sudo apt-get install bubblewrap" in log and "--no-sandbox" in log
    assert not (root / "autograded" / "alice" / ASSIGNMENT).exists()
    assert all(score in (None, 0) for score in scores(root).values())


@pytest.mark.slow
def test_a_broken_configuration_stops_grading_instead_of_dropping_the_sandbox(released):
    root = new_course(released, "broken", "c.SandboxedKernelManager.enabled = False\n"
                      "c.Execute.timeout = = 5\n")
    hand_in(root, "alice", ("tiny-double-answer", "tiny-triple-answer"))
    status, log, _ = run_nbgrader(root, "autograde", ASSIGNMENT, check=False)
    assert status != 0
    assert "not grading: the course configuration failed (SyntaxError" in log
    assert not (root / "autograded" / "alice" / ASSIGNMENT).exists()


@pytest.mark.slow
def test_the_whole_kernel_is_stopped_after_wall_seconds(tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError
    from traitlets.config import Config

    config = Config()
    config.SandboxedKernelManager.wall_seconds = 3
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)")])
    client = NotebookClient(nb, timeout=60, kernel_name="python3", config=config,
                            kernel_manager_class=grading_sandbox.SandboxedKernelManager,
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    with pytest.raises(DeadKernelError):
        client.execute()
    assert time.perf_counter() - start < 30


def test_course_configuration_turns_the_sandbox_on_with_a_short_cell_timeout(tmp_path):
    make_course.write_config(tmp_path)
    text = (tmp_path / "nbgrader_config.py").read_text()
    assert "grading_sandbox.use_in(c, enabled=True)" in text
    timeouts = [int(line.split("=")[1]) for line in text.splitlines()
                if line.startswith(("c.Execute.timeout", "c.ExecutePreprocessor.timeout"))]
    assert timeouts and max(timeouts) <= 60, timeouts


def test_no_sandbox_is_asked_for_by_name(tmp_path):
    make_course.write_config(tmp_path, sandbox=False)
    assert "grading_sandbox.use_in(c, enabled=False)" in (
        tmp_path / "nbgrader_config.py").read_text()
    assert "WITHOUT a sandbox" in make_course.sandbox_note(sandbox=False)
    assert make_course.sandbox_note(sandbox=True) is None
