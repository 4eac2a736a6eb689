"""Figure numbers for figure references written to read well in JupyterLab too.

Most figures of the chapters are a code cell's output, and myst-nb keeps their label and caption
in the cell's metadata, where JupyterLab's MyST renderer (jupyterlab-myst) cannot find them: it
shows a bare {numref}`fig-x` as "fig-x" and {numref}`Fig. %s <fig-x>` as "Fig. %s". So the
notebooks give each figure reference a description as its text, which JupyterLab shows as it is:
{numref}`the figure below <fig-x>`, {numref}`the saturation histograms <fig-saturation>`.

Sphinx would reject such a text (it has no %s or {number} for the number). This extension turns
it into a plain {numref}`fig-x`, so the website shows the figure's number in the
``numfig_format`` of every other reference ("Fig. 6.2"); the sentence must read well either way
("as the saturation histograms showed" / "as Fig. 6.3 showed"). A text with %s, {number} or
{name} is left to Sphinx. tests/test_book.py checks that every figure reference of the notebooks
has a description.
"""

from __future__ import annotations

from typing import Any

from sphinx import addnodes

PLACEHOLDERS = ("%s", "{number}", "{name}")


def _number_described_refs(app, doctree) -> None:
    for node in doctree.findall(addnodes.pending_xref):
        if node.get("reftype") != "numref" or not node.get("refexplicit"):
            continue
        if not any(p in node.astext() for p in PLACEHOLDERS):
            node["refexplicit"] = False  # std domain: title = numfig_format[figtype]


def setup(app) -> dict[str, Any]:
    app.connect("doctree-read", _number_described_refs)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
