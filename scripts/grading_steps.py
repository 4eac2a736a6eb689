"""The course's own steps in ``nbgrader autograde``: an audit for tampering, and quiet check cells.

``scripts/make_course.py`` writes a course configuration that calls :func:`use_in`, which adds two
steps to nbgrader's autograding:

**The audit** (:class:`AuditSubmission`, after the notebook has run in the sandbox, before the
scores are saved). A check cell runs in the same kernel as the student's code, so code in an
answer cell can change what the check relies on: replace ``numpy.allclose``, rebind
``dlbasics.checks.check_function``, patch builtins. The checks themselves refuse a replaced
numpy function and import what they use, but a determined student can reach further. The audit
reads every cell the student wrote (not the restored check cells) and flags any line that

- assigns to, or deletes, an attribute of a module (``np.allclose = ...``,
  ``dlbasics.checks.check_function = ...``, ``import numpy as n; n.isclose = ...``);
- uses ``setattr``/``delattr`` on a module, ``__builtins__``, ``builtins``, ``sys.modules``,
  ``globals()``, ``__import__``, ``importlib``, ``exec``/``eval``/``compile``, ``ctypes`` or
  ``gc`` (nothing in the course's exercises needs them);
- defines a name the check cells import from ``dlbasics.checks`` (``check_function``, ``Case``,
  ``check_value``, ``AnswerError``).

A flagged submission earns no points: every graded cell of the notebook gets an error output
``AuditError`` that names each flagged line, so the score is 0 and the student's feedback says
why. Each flagged line is also logged and appended to ``audit.txt`` in the course folder (student,
assignment, cell, line, reason), for the instructor to review; after reviewing, a false alarm is
undone by giving the points by hand in formgrader (or by fixing the line and autograding again).

**Quiet check cells** (:class:`RestoreHiddenTests`, before nbgrader compares the check cells
with their originals). A released check cell lacks its hidden tests, so nbgrader would log
"Attribute 'checksum' ... has changed" for every untouched check cell of every submission. This
step puts the hidden tests back into a check cell that is otherwise exactly as released, so the
warning appears only for a check cell the student really edited (which nbgrader then restores).
"""

from __future__ import annotations

import ast
import datetime
import os
from dataclasses import dataclass

from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells
from traitlets import Unicode

BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CHECK_NAMES = {"check_function", "check_value", "Case", "AnswerError"}
FORBIDDEN_CALLS = {"setattr", "delattr", "__import__", "exec", "eval", "compile", "globals",
                   "vars"}
FORBIDDEN_NAMES = {"__builtins__", "builtins", "importlib", "ctypes", "gc", "sys"}


@dataclass(frozen=True)
class Finding:
    cell: int  # index of the cell in the notebook
    line: int  # line in that cell, from 1
    text: str  # the line
    reason: str

    def __str__(self) -> str:
        return f"cell {self.cell}, line {self.line}: {self.text.strip()!r}: {self.reason}"


# Special attributes that only read a name; every other `x.__...` can reach an object's
# internals (its `__dict__`, `__setattr__`, `__globals__`, `__class__`), and no exercise needs one.
HARMLESS_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__"})


def _module_names(tree: ast.AST) -> set[str]:
    """Names bound by ``import`` statements (``import numpy as np`` -> ``np``)."""
    names = {"np", "numpy", "dlbasics", "plt", "math", "builtins", "sys", "os"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from dlbasics import checks` binds a module too
            names |= {a.asname or a.name for a in node.names if a.name.islower()}
    return names


def _flat(targets) -> list[ast.AST]:
    flat = []
    for target in targets:
        if isinstance(target, (ast.Tuple, ast.List)):
            flat += _flat(target.elts)
        elif isinstance(target, ast.Starred):
            flat += _flat([target.value])
        else:
            flat.append(target)
    return flat


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def audit_source(source: str, modules: set[str] | None = None) -> list[tuple[int, str]]:
    """(line, reason) for every line of ``source`` that could change how a check works."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # the cell fails on its own; nothing it could tamper with
    modules = _module_names(tree) if modules is None else modules
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in _flat(targets):
            if isinstance(target, ast.Attribute) and _root(target) in modules:
                found.append((node.lineno, f"changes {ast.unparse(target)}, part of a module "
                              "the checks may use"))
            elif isinstance(target, ast.Subscript) and ("__" in ast.unparse(target.value) or
                                                        _root(target) in FORBIDDEN_NAMES):
                found.append((node.lineno, f"changes {ast.unparse(target)}"))
            elif isinstance(target, ast.Name) and target.id in CHECK_NAMES:
                found.append((node.lineno, f"redefines {target.id}, which the checks use"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and (
                node.name in CHECK_NAMES):
            found.append((node.lineno, f"redefines {node.name}, which the checks use"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id in FORBIDDEN_CALLS):
            found.append((node.lineno, f"calls {node.func.id}(), which no exercise needs"))
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES and node.id != "sys":
            found.append((node.lineno, f"uses {node.id}, which no exercise needs"))
        if isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.modules":
            found.append((node.lineno, "uses sys.modules, which no exercise needs"))
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and (
                node.attr not in HARMLESS_DUNDERS):  # c.__dict__.update(...), T.__setattr__
            found.append((node.lineno, f"uses {ast.unparse(node)}, which no exercise needs"))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(
                node, ast.ImportFrom) and node.module else [])
            for name in names:
                if name.split(".")[0] in FORBIDDEN_NAMES - {"sys"}:
                    found.append((node.lineno, f"imports {name}, which no exercise needs"))
    return sorted(set(found))


def _is_check(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and bool(meta.get("locked")) and not meta.get("solution")


def audit_notebook(nb) -> list[Finding]:
    """Findings in the cells a student wrote or could edit (every code cell but the checks)."""
    cells = [(i, c) for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and not _is_check(c)]
    modules = set().union(*(_module_names(_parse(c.source)) for _, c in cells))
    findings = []
    for index, cell in cells:
        lines = cell.source.splitlines()
        for line, reason in audit_source(cell.source, modules):
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            findings.append(Finding(index, line, text, reason))
    return findings


def _parse(source: str) -> ast.AST:
    try:
        return ast.parse(source)
    except SyntaxError:
        return ast.parse("")


def _error(findings: list[Finding]) -> dict:
    from nbformat.v4 import new_output

    text = ("this submission changes what the checks rely on, so it earns no points until the "
            "instructor has reviewed it: " + "; ".join(map(str, findings)))
    return new_output("error", ename="AuditError", evalue=text, traceback=[f"AuditError: {text}"])


class AuditSubmission(NbGraderPreprocessor):
    """Flag and zero a submission whose own cells tamper with the checks (module docstring)."""

    report = Unicode("", help="File that collects every flagged line (empty: log only)."
                     ).tag(config=True)

    def preprocess(self, nb, resources):
        findings = audit_notebook(nb)
        if not findings:
            return nb, resources
        info = resources.get("nbgrader", {})
        who = f"{info.get('student', '?')} / {info.get('assignment', '?')} / " \
              f"{info.get('notebook', '?')}"
        for finding in findings:
            self.log.warning("audit: %s: %s", who, finding)
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.get("metadata", {}).get(
                    "nbgrader", {}).get("grade"):
                cell.outputs.append(_error(findings))
        if self.report:
            stamp = datetime.datetime.now().isoformat(timespec="seconds")
            with open(self.report, "a", encoding="utf-8") as handle:
                for finding in findings:
                    handle.write(f"{stamp}\t{who}\t{finding}\n")
        return nb, resources


def without_hidden_tests(source: str) -> str:
    """``source`` as nbgrader releases it: the hidden-test lines and their markers removed."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if line.strip().startswith(BEGIN_HIDDEN):
            hidden = True
        elif line.strip().startswith(END_HIDDEN):
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


class RestoreHiddenTests(OverwriteCells):
    """nbgrader's OverwriteCells, told that a released check cell lacks its hidden tests."""

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and cell.cell_type == "code" and BEGIN_HIDDEN not in cell.source:
            try:
                original = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id)
            except Exception:
                original = None
            if original is not None and original.locked and BEGIN_HIDDEN in original.source \
                    and without_hidden_tests(original.source).strip() == cell.source.strip():
                cell.source = original.source
        return super().preprocess_cell(cell, resources, cell_index)


def use_in(c, report: str | os.PathLike | None = None) -> None:
    """Add the audit and the quiet check cells to nbgrader's configuration object ``c``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import SaveAutoGrades

    sanitize = list(c.Autograde.sanitize_preprocessors) if "sanitize_preprocessors" in \
        c.Autograde else Autograde.class_traits()["sanitize_preprocessors"].default()
    c.Autograde.sanitize_preprocessors = [RestoreHiddenTests if p is OverwriteCells else p
                                          for p in sanitize]
    steps = list(c.Autograde.autograde_preprocessors) if "autograde_preprocessors" in \
        c.Autograde else Autograde.class_traits()["autograde_preprocessors"].default()
    if SaveAutoGrades not in steps:
        raise RuntimeError(f"this nbgrader does not save scores with SaveAutoGrades: {steps}")
    at = steps.index(SaveAutoGrades)
    c.Autograde.autograde_preprocessors = [*steps[:at], AuditSubmission, *steps[at:]]
    c.RestoreHiddenTests.add_missing_cells = True
    if report:
        c.AuditSubmission.report = os.fspath(report)
