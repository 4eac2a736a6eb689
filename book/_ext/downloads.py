"""The course's two downloads, linked from every page: the whole book as one PDF and every
chapter notebook in one zip.

``scripts/build_downloads.py`` makes both after ``jupyter-book build .`` and puts them in the
site's ``downloads/`` folder; this extension only links them:

- a *Download the course* block at the foot of the left sidebar, which stays in view while the
  chapter list scrolls (every page, the search page included; on a phone, at the foot of the
  menu that the ☰ button opens; book/_templates/dlb-downloads.html);
- two entries in each page's download menu (the ⤓ button at the top of the page, which a phone
  shows too); the theme's ".pdf" entry, which only opens the browser's print dialog for the one
  page, is relabelled "Print this page" so that it is not taken for the book.
"""

from __future__ import annotations

from typing import Any

# Where the downloads live in the built site, relative to its root (see build_downloads.py).
FOLDER = "downloads"
PDF = "deep-learning-basics.pdf"
ZIP = "deep-learning-basics-notebooks.zip"


def download_links(pathto) -> list[dict[str, str]]:
    """The two downloads, for the templates, with URLs relative to the page (its pathto)."""
    root = pathto("", 1)
    return [
        {
            "url": f"{root}{FOLDER}/{PDF}",
            "label": "Whole book (PDF)",
            "detail": "every chapter, with equations, figures and links",
            "icon": "fas fa-file-pdf",
            "tooltip": "Download the whole book as one PDF",
            "name": "book-pdf",
        },
        {
            "url": f"{root}{FOLDER}/{ZIP}",
            "label": "All notebooks (.zip)",
            "detail": "the chapters to run in JupyterLab",
            "icon": "fas fa-file-zipper",
            "tooltip": "Download every chapter notebook in one zip",
            "name": "notebooks-zip",
        },
    ]


def _add_to_context(app, pagename, templatename, context, doctree) -> None:
    context["dlb_downloads"] = download_links(context["pathto"])


def _add_to_download_menu(app, pagename, templatename, context, doctree) -> None:
    links = context.get("dlb_downloads") or download_links(context["pathto"])
    for button in context.get("header_buttons", []):
        if button.get("label") != "download-buttons":
            continue
        entries = button["buttons"]
        for entry in entries:
            if entry.get("label") == "download-pdf-button":  # the theme's window.print()
                entry["text"] = "Print this page"
                entry["tooltip"] = "Print this page, or save it as a PDF"
                entry["icon"] = "fas fa-print"
        entries.extend(
            {
                "type": "link",
                "url": link["url"],
                "text": link["label"],
                "tooltip": link["tooltip"],
                "icon": link["icon"],
                "label": f"download-{link['name']}-button",
            }
            for link in links
        )


def setup(app) -> dict[str, Any]:
    # Before pydata-sphinx-theme drops the sidebar templates that render empty (priority 500).
    app.connect("html-page-context", _add_to_context, priority=400)
    # After sphinx-book-theme has made its header buttons (priority 501).
    app.connect("html-page-context", _add_to_download_menu, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
