"""Build an nbgrader course folder from the chapter notebooks and generate the student versions.

Usage (from the repository's root, in the environment that has dlbasics and nbgrader)::

    python scripts/make_course.py                      # every chapter, into instructor/
    python scripts/make_course.py --chapters 01 05     # only chapters 1 and 5
    python scripts/make_course.py --out ~/dl-course    # another course folder
    python scripts/make_course.py --no-sandbox         # autograde WITHOUT the sandbox (unsafe)

For each chapter ``notebooks/NN_name.ipynb`` this writes the nbgrader *source* version
``<out>/source/chNN_name/NN_name.ipynb`` and runs ``nbgrader generate_assignment chNN_name
--force``, which puts the *student* version in ``<out>/release/chNN_name/`` (with a zip of it in
``<out>/handout/`` for an LMS) and records the exercises and their points in
``<out>/gradebook.db``. ``<out>/nbgrader_config.py`` is (re)written every time; put your own
settings in ``<out>/nbgrader_config_local.py``, which this script never touches. That
configuration makes ``nbgrader autograde`` run each submission's kernel in a sandbox
(``scripts/grading_sandbox.py``, which needs bubblewrap), with 60 s per cell; the script says so
when bubblewrap is missing here.

The chapter notebooks stay the single source. In a chapter, each coding exercise's answer cell
holds the stub the learner fills in (``# YOUR CODE HERE`` / ``raise NotImplementedError()``) and
its reference answer sits, never executed, in a ```` ```python ```` block of the exercise's
``{solution}`` dropdown. The source version is the chapter with
- each stub's two lines replaced by its reference answer between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` (the rest of the reference must repeat the stub's lines),
- its written solutions (the ``{solution}`` dropdown cells, and any gated ``solution-start`` ...
  ``solution-end`` pair) and the cells tagged ``not-in-assignment`` removed, with an empty
  "Your answer" cell after each conceptual exercise,
- a note for students under the title and at the exercises.
nbgrader then turns the marked code back into the stub, removes ``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS`` from the check cells (autograding puts them back) and clears the
outputs. The script then checks that no line of a reference solution or hidden test is left in
the release.
"""

from __future__ import annotations

import argparse
import copy
import os
import pathlib
import re
import shutil
import subprocess
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SCRIPTS = ROOT / "scripts"
DEFAULT_OUT = "instructor"
COURSE_ID = "dlbasics"
CHAPTER = re.compile(r"^(\d{2})_(\w+)$")

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")  # nbgrader's stub for Python
NOT_IN_ASSIGNMENT = "not-in-assignment"  # tag of chapter cells that only make sense in the book
REFERENCE = re.compile(r"^```python\n(.*?)\n```$", re.S | re.M)

CONFIG = '''\
# nbgrader configuration of the Deep Learning Basics course.
# Written by scripts/make_course.py, which overwrites it on every run: put your own settings in
# nbgrader_config_local.py next to this file (loaded last, never overwritten).
# Run every nbgrader command from this folder, with dlbasics installed in the same environment.
import os
import sys

c = get_config()  # noqa: F821 (provided by nbgrader)
here = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.root = here
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "gradebook.db")

# No shared exchange: release by handing out release/<assignment>/ (or handout/*.zip) and
# collect by copying submissions to submitted/<student>/<assignment>/. On a JupyterHub with
# nbgrader's exchange, set c.Exchange.root in nbgrader_config_local.py instead.
c.Exchange.root = os.path.join(here, "exchange")

# Grading runs every cell of a chapter in the "python3" kernel of the environment that has
# dlbasics. A cell still running after 60 s is interrupted and its check fails (every chapter
# runs in under a minute in all).
c.Execute.timeout = 60
c.Execute.startup_timeout = 180
c.Execute.kernel_name = "python3"
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.kernel_name = "python3"

# A student who deletes a check cell gets it back (and graded) instead of a silent zero.
c.OverwriteCells.add_missing_cells = True
c.RestoreHiddenTests.add_missing_cells = True

# Autograding runs each submission's kernel in a sandbox (bubblewrap): it cannot read source/,
# change gradebook.db, see the other submissions or use the network. See grading_sandbox.py in
# the repository's scripts/ and the guide's section on the sandbox. nbgrader ignores a whole
# configuration file that raises an error (and would then grade without the sandbox), so an
# error here or in nbgrader_config_local.py makes autograding stop with the reason instead.
try:
    sys.path.insert(0, {scripts!r})
    import grading_sandbox

    grading_sandbox.use_in(c, enabled={sandbox})
    # The audit: a submission whose cells change what the checks rely on (numpy.allclose,
    # check_function, ...) scores 0 and is listed in audit.txt; and no checksum warning for
    # untouched check cells. See grading_steps.py in the repository's scripts/.
    import grading_steps

    grading_steps.use_in(c, report=os.path.join(here, "audit.txt"))
    load_subconfig(os.path.join(here, "nbgrader_config_local.py"))  # noqa: F821
except Exception as error:
    from nbgrader.preprocessors import NbGraderPreprocessor

    class ConfigurationError(NbGraderPreprocessor):
        def preprocess(self, nb, resources, reason=f"{{type(error).__name__}}: {{error}}"):
            raise RuntimeError(f"not grading: the course configuration failed ({{reason}})")

    c.Autograde.autograde_preprocessors = [ConfigurationError]
    print(f"nbgrader_config.py: {{type(error).__name__}}: {{error}}", file=sys.stderr)
'''

STUDENT_NOTE = """\
> **Assignment version ({assignment}).** This copy has no solutions to the exercises.
> Write each coding answer in the cell that says `# YOUR CODE HERE` (replace
> `raise NotImplementedError()`, keep the function's name), run it, then run the check cell
> under it. Write each conceptual answer in the cell marked *Your answer*. Do not change or
> delete the check cells: grading puts the original ones back, with more cases. Before handing
> in: *Kernel → Restart Kernel and Run All Cells*. Run All stops at a check that fails: fix
> that answer, or, to hand it in as it is, select the next cell and choose *Run → Run Selected
> Cell and All Below*, until the last cell has run."""

EXERCISES_NOTE = """\
*In this assignment version:* write your written answers in the *Your answer* cells. Checks
that say *not answered yet* while you work score no points when graded."""

ANSWER_CELL = "**Your answer:** *(double-click this cell and write here)*"


def assignment_name(notebook: pathlib.Path) -> str:
    """``01_neurons.ipynb`` -> ``ch01_neurons``."""
    match = CHAPTER.match(notebook.stem)
    if not match:
        raise ValueError(f"{notebook.name}: chapter notebooks are named NN_name.ipynb")
    return f"ch{match[1]}_{match[2]}"


def discover_chapters(selected: list[str] | None = None) -> list[pathlib.Path]:
    """The chapter notebooks in notebooks/, optionally only those named by number or name."""
    chapters = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if CHAPTER.match(p.stem))
    if not selected:
        return chapters
    picked = []
    for want in selected:
        found = [p for p in chapters if want in {p.stem, p.name, assignment_name(p),
                                                  p.stem[:2], p.stem[:2].lstrip("0")}]
        if not found:
            names = ", ".join(p.stem for p in chapters)
            raise SystemExit(f"no chapter {want!r} in notebooks/ (there are: {names})")
        picked += [p for p in found if p not in picked]
    return picked


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_answer_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_nbgrader(cell).get("solution"))


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and bool(_nbgrader(cell).get("grade"))


def _directive(cell, name: str) -> bool:
    return cell.cell_type == "markdown" and bool(
        re.match(rf"`{{3,}}\{{{name}\}}", cell.source.lstrip()))


def reference_answer(solution_source: str) -> str | None:
    """The last ```` ```python ```` block of a ``{solution}`` cell: the reference answer."""
    blocks = REFERENCE.findall(solution_source)
    return blocks[-1] if blocks else None


def with_reference(stub: str, reference: str, where: str = "an answer cell") -> str:
    """The answer cell's nbgrader source: ``stub`` with its two stub lines replaced by the part of
    ``reference`` they stand for, between the solution markers."""
    lines, ref = stub.split("\n"), reference.split("\n")
    try:
        k = next(i for i, line in enumerate(lines) if line.strip() == STUB[0])
    except StopIteration:
        raise ValueError(f"{where}: no `{STUB[0]}` line in the answer cell") from None
    if k + 1 >= len(lines) or lines[k + 1].strip() != STUB[1]:
        raise ValueError(f"{where}: `{STUB[0]}` must be followed by `{STUB[1]}`")
    head, tail = lines[:k], lines[k + 2:]
    if ref[:len(head)] != head or (tail and ref[-len(tail):] != tail) or (
            len(ref) <= len(head) + len(tail)):
        raise ValueError(f"{where}: the reference answer must start with the answer cell's lines "
                         "above the stub and end with those below it")
    indent = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
    body = ref[len(head):len(ref) - len(tail)]
    return "\n".join([*head, indent + BEGIN_SOLUTION, *body, indent + END_SOLUTION, *tail])


def references(cells) -> dict[int, str]:
    """Cell index of each answer cell -> its reference answer, from the next ``{solution}``."""
    found, waiting = {}, []
    for i, cell in enumerate(cells):
        if is_answer_cell(cell):
            waiting.append(i)
        elif _directive(cell, "solution") and waiting:
            reference = reference_answer(cell.source)
            if reference is None:
                gid = _nbgrader(cells[waiting[0]]).get("grade_id")
                raise ValueError(f"{gid}: its {{solution}} cell has no ```python reference answer")
            if len(waiting) > 1:
                raise ValueError("one answer cell per coding exercise")
            found[waiting.pop()] = reference
    if waiting:
        gid = _nbgrader(cells[waiting[0]]).get("grade_id")
        raise ValueError(f"{gid}: no {{solution}} cell with its reference answer follows it")
    return found


def split_marked(source: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """The stripped, non-empty lines inside and outside the ``begin`` ... ``end`` markers."""
    inside, outside, within = [], [], False
    for line in source.splitlines():
        text = line.strip()
        if text.startswith(begin):
            within = True
        elif text.startswith(end):
            within = False
        elif text:
            (inside if within else outside).append(text)
    return inside, outside


def student_source(chapter: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The nbgrader source version of a chapter (see the module's docstring)."""
    nb = copy.deepcopy(chapter)
    refs = references(nb.cells)
    cells, in_solution, exercise_has_code = [], False, False
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)  # run timestamps of the committed outputs
        if NOT_IN_ASSIGNMENT in cell.metadata.get("tags", []):
            continue
        if in_solution:
            in_solution = not _directive(cell, "solution-end")
            continue
        if _directive(cell, "solution") or _directive(cell, "solution-start"):
            in_solution = _directive(cell, "solution-start")  # a gated one spans cells
            if not exercise_has_code:  # a conceptual exercise: leave room for the answer
                cells.append(nbformat.v4.new_markdown_cell(ANSWER_CELL))
            continue
        if _directive(cell, "exercise"):
            exercise_has_code = False
        if is_answer_cell(cell):
            exercise_has_code = True
            cell.source = with_reference(cell.source, refs[index],
                                         f"{assignment}, {_nbgrader(cell).get('grade_id')}")
            cell.outputs, cell.execution_count = [], None
            jupyter = cell.metadata.pop("jupyter", {})
            jupyter.pop("source_hidden", None)
            if jupyter:
                cell.metadata["jupyter"] = jupyter
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
        cells.append(cell)
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("## Exercises"):
            cells.append(nbformat.v4.new_markdown_cell(EXERCISES_NOTE))
    if in_solution:
        raise ValueError(f"{assignment}: a solution-start without its solution-end")
    cells.insert(1, nbformat.v4.new_markdown_cell(STUDENT_NOTE.format(assignment=assignment)))
    nb.cells = cells
    nb.nbformat_minor = max(nb.nbformat_minor, 5)  # cell ids: the inserted cells have one
    nb.metadata.pop("widgets", None)
    return nb


def leaked_solution_lines(source_nb, release_nb) -> list[str]:
    """Lines of reference solutions or hidden tests still in the release's exercise cells,
    and any solution or hidden-test marker anywhere in the release."""
    released = {_nbgrader(c).get("grade_id"): c.source for c in release_nb.cells}
    found = []
    for cell in source_nb.cells:
        if is_answer_cell(cell):
            inside, outside = split_marked(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        elif is_check_cell(cell):
            inside, outside = split_marked(cell.source, BEGIN_HIDDEN, END_HIDDEN)
        else:
            continue
        release_source = released.get(_nbgrader(cell)["grade_id"], "")
        shown = {line.strip() for line in release_source.splitlines()}
        found += sorted((set(inside) - set(outside)) & shown)
    markers = ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "{solution}", "{solution-start}")
    found += [m for m in markers if any(m in c.source for c in release_nb.cells)]
    return found


def write_config(out: pathlib.Path, sandbox: bool = True) -> None:
    (out / "nbgrader_config.py").write_text(
        CONFIG.format(course_id=COURSE_ID, scripts=str(SCRIPTS), sandbox=sandbox))


def sandbox_note(sandbox: bool) -> str | None:
    """What the instructor must know about the grading sandbox on this machine, if anything."""
    if not sandbox:
        return ("warning: --no-sandbox: autograding will run every submission's code WITHOUT a "
                "sandbox, with your permissions (it can read the solutions and change grades)")
    sys.path.insert(0, str(SCRIPTS))
    import grading_sandbox

    problem = grading_sandbox.bwrap_problem()
    return f"note: `nbgrader autograde` stops until this is fixed:\n{problem}" if problem else None


def nbgrader_env() -> dict[str, str]:
    """This interpreter's bin folder first on PATH: nbgrader shells out to ``alembic``."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(pathlib.Path(sys.executable).parent), env.get("PATH", "")])
    return env


def run_nbgrader(out: pathlib.Path, *args: str) -> None:
    cmd = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(cmd, cwd=out, env=nbgrader_env(), capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"`nbgrader {' '.join(args)}` failed (exit {result.returncode})")


def build(out: pathlib.Path, chapters: list[pathlib.Path], generate: bool = True,
          sandbox: bool = True) -> list[str]:
    """Write the course folder for ``chapters`` into ``out``; return the assignment names."""
    out.mkdir(parents=True, exist_ok=True)
    write_config(out, sandbox)
    sources = {}
    for path in chapters:
        name = assignment_name(path)
        chapter = nbformat.read(path, as_version=4)
        if not any(is_answer_cell(c) for c in chapter.cells):
            print(f"note: {path.name} has no coding exercise; its assignment has 0 points",
                  file=sys.stderr)
        source_dir = out / "source" / name
        if source_dir.exists():
            shutil.rmtree(source_dir)
        source_dir.mkdir(parents=True)
        source_nb = student_source(chapter, name)
        nbformat.validate(source_nb)
        nbformat.write(source_nb, source_dir / path.name)
        sources[name] = (path, source_nb)
    if not generate:
        return list(sources)
    built = sorted(p.name for p in (out / "source").iterdir() if p.is_dir())
    if built == sorted(sources):  # every assignment of the folder: one nbgrader run for all
        run_nbgrader(out, "generate_assignment", "*", "--force")
    else:
        for name in sources:
            run_nbgrader(out, "generate_assignment", name, "--force")
    for name, (path, source_nb) in sources.items():
        release_dir = out / "release" / name
        release_nb = nbformat.read(release_dir / path.name, as_version=4)
        leaks = leaked_solution_lines(source_nb, release_nb)
        if leaks:
            raise SystemExit(f"{name}: the release still contains solution text: {leaks}")
        (out / "handout").mkdir(exist_ok=True)
        shutil.make_archive(str(out / "handout" / name), "zip", out / "release", name)
        points = sum(float(_nbgrader(c).get("points", 0)) for c in source_nb.cells
                     if is_check_cell(c))
        checks = sum(is_check_cell(c) for c in source_nb.cells)
        print(f"{name}: {checks} graded check cells, {points:g} points -> {release_dir}")
    return list(sources)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build an nbgrader course folder from the chapters and release them.")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / DEFAULT_OUT,
                        help=f"the course folder (default: {DEFAULT_OUT}/ in the repository)")
    parser.add_argument("--chapters", nargs="+", metavar="NN",
                        help="chapter numbers or names (default: every chapter in notebooks/)")
    parser.add_argument("--no-generate", action="store_true",
                        help="write the source versions only, do not run generate_assignment")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="autograde WITHOUT the sandbox (unsafe: only for code you trust)")
    args = parser.parse_args(argv)
    chapters = discover_chapters(args.chapters)
    if not chapters:
        raise SystemExit("no chapter notebooks found in notebooks/")
    out = args.out.expanduser().resolve()
    names = build(out, chapters, generate=not args.no_generate, sandbox=not args.no_sandbox)
    print(f"course folder: {out}")
    note = sandbox_note(sandbox=not args.no_sandbox)
    if note:
        print(note, file=sys.stderr)
    if not args.no_generate:
        print(f"student versions: {out / 'release'}/<assignment>/ and {out / 'handout'}/*.zip")
        print(f"next: put submissions in {out / 'submitted'}/<student>/<assignment>/, then "
              f"`cd {out} && nbgrader autograde {names[0]}`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
