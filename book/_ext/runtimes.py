"""Tell readers how long each chapter takes to run, from the notebook benchmark's results.

``benchmarks/bench_notebooks.py`` writes ``benchmarks/results/notebook_times.json``; this
extension adds one line under the title of every chapter page built from ``notebooks/``:
"Runs top to bottom in about 12 s on a 2-core laptop; …". A chapter with no measurement gets no
line, and tests/test_book.py fails: run the benchmark after adding or changing a chapter.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)
RESULTS = pathlib.Path("benchmarks") / "results" / "notebook_times.json"


def _load(app) -> dict[str, Any]:
    path = pathlib.Path(app.srcdir) / RESULTS
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _add_runtime(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith("notebooks/"):
        return
    results = getattr(app.env, "dlbasics_runtimes", None)
    if results is None:
        results = app.env.dlbasics_runtimes = _load(app)
    row = results.get("notebooks", {}).get(docname.split("/", 1)[1])
    if row is None:  # tests/test_book.py fails on this: every chapter must be measured
        logger.info("no measured run time for %s", docname)
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    cores = row.get("machine", "").split(",")
    machine = cores[1].strip() if len(cores) > 1 else "laptop-class"
    machine = machine.replace(" cores", "-core")
    text = (
        f"Runs top to bottom in about {max(1, round(row['median_s']))} s on a {machine} "
        "laptop; no GPU and no internet needed."
    )
    para = nodes.paragraph(classes=["chapter-runtime"])
    para += nodes.emphasis(text=text)
    title_index = section.first_child_matching_class(nodes.title)
    section.insert((title_index or 0) + 1, para)


def setup(app) -> dict[str, Any]:
    app.connect("doctree-read", _add_runtime)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
