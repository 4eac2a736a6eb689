"""A reference to a section whose title has maths shows that maths typeset.

``{ref}`bp-softmax-ce``` with no text of its own takes the section's title as its text, and
Sphinx makes that text from the title's source: the link read "The gradient \\mathbf p -
\\mathbf y of softmax with cross-entropy", raw TeX on the website, in search results and in the
PDF. This extension keeps, while reading, every section title that has maths, and puts its
nodes (the maths as maths) into each reference that shows that title. (CONTRIBUTING.md asks
for an explicit text for a reference to another chapter anyway, which JupyterLab needs.)
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.util.nodes import clean_astext


def _collect(app, doctree) -> None:
    titles = {}
    for section in doctree.findall(nodes.section):
        title = section.next_node(nodes.title)
        if title is not None and any(title.findall(nodes.math)):
            titles[clean_astext(title)] = [child.deepcopy() for child in title.children]
    if titles:
        if not hasattr(app.env, "dlb_math_titles"):
            app.env.dlb_math_titles = {}
        app.env.dlb_math_titles[app.env.docname] = titles


def _purge(app, env, docname) -> None:
    getattr(env, "dlb_math_titles", {}).pop(docname, None)


def _merge(app, env, docnames, other) -> None:
    mine = getattr(env, "dlb_math_titles", None)
    if mine is None:
        mine = env.dlb_math_titles = {}
    for docname in docnames:
        if docname in getattr(other, "dlb_math_titles", {}):
            mine[docname] = other.dlb_math_titles[docname]


def _typeset(app, doctree, docname) -> None:
    titles = {}
    for per_doc in getattr(app.env, "dlb_math_titles", {}).values():
        titles.update(per_doc)
    if not titles:
        return
    shown = [
        inline
        for ref in doctree.findall(nodes.reference)
        for inline in ref.findall(nodes.inline)
        if "std-ref" in inline["classes"] and inline.astext() in titles
    ]
    for inline in shown:
        title = titles[inline.astext()]
        inline.children = []
        inline.extend(child.deepcopy() for child in title)


def setup(app) -> dict[str, Any]:
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _typeset)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
