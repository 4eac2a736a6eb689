"""Every coding exercise, checked both ways, without a kernel.

A chapter's coding exercise is three cells and a dropdown: the answer cell the learner fills in
(a stub raising ``NotImplementedError``), the check cell that tests *that* cell, and the
``{solution}`` dropdown whose ```` ```python ```` block holds the reference answer, which is never
executed in the chapter. For each exercise these tests run the check cell, in the namespace the
chapter's setup cell makes, against

- the stub: "not answered yet", no ✓ and no exception (an exception under nbgrader);
- the reference answer and every equivalent answer written differently: ✓;
- every typical mistake: :class:`dlbasics.checks.AnswerError` whose message points at it;
- two ways to cheat (redefining ``check_function``, replacing ``np.allclose``): no ✓.

The equivalent answers and the mistakes live in ``tests/exercise_answers/chNN.py``, one module
per chapter, as ``ANSWERS = {"chNN-name": Answers(equivalent=[...], mistakes=[Mistake(...)])}``.
The tests also read the check cells' code: a check uses only the learner's functions and data it
makes itself, so nothing a learner names (``X_train``, ``np``) can change its verdict.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import importlib.util
import io
import pathlib
import re
import sys
from dataclasses import dataclass, field

import matplotlib
import nbformat
import pytest

from dlbasics.checks import AnswerError

matplotlib.use("Agg")

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if re.match(r"\d\d_", p.name))
ANSWER_TABLES = ROOT / "tests" / "exercise_answers"
sys.path.insert(0, str(ROOT / "scripts"))
import make_course  # noqa: E402  (scripts/ is not a package)

sys.path.insert(0, str(ANSWER_TABLES.parent))
from exercise_answers import Answers  # noqa: E402


@dataclass
class Exercise:
    id: str  # "ch04-neuron-backward"
    chapter: pathlib.Path
    stub: str
    checks: list[str]
    check_outputs: list[str]
    reference: str
    functions: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        return self.id


def _text(outputs) -> str:
    return "".join(o.get("text", "") or "".join(o.get("data", {}).get("text/plain", ""))
                   for o in outputs)


def coding_exercises() -> list[Exercise]:
    found = []
    for chapter in CHAPTERS:
        nb = nbformat.read(chapter, as_version=4)
        refs = make_course.references(nb.cells)
        for index, cell in enumerate(nb.cells):
            if not make_course.is_answer_cell(cell):
                continue
            gid = cell.metadata["nbgrader"]["grade_id"]
            checks = []
            for later in nb.cells[index + 1:]:
                if make_course.is_answer_cell(later) or make_course._directive(later, "solution"):
                    break
                if make_course.is_check_cell(later):
                    checks.append(later)
            tree = ast.parse(cell.source)
            names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            found.append(Exercise(gid.removesuffix("-answer"), chapter, cell.source,
                                  [c.source for c in checks],
                                  [_text(c.outputs) for c in checks], refs[index], names))
    return found


EXERCISES = coding_exercises()
by_exercise = pytest.mark.parametrize("exercise", EXERCISES, ids=str)


def answer_tables() -> dict[str, Answers]:
    tables = {}
    for path in sorted(ANSWER_TABLES.glob("ch*.py")):
        spec = importlib.util.spec_from_file_location(f"exercise_answers.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tables.update(module.ANSWERS)
    return tables


TABLES = answer_tables()

_SETUP: dict[pathlib.Path, dict] = {}


def setup_namespace(chapter: pathlib.Path) -> dict:
    """The names the chapter's first code cell (its setup) defines, as a learner's kernel has."""
    if chapter not in _SETUP:
        nb = nbformat.read(chapter, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(setup.source, f"{chapter.name} setup", "exec"), namespace)
        _SETUP[chapter] = namespace
    namespace = dict(_SETUP[chapter])
    namespace["rng"] = copy.deepcopy(namespace.get("rng"))
    return namespace


def run(exercise: Exercise, answer: str) -> str:
    """Run ``answer`` then the exercise's check cells, as a learner would; return the output."""
    namespace = setup_namespace(exercise.chapter)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(answer, f"{exercise} answer", "exec"), namespace)
        for k, check in enumerate(exercise.checks):
            exec(compile(check, f"{exercise} check {k}", "exec"), namespace)
    return out.getvalue()


def test_every_chapter_has_coding_exercises():
    chapters = {e.chapter for e in EXERCISES}
    assert chapters == set(CHAPTERS), sorted(p.name for p in set(CHAPTERS) - chapters)


@by_exercise
def test_the_answer_cell_is_a_stub_and_the_reference_fits_it(exercise):
    lines = [line.strip() for line in exercise.stub.splitlines()]
    assert lines[-2:] == list(make_course.STUB), (
        f"{exercise}: the answer cell ends with the stub {make_course.STUB} the learner replaces")
    assert exercise.functions, f"{exercise}: the answer cell defines the function to write"
    make_course.with_reference(exercise.stub, exercise.reference, str(exercise))
    assert exercise.checks, f"{exercise}: no check cell follows the answer cell"


@by_exercise
def test_check_uses_only_the_learners_functions_and_its_own_data(exercise):
    for check in exercise.checks:
        free = free_names(check) - set(dir(builtins))
        assert free <= exercise.functions, (
            f"{exercise}: the check reads {sorted(free - exercise.functions)} from the "
            "notebook; import or build them inside the check cell, so that nothing the learner "
            "defines can change the verdict")


@by_exercise
def test_the_untouched_stub_is_not_answered_yet(exercise, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    out = run(exercise, exercise.stub)
    assert "not answered yet" in out and "✓" not in out, out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(AnswerError, match="not answered yet"):
        run(exercise, exercise.stub)


@by_exercise
def test_the_committed_notebook_shows_not_answered_yet(exercise):
    for output in exercise.check_outputs:
        assert "not answered yet" in output and "✓" not in output, (
            f"{exercise}: re-execute the chapter with scripts/execute_notebooks.py; its check "
            f"shows {output[:200]!r}")


@by_exercise
def test_the_reference_answer_passes(exercise):
    out = run(exercise, exercise.reference)
    assert "✓" in out and "not answered" not in out, out


@by_exercise
def test_equivalent_answers_pass_and_typical_mistakes_are_named(exercise):
    answers = TABLES.get(exercise.id)
    assert answers is not None, (
        f"{exercise}: add its equivalent answers and typical mistakes to "
        f"tests/exercise_answers/{exercise.id[:4]}.py")
    assert answers.equivalent, f"{exercise}: at least one equivalent answer"
    assert len(answers.mistakes) >= 2, f"{exercise}: at least two typical mistakes"
    for k, code in enumerate(answers.equivalent):
        out = run(exercise, code)
        assert "✓" in out and "not answered" not in out, f"{exercise}, equivalent {k}: {out}"
    for mistake in answers.mistakes:
        with pytest.raises(AnswerError) as failed:
            run(exercise, mistake.code)
        message = str(failed.value)
        assert re.search(mistake.points_at, message, re.I), (
            f"{exercise}, mistake {mistake.what!r}: the message {message!r} does not say "
            f"{mistake.points_at!r}")


def test_every_answer_table_names_an_exercise():
    unknown = set(TABLES) - {e.id for e in EXERCISES}
    assert not unknown, f"tests/exercise_answers: no such exercise {sorted(unknown)}"


CHEATS = {
    "redefines check_function": (
        'def check_function(*args, **kwargs):\n    return "✓ passed all checks"\n'),
    "replaces np.allclose": (
        "import numpy\nnumpy.allclose = lambda *args, **kwargs: True\n"),
}


@by_exercise
@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_cheat_earns_no_tick(exercise, cheat, monkeypatch):
    """A wrong answer (the first typical mistake) plus a cheat still fails its check."""
    import numpy

    monkeypatch.setattr(numpy, "allclose", numpy.allclose)  # undone after the test
    answers = TABLES.get(exercise.id)
    if answers is None or not answers.mistakes:
        pytest.fail(f"{exercise}: needs its typical mistakes (tests/exercise_answers)")
    with pytest.raises(AnswerError):
        run(exercise, answers.mistakes[0].code + "\n" + CHEATS[cheat])


def free_names(source: str) -> set[str]:
    """Names a cell reads that it neither assigns, imports, defines nor binds as a parameter."""
    tree = ast.parse(source)
    bound, loaded = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return loaded - bound


def test_no_saved_output_shows_a_tick_nobody_earned():
    """The website shows the committed outputs: no check there may claim a pass."""
    for chapter in CHAPTERS:
        nb = nbformat.read(chapter, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                text = _text(cell.get("outputs", []))
                assert "passed all" not in text and "is right" not in text, (
                    f"{chapter.name}, cell {index}: {text[:200]!r}")
