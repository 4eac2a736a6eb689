"""The instructor flow: nbgrader releases, autogrades, gives feedback on and exports every chapter.

Static checks (fast) hold every chapter to the exercise format of the notebooks: answer cells
with solution markers, graded and locked check cells worth points that call a
``dlbasics.checks`` helper, grade ids unique across the course. The ``slow`` tests run the real
nbgrader command line once per session, on course folders built by ``scripts/make_course.py``
(the chapters are split between folders graded side by side), with three submissions per
chapter:

- alice hands in the reference solutions (full marks expected);
- bob hands in the release untouched (zero on every graded cell, "not answered yet");
- carol answers the first coding exercise and replaces every check cell with ``pass`` (nbgrader
  must put the original checks back, so she gets the first exercise's points only).
"""

from __future__ import annotations

import ast
import concurrent.futures
import copy
import csv
import dataclasses
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import warnings
import zipfile

import nbformat
import pytest
import yaml

from dlbasics import checks

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_course.py"
CHAPTERS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if re.match(r"\d\d_", p.name))
STUDENTS = ("alice", "bob", "carol")
# eve hands in chapter 4 with wrong answers and a line that makes every check say ✓
# (dlbasics.checks.check_function rebound): the audit must give her 0 and name the line.
CHEATER, CHEATED_CHAPTER = "eve", "04"
CHEAT = ('import dlbasics.checks\n'
         'dlbasics.checks.check_function = lambda *args, **kwargs: "✓ passed all checks"\n')
HELPERS = {
    name for name, obj in vars(checks).items()
    if name.startswith("check_") and callable(obj) and obj.__module__ == checks.__name__
}
TIMEOUT = 1800  # seconds for one nbgrader command (it runs every chapter for every student)


def _load_make_course():
    spec = importlib.util.spec_from_file_location("make_course", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_course = _load_make_course()
chapters = pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_check(cell) -> bool:
    return bool(nbgrader_meta(cell).get("grade"))


def graded_cells(nb) -> list:
    return [c for c in nb.cells if nbgrader_meta(c)]


def exercises(nb) -> list[tuple]:
    """(answer cell, [its check cells]) in notebook order."""
    pairs = []
    for cell in graded_cells(nb):
        if is_answer(cell):
            pairs.append((cell, []))
        elif is_check(cell) and pairs:
            pairs[-1][1].append(cell)
    return pairs


def without_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in {"### BEGIN SOLUTION", "### END SOLUTION"})


def read(path: pathlib.Path):
    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------------------------------------
# Static checks: every chapter follows the exercise format.


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks (notebooks/NN_name.ipynb) found"


@chapters
def test_exercise_cells_carry_nbgrader_metadata(chapter):
    nb = read(chapter)
    number = chapter.stem[:2]
    cells = graded_cells(nb)
    assert any(is_answer(c) for c in cells), f"{chapter.name}: no coding exercise (answer cell)"
    for cell in cells:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id", "")
        where = f"{chapter.name}, cell {gid or '(no grade_id)'}"
        assert cell.cell_type == "code", f"{where}: exercise cells are code cells"
        assert meta.get("schema_version") == 3, f"{where}: nbgrader schema_version must be 3"
        assert re.fullmatch(rf"ch{number}-[a-z0-9]+(-[a-z0-9]+)*", gid), (
            f"{where}: grade_id must look like 'ch{number}-<exercise>-answer' or '-check'")
        if is_answer(cell):
            assert meta == {"grade": False, "solution": True, "locked": False,
                            "schema_version": 3, "grade_id": gid}, f"{where}: answer metadata"
            assert gid.endswith("-answer"), f"{where}: an answer cell's id ends in -answer"
            lines = [line.strip() for line in cell.source.splitlines()]
            assert lines[-2:] == list(make_course.STUB), (
                f"{where}: the learner's stub, ending in {make_course.STUB}")
            assert "SOLUTION" not in cell.source, (
                f"{where}: the reference answer belongs in the {{solution}} dropdown, unexecuted")
            assert "hide-input" not in cell.metadata.get("tags", []), (
                f"{where}: the learner writes here, so the cell is shown")
            assert not cell.metadata.get("jupyter", {}).get("source_hidden"), (
                f"{where}: the learner writes here, so the cell is shown")
        else:
            assert is_check(cell), f"{where}: neither an answer nor a check cell"
            assert meta.get("solution") is False and meta.get("locked") is True, (
                f"{where}: a check cell is graded, locked and not a solution")
            assert gid.endswith("-check"), f"{where}: a check cell's id ends in -check"
            assert "hide-input" in cell.metadata.get("tags", []), (
                f"{where}: on the website a check shows its cases first, its code on request "
                "(tag hide-input)")
            points = meta.get("points")
            assert isinstance(points, (int, float)) and points > 0, f"{where}: needs points > 0"
            assert "SOLUTION" not in cell.source, f"{where}: solution markers in a check cell"
            hidden = [line.strip() for line in cell.source.splitlines() if "HIDDEN TESTS" in line]
            assert hidden in ([], ["### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"]), (
                f"{where}: hidden tests need one BEGIN/END HIDDEN TESTS pair, in order")
    for cell in nb.cells:
        if not nbgrader_meta(cell):
            assert "### BEGIN SOLUTION" not in cell.source, f"{chapter.name}: markers outside"
            assert "HIDDEN TESTS" not in cell.source, f"{chapter.name}: markers outside"


@chapters
def test_every_answer_has_a_check_and_every_check_an_answer(chapter):
    nb = read(chapter)
    first = graded_cells(nb)[0]
    assert is_answer(first), f"{chapter.name}: check cell {nbgrader_meta(first)['grade_id']} "\
        "comes before any answer cell"
    for answer, check_cells in exercises(nb):
        assert check_cells, f"{chapter.name}: {nbgrader_meta(answer)['grade_id']} has no check"


@chapters
def test_check_cells_teach_through_dlbasics_checks(chapter):
    nb = read(chapter)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom) and node.module == "dlbasics.checks":
                    imported |= {alias.asname or alias.name for alias in node.names}
    for cell in filter(is_check, nb.cells):
        gid = nbgrader_meta(cell)["grade_id"]
        tree = ast.parse(cell.source)
        calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
        by_name = {f.id for f in calls if isinstance(f, ast.Name)} & HELPERS
        by_attribute = {f.attr for f in calls if isinstance(f, ast.Attribute)
                        and ast.unparse(f.value) in {"checks", "dlbasics.checks"}} & HELPERS
        assert by_name | by_attribute, (
            f"{chapter.name}, {gid}: call one of dlbasics.checks' {sorted(HELPERS)}")
        assert by_name <= imported, (
            f"{chapter.name}, {gid}: import {sorted(by_name)} from dlbasics.checks in the cell")
        assert not any(isinstance(node, ast.Assert) for node in ast.walk(tree)), (
            f"{chapter.name}, {gid}: a bare assert gives no teaching message; use a helper")


def test_grade_ids_are_unique_across_the_course():
    seen: dict[str, str] = {}
    for chapter in CHAPTERS:
        for cell in graded_cells(read(chapter)):
            gid = nbgrader_meta(cell).get("grade_id")
            assert gid not in seen, f"grade_id {gid!r} is in {seen.get(gid)} and {chapter.name}"
            seen[gid] = chapter.name


def test_assignment_names_are_unique_and_valid():
    names = [make_course.assignment_name(p) for p in CHAPTERS]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"ch\d\d_[a-z0-9_]+", n) for n in names), names


def test_course_folder_stays_out_of_tests_book_and_git():
    pytest_cfg = (ROOT / "pyproject.toml").read_text()
    folders = (make_course.DEFAULT_OUT, "source", "release", "submitted", "autograded",
               "feedback")
    norecurse = re.search(r"norecursedirs = \[(.*?)\]", pytest_cfg, re.S)[1]
    for folder in folders:
        assert f'"{folder}"' in norecurse, f"add {folder!r} to norecursedirs in pyproject.toml"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert make_course.DEFAULT_OUT in config["exclude_patterns"]
    assert config.get("only_build_toc_files") is True
    ignored = (ROOT / ".gitignore").read_text().split()
    assert f"{make_course.DEFAULT_OUT}/" in ignored


@chapters
def test_source_version_keeps_every_code_cell_and_drops_written_solutions(chapter):
    nb = read(chapter)
    source = make_course.student_source(nb, make_course.assignment_name(chapter))
    code = [c.source for c in nb.cells if c.cell_type == "code" and not is_answer(c)]
    assert [c.source for c in source.cells if c.cell_type == "code" and not is_answer(c)] == code
    assert sum(map(is_answer, source.cells)) == sum(map(is_answer, nb.cells))
    assert not any(marker in c.source for c in source.cells
                   for marker in ("{solution}", "{solution-start}", "{solution-end}")), (
        "the dropdown solutions belong to the book only")
    solutions = sum(bool(re.match(r"`{3,}\{solution\}", c.source.lstrip())) for c in nb.cells)
    assert solutions == sum(c.source.lstrip().startswith("```{exercise}") for c in nb.cells), (
        "one {solution} cell (with :class: dropdown) per exercise")
    exercise_count = sum(c.source.lstrip().startswith("```{exercise}") for c in nb.cells)
    assert sum(c.source.lstrip().startswith("```{exercise}") for c in source.cells) == (
        exercise_count)
    tags = [c.metadata.get("tags", []) for c in source.cells]
    assert not any(make_course.NOT_IN_ASSIGNMENT in t for t in tags)
    for cell in filter(is_answer, source.cells):
        assert not cell.metadata.get("jupyter", {}).get("source_hidden")
        assert "hide-input" not in cell.metadata.get("tags", [])
        inside, _ = make_course.split_marked(cell.source, make_course.BEGIN_SOLUTION,
                                             make_course.END_SOLUTION)
        assert inside, f"{nbgrader_meta(cell)['grade_id']}: the reference answer is marked"
    nbformat.validate(source)


@chapters
def test_instructor_guide_lists_the_chapter(chapter):
    name = make_course.assignment_name(chapter)
    guide = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    rows = [line for line in guide.splitlines() if line.startswith("|") and f"`{name}`" in line]
    assert rows, f"book/instructors.md: add a row for `{name}` to the table of exercises"
    total = sum(nbgrader_meta(c)["points"] for c in read(chapter).cells if is_check(c))
    cells = [cell.strip() for cell in rows[0].strip().strip("|").split("|")]
    assert f"{total:g}" in cells, (
        f"book/instructors.md: the row for `{name}` should give its {total:g} points")
    example = [line.split(",") for line in guide.splitlines() if line.startswith(f"{name},")]
    wrong = [row for row in example if float(row[-1]) != total]
    assert not wrong, f"book/instructors.md: the grades.csv example gives max_score {wrong}"


def test_make_course_detects_a_leaked_solution():
    answer = nbformat.v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
        metadata={"nbgrader": {"grade": False, "solution": True, "locked": False,
                               "schema_version": 3, "grade_id": "ch99-f-answer"}})
    check = nbformat.v4.new_code_cell(
        "print(check_function(f, [\n### BEGIN HIDDEN TESTS\nCase((3,), 6),\n"
        "### END HIDDEN TESTS\n]))",
        metadata={"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 1,
                               "schema_version": 3, "grade_id": "ch99-f-check"}})
    source = nbformat.v4.new_notebook(cells=[answer, check])
    release = copy.deepcopy(source)
    assert set(make_course.leaked_solution_lines(source, release)) >= {
        "return 2 * x", "Case((3,), 6),", "BEGIN SOLUTION", "HIDDEN TESTS"}
    release.cells[0].source = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    release.cells[1].source = "print(check_function(f, [\n]))"
    release.cells.append(nbformat.v4.new_code_cell("y = 2\nreturn 2 * x"))  # elsewhere: fine
    assert make_course.leaked_solution_lines(source, release) == []


# --------------------------------------------------------------------------------------------
# The real nbgrader, once per session, on every chapter.


@dataclasses.dataclass
class Course:
    roots: dict  # chapter file name -> the course folder that holds it
    grades: dict  # (student, assignment, grade_id) -> (score, max_score)
    export: list[dict]
    validate_log: str
    autograde_log: str = ""

    def root(self, chapter: pathlib.Path) -> pathlib.Path:
        return self.roots[chapter.name]

    def notebook(self, step: str, chapter: pathlib.Path, student: str | None = None):
        parts = [step] + ([student] if student else [])
        path = self.root(chapter).joinpath(*parts, make_course.assignment_name(chapter),
                                           chapter.name)
        assert path.is_file(), f"nbgrader did not write {path}"
        return read(path)

    def feedback(self, chapter: pathlib.Path, student: str) -> pathlib.Path:
        name = make_course.assignment_name(chapter)
        return self.root(chapter) / "feedback" / student / name / f"{chapter.stem}.html"


def nbgrader_command() -> tuple[list[str], dict[str, str]]:
    bindir = pathlib.Path(sys.executable).parent
    exe = shutil.which("nbgrader", path=str(bindir)) or shutil.which("nbgrader")
    assert exe, "nbgrader is not installed: pip install -r requirements-dev.txt"
    env = dict(os.environ, PATH=os.pathsep.join([str(bindir), os.environ.get("PATH", "")]))
    return [exe], env


def run(cmd: list[str], cwd: pathlib.Path, env: dict[str, str]) -> str:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"`{' '.join(cmd)}` failed:\n{log[-6000:]}"
    return log


def write_submissions(root: pathlib.Path, chapter: pathlib.Path) -> pathlib.Path:
    """alice, bob and carol hand in this chapter; return alice's notebook."""
    name = make_course.assignment_name(chapter)
    source = read(root / "source" / name / chapter.name)
    solutions = {nbgrader_meta(c)["grade_id"]: without_solution_markers(c.source)
                 for c in source.cells if is_answer(c)}
    first_answer = next(gid for gid in solutions)
    for student in STUDENTS:
        nb = read(root / "release" / name / chapter.name)
        for cell in graded_cells(nb):
            gid = nbgrader_meta(cell)["grade_id"]
            if is_answer(cell) and (student == "alice" or
                                    (student == "carol" and gid == first_answer)):
                cell.source = solutions[gid]
            if is_check(cell) and student == "carol":
                cell.source = "pass"
        folder = root / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / chapter.name)
    if chapter.stem[:2] == CHEATED_CHAPTER:
        nb = read(root / "release" / name / chapter.name)
        answers = list(filter(is_answer, nb.cells))
        for cell in answers:
            cell.source = cell.source.replace("raise NotImplementedError()", "return 0")
        answers[0].source = CHEAT + answers[0].source
        folder = root / "submitted" / CHEATER / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / chapter.name)
    return root / "submitted" / "alice" / name / chapter.name


def read_gradebook(root: pathlib.Path) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from nbgrader.api import Gradebook, MissingEntry

        grades = {}
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "dlbasics") as gb:
            for assignment in gb.assignments:
                for notebook in assignment.notebooks:
                    for student in (*STUDENTS, CHEATER):
                        try:
                            submission = gb.find_submission_notebook(
                                notebook.name, assignment.name, student)
                        except MissingEntry:
                            continue
                        for grade in submission.grades:
                            grades[student, assignment.name, grade.name] = (
                                grade.score, grade.max_score)
    return grades


def shards(chapters: list[pathlib.Path], n: int) -> list[list[pathlib.Path]]:
    """Split the chapters into ``n`` groups of about equal run time (longest first, each into the
    group with the least so far), from the run times recorded by benchmarks/bench_notebooks.py."""
    record = ROOT / "benchmarks" / "results" / "notebook_times.json"
    times = json.loads(record.read_text())["notebooks"] if record.is_file() else {}
    groups: list[list[pathlib.Path]] = [[] for _ in range(n)]
    load = [0.0] * n
    for chapter in sorted(chapters, key=lambda p: -times.get(p.stem, {}).get("median_s", 30)):
        i = load.index(min(load))
        groups[i].append(chapter)
        load[i] += times.get(chapter.stem, {}).get("median_s", 30)
    return [sorted(g) for g in groups if g]


def grade_course(root: pathlib.Path, chapters: list[pathlib.Path], validate: bool) -> Course:
    """Build a course folder for ``chapters`` with the documented command, hand in, autograde,
    give feedback and export; with ``validate``, also run `nbgrader validate` on alice's first
    notebook (alice's autograde already checks every chapter's solutions against every test)."""
    nbgrader, env = nbgrader_command()
    run([sys.executable, str(SCRIPT), "--out", str(root), "--chapters",
         *[p.stem[:2] for p in chapters]], ROOT, env)
    alice = [write_submissions(root, chapter) for chapter in chapters]
    checker = subprocess.Popen([*nbgrader, "validate", str(alice[0])], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True) if validate else None
    try:
        autograde_log = run([*nbgrader, "autograde", "*"], root, env)
        run([*nbgrader, "generate_feedback", "*"], root, env)
        run([*nbgrader, "export", "--to", "grades.csv"], root, env)
        validate_log = checker.communicate(timeout=TIMEOUT)[0] if checker else ""
    finally:
        if checker is not None and checker.poll() is None:
            checker.kill()
            checker.communicate()
    with open(root / "grades.csv", newline="") as handle:
        export = list(csv.DictReader(handle))
    return Course({p.name: root for p in chapters}, read_gradebook(root), export, validate_log,
                  autograde_log)


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Course:
    """Grade every chapter once per session. The chapters are split between course folders
    graded side by side, one per CPU core (an instructor would use one folder for the course:
    each folder here is a complete course of its own, built by the same documented command)."""
    groups = shards(CHAPTERS, max(1, min(os.cpu_count() or 1, 4)))
    base = tmp_path_factory.mktemp("course")
    with concurrent.futures.ThreadPoolExecutor(len(groups)) as pool:
        parts = list(pool.map(
            lambda ig: grade_course(base / f"instructor{ig[0]}", ig[1], ig[0] == 0),
            enumerate(groups)))
    return Course(
        roots={k: v for part in parts for k, v in part.roots.items()},
        grades={k: v for part in parts for k, v in part.grades.items()},
        export=[row for part in parts for row in part.export],
        validate_log=parts[0].validate_log,
        autograde_log="\n".join(part.autograde_log for part in parts),
    )


def error_outputs(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


@pytest.mark.slow
@chapters
def test_generate_assignment_releases_the_chapter(course, chapter):
    name = make_course.assignment_name(chapter)
    release = course.notebook("release", chapter)
    source = course.notebook("source", chapter)
    assert [nbgrader_meta(c)["grade_id"] for c in graded_cells(release)] == [
        nbgrader_meta(c)["grade_id"] for c in graded_cells(source)]
    with zipfile.ZipFile(course.root(chapter) / "handout" / f"{name}.zip") as handout:
        assert f"{name}/{chapter.name}" in handout.namelist()
    assert (course.root(chapter) / "nbgrader_config.py").is_file()
    assert (course.root(chapter) / "gradebook.db").is_file()


@pytest.mark.slow
@chapters
def test_release_carries_no_solution_code(course, chapter):
    release = course.notebook("release", chapter)
    source = course.notebook("source", chapter)
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "{solution}",
                   "{solution-start}"):
        assert marker not in text, f"{marker!r} is still in the release"
    assert make_course.leaked_solution_lines(source, release) == []
    for cell in filter(is_answer, source.cells):
        lines = [line.strip() for line in cell.source.splitlines()]
        begin, end = lines.index("### BEGIN SOLUTION"), lines.index("### END SOLUTION")
        body = set(lines[begin + 1:end]) - set(lines[:begin] + lines[end + 1:]) - {""}
        released = next(c for c in release.cells if nbgrader_meta(c).get("grade_id") ==
                        nbgrader_meta(cell)["grade_id"])
        assert not set(body) & {line.strip() for line in released.source.splitlines()}
    assert not any(c.get("outputs") for c in release.cells), "the release has no outputs"


@pytest.mark.slow
@chapters
def test_release_stubs_raise_not_implemented(course, chapter):
    release = course.notebook("release", chapter)
    for cell in filter(is_answer, release.cells):
        assert "raise NotImplementedError()" in cell.source
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), "stub must be visible"
    graded = course.notebook("autograded", chapter, "bob")
    for cell in filter(is_check, graded.cells):
        errors = error_outputs(cell)
        assert errors and errors[0].ename == "AnswerError", (
            f"{nbgrader_meta(cell)['grade_id']}: the untouched stub should fail its check")
        assert "not answered yet" in errors[0].evalue


@pytest.mark.slow
@chapters
def test_release_runs_for_students(course, chapter):
    graded = course.notebook("autograded", chapter, "bob")
    broken = [(i, error_outputs(c)[0].ename, error_outputs(c)[0].evalue[:200])
              for i, c in enumerate(graded.cells)
              if c.cell_type == "code" and not is_check(c) and error_outputs(c)]
    assert not broken, f"cells that fail in the student version: {broken}"
    assert any(o.get("output_type") == "display_data" for c in graded.cells
               for o in c.get("outputs", [])), "figures and explorers should display"


@pytest.mark.slow
@chapters
def test_reference_solutions_score_full_marks(course, chapter):
    name = make_course.assignment_name(chapter)
    graded = course.notebook("autograded", chapter, "alice")
    failing = [i for i, c in enumerate(graded.cells) if error_outputs(c)]
    assert not failing, f"cells with errors in alice's graded notebook: {failing}"
    cells = {k[2]: v for k, v in course.grades.items() if k[:2] == ("alice", name)}
    expected = {nbgrader_meta(c)["grade_id"] for c in read(chapter).cells if is_check(c)}
    assert set(cells) == expected
    assert all(score == max_score > 0 for score, max_score in cells.values()), cells


@pytest.mark.slow
def test_validate_accepts_the_reference_solutions(course):
    assert "Success! Your notebook passes all the tests." in course.validate_log, (
        course.validate_log[-4000:])


@pytest.mark.slow
@chapters
def test_untouched_release_scores_zero_on_every_cell(course, chapter):
    name = make_course.assignment_name(chapter)
    cells = {k[2]: v for k, v in course.grades.items() if k[:2] == ("bob", name)}
    assert cells and all(score == 0 for score, _ in cells.values()), cells


@pytest.mark.slow
@chapters
def test_edited_check_cells_are_restored_and_graded(course, chapter):
    name = make_course.assignment_name(chapter)
    source = course.notebook("source", chapter)
    originals = {nbgrader_meta(c)["grade_id"]: c.source for c in source.cells if is_check(c)}
    graded = course.notebook("autograded", chapter, "carol")
    restored = {nbgrader_meta(c)["grade_id"]: c.source for c in graded.cells if is_check(c)}
    assert restored == originals, "nbgrader should put the original check cells back"
    answered = {nbgrader_meta(c)["grade_id"] for c in exercises(source)[0][1]}
    for gid in originals:
        score, max_score = course.grades["carol", name, gid]
        assert score == (max_score if gid in answered else 0), (gid, score, max_score)


@pytest.mark.slow
@chapters
def test_feedback_html_for_every_submission(course, chapter):
    for student in STUDENTS:
        html = course.feedback(chapter, student)
        assert html.is_file(), f"no feedback for {student}: {html}"
    bob = course.feedback(chapter, "bob").read_text(encoding="utf-8")
    assert "is not answered yet:" in bob
    alice = course.feedback(chapter, "alice").read_text(encoding="utf-8")
    assert "is not answered yet:" not in alice and "AnswerError" not in alice


@pytest.mark.slow
@chapters
def test_export_writes_the_grades(course, chapter):
    name = make_course.assignment_name(chapter)
    rows = {row["student_id"]: row for row in course.export if row["assignment"] == name
            and row["student_id"] != CHEATER}
    assert set(rows) == set(STUDENTS)
    total = sum(nbgrader_meta(c)["points"] for c in read(chapter).cells if is_check(c))
    first = sum(nbgrader_meta(c)["points"] for c in exercises(read(chapter))[0][1])
    assert {s: (float(r["score"]), float(r["max_score"])) for s, r in rows.items()} == {
        "alice": (total, total), "bob": (0, total), "carol": (first, total)}



@pytest.mark.slow
def test_the_audit_zeroes_a_submission_that_rebinds_the_checks(course):
    chapter = next(p for p in CHAPTERS if p.stem[:2] == CHEATED_CHAPTER)
    name = make_course.assignment_name(chapter)
    cells = {k[2]: v for k, v in course.grades.items() if k[:2] == (CHEATER, name)}
    assert cells and all(score == 0 for score, _ in cells.values()), cells
    report = (course.root(chapter) / "audit.txt").read_text(encoding="utf-8")
    assert f"{CHEATER} / {name}" in report and "dlbasics.checks.check_function" in report
    assert not any(s in report for s in STUDENTS), "only the cheat is flagged"
    graded = course.notebook("autograded", chapter, CHEATER)
    for cell in filter(is_check, graded.cells):
        assert any(o.get("ename") == "AuditError" for o in error_outputs(cell))
    assert "audit:" in course.autograde_log


@pytest.mark.slow
def test_only_edited_check_cells_log_a_checksum_warning(course):
    """carol replaced every check cell; alice, bob and eve left theirs untouched."""
    edited = sum(is_check(c) for chapter in CHAPTERS for c in read(chapter).cells)
    warnings_logged = course.autograde_log.count("Attribute 'checksum'")
    assert warnings_logged == edited, course.autograde_log[-3000:]


# --------------------------------------------------------------------------------------------
# The audit (scripts/grading_steps.py), without nbgrader.


def _grading_steps():
    sys.path.insert(0, str(ROOT / "scripts"))
    import grading_steps

    return grading_steps


@pytest.mark.parametrize("cheat, reason", [
    ("np.allclose = lambda *a, **k: True", r"changes np\.allclose"),
    ("import numpy\nnumpy.allclose = lambda *a, **k: True", r"changes numpy\.allclose"),
    ("import numpy as n\nn.isclose = None", r"changes n\.isclose"),
    ("def check_function(*args, **kwargs):\n    return '✓'", r"redefines check_function"),
    ("check_function = print", r"redefines check_function"),
    ("import dlbasics.checks as c\nc.check_function = len", r"changes c\.check_function"),
    ("from dlbasics import checks\nchecks._compare = print", r"changes checks\._compare"),
    ("setattr(np, 'allclose', print)", r"calls setattr"),
    ("import builtins\nbuiltins.abs = print", r"imports builtins"),
    ("np.__dict__['allclose'] = print", r"changes np\.__dict__"),
    ("import sys\nsys.modules['numpy'] = None", r"sys\.modules"),
    ("exec('np.allclose = print')", r"calls exec"),
    ("import dlbasics.checks as c\nc.__dict__.update(check_function=len)", r"uses c\.__dict__"),
    ("import dlbasics.checks as c\ntype(c).__setattr__(c, 'check_function', len)",
     r"uses type\(c\)\.__setattr__"),
    ("(lambda: 0).__globals__['check_function'] = len", r"uses \(lambda: 0\)\.__globals__"),
])
def test_the_audit_flags_code_that_changes_the_checks(cheat, reason):
    findings = _grading_steps().audit_source(cheat)
    assert any(re.search(reason, why) for _, why in findings), findings


@pytest.mark.parametrize("answer", [
    "def f(x):\n    return np.allclose(x, 0) and x @ W + b",
    "x = np.zeros(3)\nx.shape = (3, 1)\nplt.rcParams['font.size'] = 9",
    "import numpy as np\nresult = np.sum(np.abs(v))\nv[0] = 1",
])
def test_the_audit_leaves_ordinary_answers_alone(answer):
    assert _grading_steps().audit_source(answer) == []


@chapters
def test_the_chapters_own_code_passes_the_audit(chapter):
    findings = _grading_steps().audit_notebook(read(chapter))
    assert not findings, [str(f) for f in findings]


def test_restoring_hidden_tests_matches_what_nbgrader_releases():
    steps = _grading_steps()
    source = ("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nprint(a)")
    assert steps.without_hidden_tests(source) == "a = 1\nprint(a)"


@chapters
def test_student_version_says_only_what_is_true_for_students(chapter):
    """No solution dropdowns, reference answers or "new cell" instructions are promised."""
    source = make_course.student_source(read(chapter), make_course.assignment_name(chapter))
    text = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    for phrase in ("Solution* box", "reference answer", "collapsed cell", "in a new cell",
                   "expand the collapsed"):
        assert phrase.lower() not in text.lower(), f"{chapter.name}: {phrase!r}"
    assert "no solutions to the exercises" in text
