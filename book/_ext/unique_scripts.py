"""Write each ``<script>`` of a page once.

Sphinx 7.4 (jupyter-book 1.x requires Sphinx 7) writes an inline script twice when an extension
adds it after the builder starts: once as given (``filename=None``) and once from its registry
(``filename=""``), which do not compare equal. sphinx-thebe adds its settings that way, as
``const THEBE_JS_URL = …``, so every page raised "Identifier 'THEBE_JS_URL' has already been
declared" in the browser. This extension drops such duplicates just before each page is written.
The browser test (tests/test_site.py) fails on any page error, so it notices if this comes back.
"""

from __future__ import annotations

from typing import Any


def _key(script: Any) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return (str(filename), getattr(script, "priority", 500), tuple(sorted(attributes.items())))


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the same list the template renders


def setup(app) -> dict[str, Any]:
    # Late (priority 900): after other extensions have added their page-specific scripts.
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
