"""Make Sphinx's ``singlehtml`` build of the book (the whole book as one page, which
``scripts/build_downloads.py`` prints to the book's PDF) come out whole. It does nothing to the
website's ``html`` build.

What it mends, each found in the PDF:

- Notebook cells with hidden input were an error ("unknown node type: HideCodeCellNode"):
  myst-nb registers that node for the ``html`` builder only, and because sphinx-exercise
  registers its nodes for ``singlehtml`` by name, Sphinx looked up no ``html`` handler there.
  Every ``html`` handler now also serves ``singlehtml``.
- Every document keeps its own ids, so on one page they clash: each chapter has a section
  ``summary``, and the citation links of several chapters and of the references page are all
  ``id6``, ``id8``… (a link to Rosenblatt's paper in chapter 1 led to a citation in the
  introduction). An id found in more than one document becomes ``<document>--<id>`` in each,
  and every link to it, section numbers and figure numbers follow.
- A link to a label of another document became ``book/intro.html#label``, relative to a page
  that is itself book/intro.html, so it led nowhere. Everything is on this one page: ``#label``.
- The page is written to the root document's path, ``book/intro.html``, yet with every link
  relative to the output folder (``_static/…``, ``_images/…``), so it found no style, script or
  figure. It moves to the output folder's ``index.html``, where its links hold.
"""

from __future__ import annotations

import pathlib
from collections import defaultdict
from typing import Any

from docutils import nodes
from sphinx import addnodes


def _html_handlers_for_singlehtml(app) -> None:
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def _walk(node, docname: str):
    """Every element of an assembled tree with the document it comes from."""
    if isinstance(node, addnodes.start_of_file):
        docname = node["docname"]
    if isinstance(node, nodes.Element):
        yield node, docname
        for child in node.children:
            yield from _walk(child, docname)


class _UniqueIds:
    """The ids of the assembled page made unique, and what the builder needs to follow."""

    def __init__(self, builder) -> None:
        self.builder = builder
        self.renamed: dict[tuple[str, str], str] = {}

    def new_id(self, docname: str, old: str) -> str:
        return self.renamed.get((docname, old), old)

    def rename(self, tree) -> None:
        root = self.builder.config.root_doc
        owners: dict[str, set[str]] = defaultdict(set)
        elements = list(_walk(tree, root))
        for node, docname in elements:
            for node_id in node["ids"]:
                owners[node_id].add(docname)
        for node_id, docnames in owners.items():
            if len(docnames) > 1:
                for docname in docnames:
                    self.renamed[docname, node_id] = f"{nodes.make_id(docname)}--{node_id}"
        for node, docname in elements:
            node["ids"] = [self.new_id(docname, i) for i in node["ids"]]
            if node.get("refid"):
                node["refid"] = self.new_id(docname, node["refid"])
            if node.get("backrefs"):
                node["backrefs"] = [self.new_id(docname, i) for i in node["backrefs"]]

    def fix_links(self, tree) -> None:
        """'#document-<doc>#<id>' (a link into another document) to '#<its new id>'."""
        for ref in tree.findall(nodes.reference):
            refuri = ref.get("refuri", "")
            if refuri.startswith("#document-") and refuri.count("#") == 2:
                docname, node_id = refuri[len("#document-"):].split("#")
                ref["refuri"] = "#" + self.new_id(docname, node_id)

    def secnumbers(self, assembled: dict) -> dict:
        numbers = assembled[self.builder.config.root_doc]
        for (docname, old), new in self.renamed.items():
            if f"{docname}/#{old}" in numbers:
                numbers[f"{docname}/#{new}"] = numbers[f"{docname}/#{old}"]
        return assembled

    def fignumbers(self, assembled: dict) -> dict:
        for key, numbers in assembled[self.builder.config.root_doc].items():
            docname = key.rsplit("/", 1)[0]
            for old in list(numbers):
                new = self.new_id(docname, old)
                if new != old:
                    numbers[new] = numbers[old]
        return assembled


def _mend_singlehtml(app) -> None:
    if app.builder.name != "singlehtml":
        return
    _html_handlers_for_singlehtml(app)
    builder = app.builder
    ids = _UniqueIds(builder)
    page = builder.config.root_doc + builder.out_suffix + "#"
    fix_refuris = builder.fix_refuris
    assemble_secnumbers = builder.assemble_toc_secnumbers
    assemble_fignumbers = builder.assemble_toc_fignumbers

    def fix_refuris_on_one_page(tree) -> None:
        if isinstance(tree, nodes.document):  # the whole book (toctrees come later)
            ids.rename(tree)
        ids.fix_links(tree)
        fix_refuris(tree)
        for ref in tree.findall(nodes.reference):
            if ref.get("refuri", "").startswith(page):
                ref["refuri"] = ref["refuri"][len(page) - 1:]

    builder.fix_refuris = fix_refuris_on_one_page
    builder.assemble_toc_secnumbers = lambda: ids.secnumbers(assemble_secnumbers())
    builder.assemble_toc_fignumbers = lambda: ids.fignumbers(assemble_fignumbers())


def _move_single_page(app, exception) -> None:
    if exception is not None or app.builder.name != "singlehtml":
        return
    outdir = pathlib.Path(app.outdir)
    page = outdir / f"{app.config.root_doc}{app.builder.out_suffix}"
    if page.parent != outdir and page.is_file():
        page.replace(outdir / f"index{app.builder.out_suffix}")


def setup(app) -> dict[str, Any]:
    app.connect("builder-inited", _mend_singlehtml)
    app.connect("build-finished", _move_single_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
