"""The book builds with warnings as errors, and every page of the table of contents is produced."""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from conftest import ROOT, toc_files  # the built_book fixture lives in conftest.py too

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`[^`]*`")
# [text](#target), the text with at most one level of brackets: [[Glorot and Bengio, 2010]](#key)
LINK = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\(#([^)\s]+)\)")
XREF = re.compile(r"\{(numref|ref)\}`([^`]*)`")
EXPLICIT = re.compile(r"(?P<text>.*?)\s*<(?P<label>[^<>]+)>", re.S)


@pytest.mark.slow
def test_book_builds_every_toc_page(built_book):
    missing = [f for f in toc_files() if not (built_book / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml that the build did not produce: {missing}"


@pytest.mark.slow
def test_every_notebook_is_in_the_book():
    in_toc = set(toc_files())
    notebooks = {f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks, "no chapter notebooks found"
    assert notebooks <= in_toc, f"notebooks missing from _toc.yml: {sorted(notebooks - in_toc)}"


@pytest.mark.slow
def test_chapter_pages_render_math_and_figures(built_book):
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert '<span class="math' in html or 'class="math' in html, f"{page}: no math on the page"
        assert "<img" in html, f"{page}: no figure on the page"


def _title(notebook: pathlib.Path) -> str:
    """A chapter's title, its first heading, up to a colon."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    text = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
    return re.search(r"^# (.+)$", text, re.M).group(1).split(":")[0].strip()


def test_every_chapter_is_on_the_course_maps():
    """The course map of ``book/intro.md`` links every chapter, and README's table names it, at
    its number (CONTRIBUTING's chapter checklist)."""
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for notebook in CHAPTERS:
        number, title = int(notebook.name[:2]), _title(notebook)
        assert re.search(rf"^{number}\. \{{doc\}}`{re.escape(title)} <\.\./notebooks/"
                         rf"{notebook.stem}>`", intro, re.M), \
            f"book/intro.md: the course map does not link chapter {number}, {title!r}"
        assert re.search(rf"^\| {number} \| \*\*{re.escape(title)}\*\*", readme, re.M), \
            f"README.md: the chapter table has no row | {number} | **{title}** |"


def test_notebooks_include_no_files():
    """JupyterLab's MyST renderer cannot read files: a {literalinclude} or {include} shows
    nothing there. The chapters show the package's code with ``source_listing(...)``."""
    found = [f"{path.name}, cell {i}" for path in CHAPTERS
             for i, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"])
             if cell["cell_type"] == "markdown"
             and re.search(r"\{(literal)?include\}", "".join(cell["source"]))]
    assert not found, f"an include shows nothing in JupyterLab; use source_listing: {found}"


def test_glossary_is_in_alphabetical_order():
    """Each entry's first term, in the order the page shows them (no ``:sorted:``)."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}\n", 1)[1].split("\n```", 1)[0]
    terms, previous = [], ""
    for line in block.splitlines():
        if line and not line[0].isspace() and not previous:  # an entry's first term
            terms.append(line.strip())
        previous = line if line and not line[0].isspace() else ""
    assert len(terms) > 20, "the glossary's entries were not found"
    order = sorted(terms, key=str.casefold)
    wrong = [(a, b) for a, b in zip(terms, order, strict=True) if a != b]
    assert not wrong, f"book/glossary.md: not in alphabetical order from {wrong[0][0]!r}"


def test_the_repository_address_matches_config():
    """A fork sets its address in ``_config.yml`` (``repository: url``); this names every other
    place that writes it out (clone, pip and Binder commands)."""
    import yaml

    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", url).group(1)
    address = re.compile(r"(?:github\.com|mybinder\.org/v2/gh)/([\w.-]+/[\w-]+(?:\.[\w-]+)*)")
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "book").glob("*.md"))]
    others = {"containers/bubblewrap"}  # what the course links to that is not itself
    wrong = [f"{f.relative_to(ROOT)}: {found}" for f in files
             for found in address.findall(f.read_text(encoding="utf-8"))
             if found.removesuffix(".git") not in (repo, *others)]
    assert not wrong, f"the repository is {repo} (_config.yml), but these say otherwise: {wrong}"


def test_every_chapter_has_a_measured_run_time():
    results = json.loads((ROOT / "benchmarks" / "results" / "notebook_times.json").read_text())
    measured = set(results["notebooks"])
    chapters = {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    assert chapters <= measured, (
        f"chapters with no measured run time: {sorted(chapters - measured)}; run "
        "python benchmarks/bench_notebooks.py notebooks/<chapter>.ipynb and commit "
        "benchmarks/results/notebook_times.json (the chapter page shows it)"
    )
    over = {name: row["median_s"] for name, row in results["notebooks"].items()
            if name in chapters and row["median_s"] > row["budget_s"]}
    assert not over, f"chapters over their run-time budget: {over}"


@pytest.mark.slow
def test_chapter_pages_show_their_run_time(built_book):
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "chapter-runtime" in html and "Runs top to bottom in about" in html, page


@pytest.mark.slow
def test_live_explorers_say_where_they_run(built_book):
    """On the website a live explorer cannot run: its cell shows where it does, not a blank."""
    for page in (f for f in toc_files() if f.startswith("notebooks/")):
        html = (built_book / f"{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in html, page
        assert "This is a live explorer" in html, f"{page}: no live explorer note"


def _first_author_and_year() -> dict[str, tuple[str, str]]:
    from pybtex.database import parse_file  # installed with sphinxcontrib-bibtex
    from pybtex.richtext import Text

    entries = parse_file(str(ROOT / "book" / "references.bib")).entries
    return {key: (Text.from_latex(" ".join(e.persons["author"][0].last_names)).render_as("text"),
                  e.fields["year"]) for key, e in entries.items()}


def test_notebook_citations_and_figure_references_read_well_in_jupyterlab():
    """JupyterLab's MyST renderer has no bibliography and cannot see the labels of figures that
    are code-cell outputs (myst-nb keeps them in cell metadata): a {cite} shows its bib key and a
    bare {numref}`fig-x` its label. So the notebooks cite with [[Author et al., 2015]](#key)
    (on the website sphinxcontrib-bibtex resolves #key like {cite:p}) and describe every figure
    reference, {numref}`the figure below <fig-x>` (the website shows "Fig. 6.2",
    book/_ext/figure_refs.py)."""
    bib = _first_author_and_year()
    problems = []
    for path in CHAPTERS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        own_labels = set(re.findall(r"^\(([\w-]+)\)=", markdown, re.M)) | set(
            re.findall(r"^\s*:label:\s*(\S+)", markdown, re.M))
        figures = {}
        for i, cell in enumerate(cells):
            name = (cell["metadata"].get("mystnb", {}).get("figure") or {}).get("name")
            if name:
                figures[name] = i
            if cell["cell_type"] == "markdown":  # a {figure} directive
                for name in re.findall(r"^\s*:name:\s*(fig-\S+)", "".join(cell["source"]), re.M):
                    figures[name] = i
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            where = f"{path.name}, cell {i}"
            problems += [f"{where}: {m.group(0)} shows as its bib key in JupyterLab; write "
                         f"[[Author et al., year]](#key)" for m in CITE_ROLE.finditer(text)]
            for m in LINK.finditer(text):
                label, keys = m.group(1), m.group(2).split(",")
                if not any(k in bib for k in keys):
                    continue  # a link to a section or a figure
                unknown = [k for k in keys if k not in bib]
                wrong = [k for k in keys if k in bib and not all(w in label for w in bib[k])]
                if unknown or wrong or not (label.startswith("[") and label.endswith("]")):
                    problems.append(f"{where}: {m.group(0)}: the text must be '[First author "
                                    f"(et al.), year; …]' for each key (unknown keys: "
                                    f"{unknown}, not named in the text: {wrong})")
            for m in XREF.finditer(text):
                explicit = EXPLICIT.fullmatch(m.group(2))
                label = explicit.group("label") if explicit else m.group(2).strip()
                if m.group(1) == "ref" and not explicit and label not in own_labels:
                    problems.append(f"{where}: {m.group(0)} shows as its label in JupyterLab, "
                                    "which cannot look up a title in another notebook; write "
                                    f"{{ref}}`Its title <{label}>`")
                if not (label.startswith("fig-") or label in figures):
                    continue
                said = explicit.group("text") if explicit else ""
                if not said or any(p in said for p in ("%s", "{number}", "{name}")):
                    problems.append(f"{where}: {m.group(0)} shows as '{said or label}' in "
                                    f"JupyterLab; describe the figure: "
                                    f"{{{m.group(1)}}}`the figure below <{label}>`")
                elif label in figures and (("below" in said.split() and figures[label] < i)
                                           or ("above" in said.split() and figures[label] > i)):
                    problems.append(f"{where}: {m.group(0)}: the figure is "
                                    f"{'above' if figures[label] < i else 'below'} this cell")
    assert not problems, "\n".join(problems)


TRY_THIS = "**Try this**"
TWIN_MARK, LIVE_MARK = "*(twin)*", "*(live)*"
TRY_THIS_SENTENCE = ("Items marked *(twin)* can be answered on the website with the twin above, "
                     "which offers every combination of a few settings; the others, marked "
                     "*(live)*, need the live explorer (run the page in JupyterLab, Binder or "
                     "Colab).")
TRY_ITEM = re.compile(r"^\d+\. (.*)$", re.M)
#: The share of each Try-this list that the website's twin must answer, by chapter: four in
#: five where the twins' few controls reach every question, half where some need training or
#: settings a grid cannot hold.
TWIN_SHARE = {1: 0.8, 2: 0.8, 3: 0.8, 4: 0.5, 5: 0.8, 6: 0.5, 7: 0.5, 8: 0.5}


def _try_this_lists() -> list[tuple[str, str, list[str]]]:
    """Every Try-this list as (chapter, its markdown, the explorers whose twin cells, tagged
    ``twin-<slug>``, come before it since the previous list)."""
    lists = []
    for path in CHAPTERS:
        twins: list[str] = []
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                twins += [tag.removeprefix("twin-") for tag in cell["metadata"].get("tags", [])
                          if tag.startswith("twin-")]
            elif source.startswith(TRY_THIS):
                lists.append((path.name, source, twins))
                twins = []
    return lists


def test_try_this_items_say_whether_the_twin_answers_them():
    """Every numbered item of every Try-this list starts with exactly one of the two marks and
    the list says what they mean; items marked as answered by the twin come after a twin cell
    (tagged ``twin-<slug>``) of an explorer that declares a twin grid; and each list's share of
    such items reaches its chapter's goal (TWIN_SHARE)."""
    from dlbasics.widgets.registry import EXPLORERS

    grids = {spec.slug for spec in EXPLORERS.values() if spec.grid is not None}
    lists = _try_this_lists()
    assert {name for name, _, _ in lists} == {p.name for p in CHAPTERS}, \
        "a chapter without a Try-this list"
    problems = []
    for name, source, twins in lists:
        head = source.split("\n1. ", 1)[0]
        if TRY_THIS_SENTENCE not in " ".join(head.split()):
            problems.append(f"{name}: the sentence explaining the marks is missing")
        items = TRY_ITEM.findall(source)
        if not items:
            problems.append(f"{name}: a Try-this list without numbered items")
            continue
        answered = 0
        for number, item in enumerate(items, 1):
            marks = [m for m in (TWIN_MARK, LIVE_MARK) if item.startswith(m + " ")]
            count = item.count(TWIN_MARK) + item.count(LIVE_MARK)
            if len(marks) != 1 or count != 1:
                problems.append(f"{name}: item {number} does not start with exactly one mark")
            elif marks == [TWIN_MARK]:
                answered += 1
        unknown = [t for t in twins if t not in grids]
        if unknown:
            problems.append(f"{name}: twin cells tagged {unknown}, but no explorer of that "
                            "name declares a twin grid")
        if answered and not twins:
            problems.append(f"{name}: items marked {TWIN_MARK} but no twin cell above them")
        goal = TWIN_SHARE[int(name[:2])]
        if answered < goal * len(items):
            problems.append(f"{name}: the twin answers {answered} of {len(items)} items of a "
                            f"list (goal: {goal:.0%})")
    assert not problems, "\n".join(problems)
