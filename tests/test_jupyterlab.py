"""Every chapter in real JupyterLab, as a learner on a laptop (1280×800) sees it.

One ``jupyter lab`` server is started on 127.0.0.1 over a temporary copy of ``notebooks/``, and
one headless Chromium (Debian's, driven by the ``playwright`` package, as in
``tests/test_site.py``; every request to another host is blocked) opens the chapters one after
the other. For each chapter the test runs *Run All* (the command behind *Run ▸ Run All Cells*),
waits until every code cell has run and the kernel is idle, and checks:

- before Run All, every saved twin shows its first frame (the notebook is untrusted, so the
  twin's script does not run: the picture must come from its markup);
- no cell shows an error or a traceback;
- every explorer renders as a widget (no "Error displaying widget");
- every explorer's picture is drawn at its natural size (a 2× bitmap shown at half its pixel
  size, scaled by at most ``MAX_SCALE``), its title, controls and picture fit on the screen
  together, no control's label is cut off, and its main slider has ``MIN_TRACK_PX`` of track;
- one control change per explorer (the keyboard or a dropdown, as a learner would) paints a
  new picture; the latency of ``CHANGES_TIMED`` changes in a row, from the input event to the
  new picture painted (the second animation frame after the image loaded), is measured in the
  page;
- no raw MyST syntax (``:label:``, ``{term}``, ``{exercise}``, ``(label)=`` …) is visible in a
  rendered Markdown cell (needs ``jupyterlab-myst``), nor a bib key of ``book/references.bib``
  (jupyterlab-myst has no bibliography: a ``{cite}`` shows its key) or a figure label
  ``fig-…`` (a figure that is a code cell's output has its label in the cell's metadata, where
  jupyterlab-myst cannot find it: a bare ``{numref}`` shows the label).

The latencies go to ``jupyterlab_latency.json`` in the test's temporary folder (and to
``DLBASICS_LATENCY=<file>`` when set; ``benchmarks/README.md`` keeps the table). Set
``DLBASICS_SCREENSHOTS=<folder>`` to keep a screenshot of every explorer as it sits on screen.
The test's own JupyterLab settings switch notebook windowing off (so every cell is in the page
to be checked) and the news pop-up off; nothing else differs from a learner's JupyterLab.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT

VIEWPORT = {"width": 1280, "height": 800}
CHAPTERS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
if os.environ.get("DLBASICS_JLAB_CHAPTERS"):  # e.g. "01,08", while working on a layout
    CHAPTERS = [c for c in CHAPTERS if c[:2] in os.environ["DLBASICS_JLAB_CHAPTERS"].split(",")]
SCREENSHOTS = os.environ.get("DLBASICS_SCREENSHOTS")
LATENCY_OUT = os.environ.get("DLBASICS_LATENCY")

MAX_SCALE = 1.1  # a picture may be shown at most this much larger than it was drawn
MIN_TRACK_PX = 250  # the main slider's track
RUN_ALL_TIMEOUT_S = 120
PAINT_TIMEOUT_MS = 15_000
CHANGES_TIMED = 3  # per explorer: the same control changed three times in a row
RAW_MYST = [
    (r":label:", ":label:"),
    (r"\{term\}", "{term}"),
    (r"\{exercise\}", "{exercise}"),
    (r"\{solution-start\}", "{solution-start}"),
    (r"^\s*\([A-Za-z0-9_-]+\)=\s*$", "(label)="),  # JavaScript, with the "m" flag
    (r"\bfig-[a-z0-9]+(?:-[a-z0-9]+)*\b", "a figure label"),
    (r"\b(?:" + "|".join(re.findall(r"(?m)^@\w+\{([^,\s]+),",
                                    (ROOT / "book" / "references.bib").read_text())) + r")\b",
     "a bib key"),
]
SETTINGS = {  # the test's JupyterLab user settings
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright Python package is missing: pip install -r "
                    "requirements-dev.txt (never `playwright install`: the tests drive Debian's "
                    "Chromium)", pytrace=False)
    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `apt-get install chromium`, or point "
                    "DLBASICS_CHROMIUM at a Chromium binary", pytrace=False)
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(tmp: pathlib.Path):
    """``jupyter lab`` serving a copy of notebooks/ on 127.0.0.1; yields its base URL."""
    root = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", root,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_build"))
    settings = tmp / "settings"
    for name, value in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    log = (tmp / "jupyter.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser",
         "--ip=127.0.0.1", f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
         f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
         f"--LabApp.workspaces_dir={tmp / 'workspaces'}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.disable_check_xsrf=True"],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "api/status", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start; its log: {tmp / 'jupyter.log'}\n"
                                + (tmp / "jupyter.log").read_text()[-3000:], pytrace=False)
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# --------------------------------------------------------------------------------------------
# JavaScript run in JupyterLab (``window.jupyterapp`` is exposed by expose_app_in_browser).

OPEN_JS = """
async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute("docmanager:open", {path, factory: "Notebook"});
  await panel.context.ready;
  await panel.sessionContext.ready;
  window.__panel = panel;
  return true;
}
"""

RUN_ALL_JS = """
async () => { await window.jupyterapp.commands.execute("runmenu:run-all"); return true; }
"""

# Every code cell has run and the kernel is idle.
DONE_JS = """
() => {
  const panel = window.__panel;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [...panel.content.model.cells].filter(c => c.type === "code");
  const pending = cells.filter(c => c.executionCount === null || c.executionCount === undefined
                                    || c.executionState === "running");
  return !!kernel && kernel.status === "idle" && pending.length === 0
         && panel.content.widgets.every(w => !w.node.classList.contains("jp-mod-running"));
}
"""

CLOSE_JS = """
async () => {
  const panel = window.__panel;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;
  panel.dispose();
  return true;
}
"""

# Every Markdown cell has been rendered (jupyterlab-myst renders them one by one, after opening).
MARKDOWN_RENDERED_JS = """
() => [...window.__panel.content.node.querySelectorAll(".jp-MarkdownCell")].every(
  c => c.querySelector(".jp-InputArea > :is(.myst, .jp-MarkdownOutput)"))
"""

# Errors, broken widgets and raw MyST in the open notebook.
FACTS_JS = """
(patterns) => {
  const nb = window.__panel.content.node;
  const text = el => (el.textContent || "").trim();
  const errors = [...nb.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(text).filter(t => /Error|Traceback/.test(t));
  const badWidgets = [...nb.querySelectorAll(".jp-OutputArea-output")].map(text)
    .filter(t => /Error displaying widget|could not be displayed|Loading widget/.test(t));
  const raw = [];
  // jupyterlab-myst renders a Markdown cell into a .myst widget, JupyterLab's own renderer into
  // .jp-MarkdownOutput
  const rendered = nb.querySelectorAll(
    ".jp-MarkdownCell .jp-InputArea > :is(.myst, .jp-MarkdownOutput)");
  for (const cell of rendered) {
    // typeset formulas are not markup (MathJax's text of σ′(0) = 1/4 has a line "(0)=")
    const maths = [...cell.querySelectorAll("mjx-container, .MathJax, .katex, math")];
    const display = maths.map(m => m.style.display);
    maths.forEach(m => { m.style.display = "none"; });
    const t = cell.innerText || cell.textContent || "";
    maths.forEach((m, k) => { m.style.display = display[k]; });
    for (const [pattern, name] of patterns) {
      const m = t.match(new RegExp(pattern, "m"));
      if (m) raw.push(`${name}: ${t.slice(Math.max(0, m.index - 40), m.index + 60)
                                   .replace(/\\s+/g, " ")}`);
    }
  }
  const explorers = [...nb.querySelectorAll(".jp-OutputArea-output")]
    .filter(o => o.querySelector(".jupyter-widgets img, .widget-image")).length;
  return {errors, badWidgets, raw, explorers, markdown: rendered.length,
          markdownCells: nb.querySelectorAll(".jp-MarkdownCell").length};
}
"""

# The layout of explorer ``i`` (its output scrolled to the top of the notebook first).
LAYOUT_JS = """
(i) => {
  const outputs = [...window.__panel.content.node.querySelectorAll(".jp-OutputArea-output")]
    .filter(o => o.querySelector(".jupyter-widgets img"));
  const out = outputs[i];
  const root = out.querySelector(".jupyter-widgets");
  const img = out.querySelector(".jupyter-widgets img");
  const title = (out.querySelector(".widget-html-content b") || {}).textContent || "";
  const rect = el => el.getBoundingClientRect();
  const labels = [...out.querySelectorAll(".widget-label, .widget-label-basic")]
    .filter(l => l.offsetParent && l.scrollWidth > l.clientWidth + 1).map(l => l.textContent);
  const tracks = [...out.querySelectorAll(".widget-hslider")].map(s => {
    const label = s.querySelector(".widget-label");
    const track = s.querySelector(".slider-container") || s.querySelector(".slider");
    return {label: label ? label.textContent : "", px: Math.round(rect(track).width),
            disabled: s.classList.contains("mod-disabled")};
  });
  // the controls above the picture (not, say, an export box under it), on the open tab
  const controls = [...out.querySelectorAll(
    ".widget-hslider, .widget-dropdown, .widget-toggle-buttons, button")]
    .filter(c => rect(c).height > 0 && rect(c).top < rect(img).top);
  const nb = window.__panel.content.node;
  const viewport = rect(nb.querySelector(".jp-WindowedPanel-outer") || nb);
  const bottom = Math.max(rect(img).bottom, ...controls.map(c => rect(c).bottom));
  return {
    title, natural: [img.naturalWidth, img.naturalHeight],
    shown: [Math.round(rect(img).width), Math.round(rect(img).height)],
    labels, tracks, box: [Math.round(rect(root).width), Math.round(rect(root).height)],
    fits: rect(root).top >= viewport.top - 1 && bottom <= viewport.bottom + 1,
    overflow: Math.round(bottom - viewport.bottom),
    hint: /arrow keys|type a value|← →/i.test(root.textContent || ""),
  };
}
"""

SCROLL_JS = """
(i) => {
  const outputs = [...window.__panel.content.node.querySelectorAll(".jp-OutputArea-output")]
    .filter(o => o.querySelector(".jupyter-widgets img"));
  outputs[i].scrollIntoView({block: "start"});
  return true;
}
"""

# Arm a timer on explorer i: the first input event after arming starts it; the next new
# picture of its image (src changed, loaded, two animation frames later) stops it.
ARM_JS = """
(i) => {
  const outputs = [...window.__panel.content.node.querySelectorAll(".jp-OutputArea-output")]
    .filter(o => o.querySelector(".jupyter-widgets img"));
  const img = outputs[i].querySelector(".jupyter-widgets img");
  const probe = {t0: null, src: null, painted: null, before: img.src};
  window.__probe = probe;
  const start = () => { if (probe.t0 === null) probe.t0 = performance.now(); };
  for (const kind of ["keydown", "change", "input", "pointerdown", "click"]) {
    document.addEventListener(kind, start, {capture: true, once: true});
  }
  const observer = new MutationObserver(() => {
    if (probe.t0 === null || img.src === probe.before || probe.src !== null) return;
    probe.src = performance.now();
    observer.disconnect();
    const painted = () => requestAnimationFrame(() => requestAnimationFrame(() => {
      probe.painted = performance.now();
    }));
    if (img.complete && img.naturalWidth) painted();
    else img.addEventListener("load", painted, {once: true});
  });
  observer.observe(img, {attributes: true, attributeFilter: ["src"]});
  return true;
}
"""

PROBE_JS = """
() => {
  const p = window.__probe;
  return p.painted === null ? null : {ms: p.painted - p.t0, src_ms: p.src - p.t0};
}
"""


def _explorer_output(page, i: int):
    return page.locator(".jp-OutputArea-output:has(.jupyter-widgets img)").nth(i)


def _change_one_control(page, i: int) -> str:
    """Change one control of explorer i as a learner would; returns what was done."""
    out = _explorer_output(page, i)
    selects = out.locator(".widget-dropdown select")
    for k in range(selects.count()):
        select = selects.nth(k)
        if select.is_disabled():
            continue
        options = select.locator("option").all_text_contents()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        new = options[(options.index(current) + 1) % len(options)]
        label = select.evaluate(
            "s => (s.closest('.widget-dropdown').querySelector('.widget-label') || {})"
            ".textContent")
        select.select_option(label=new)
        return f"dropdown {label!r}: {current} → {new}"
    handle = out.locator(".widget-hslider:not(.mod-disabled) .noUi-handle").first
    label = out.locator(".widget-hslider:not(.mod-disabled) .widget-label").first.text_content()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    handle.focus()
    key = "ArrowLeft" if at_max else "ArrowRight"
    handle.press(key)
    return f"slider {label!r}: {key}"


# The saved twins of the opened (untrusted, so their scripts do not run) notebook: each must
# show its first frame from its own markup.
SAVED_TWINS_JS = """
async () => {
  const node = window.__panel.content.node;
  const deadline = Date.now() + 15000;
  let imgs = [];
  while (Date.now() < deadline) {
    imgs = [...node.querySelectorAll('.jp-OutputArea-output img[alt^="Animation"]')];
    if (imgs.length) break;
    await new Promise(r => setTimeout(r, 200));
  }
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  return {twins: imgs.length,
          blank: imgs.filter(i => !i.naturalWidth).map(i => i.alt.slice(0, 80))};
}
"""


@pytest.mark.slow
def test_every_chapter_in_jupyterlab(tmp_path):
    """Run All in each chapter; explorers render, fit, respond; no errors and no raw MyST."""
    sync_playwright = _playwright()
    problems: list[str] = []
    latency: list[dict] = []
    shots = pathlib.Path(SCREENSHOTS) if SCREENSHOTS else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with jupyter_lab(tmp_path) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport=VIEWPORT)
        blocked: list[str] = []

        def block(route):
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

        context.route(lambda url: not url.startswith(base), block)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page_errors: list[str] = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.goto(base + "lab?reset", wait_until="load")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.started",
                               timeout=60_000)
        page.evaluate("() => window.jupyterapp.started")
        page.wait_for_selector(".jp-LabShell", state="attached")
        for chapter in CHAPTERS:
            name = chapter[:2]
            t_open = time.monotonic()
            page.evaluate(OPEN_JS, chapter)
            blank = page.evaluate(SAVED_TWINS_JS)
            if blank["twins"] == 0:
                problems.append(f"{chapter}: no saved twin (an animation) found before Run All")
            problems += [f"{chapter}: a saved twin shows no picture before Run All (its script "
                         f"does not run in an untrusted notebook): {alt}"
                         for alt in blank["blank"]]
            t0 = time.monotonic()
            page.evaluate(RUN_ALL_JS)  # resolves when every cell has run
            page.wait_for_function(DONE_JS, timeout=RUN_ALL_TIMEOUT_S * 1000, polling=200)
            run_all_s = time.monotonic() - t0
            print(f"{chapter}: opened in {t0 - t_open:.1f} s, Run All {run_all_s:.1f} s")
            # the widget views render after the outputs arrive
            with contextlib.suppress(Exception):
                page.wait_for_function(
                    "() => ![...window.__panel.content.node.querySelectorAll("
                    "'.jp-OutputArea-output')].some(o => /Loading widget/.test(o.textContent))",
                    timeout=15_000)
            with contextlib.suppress(Exception):  # reported below: cells not rendered
                page.wait_for_function(MARKDOWN_RENDERED_JS, timeout=15_000)
            facts = page.evaluate(FACTS_JS, [list(p) for p in RAW_MYST])
            problems += [f"{chapter}: error output: {e[:300]}" for e in facts["errors"]]
            problems += [f"{chapter}: widget not displayed: {w[:200]}"
                         for w in facts["badWidgets"]]
            problems += [f"{chapter}: raw MyST in a rendered Markdown cell: {r}"
                         for r in facts["raw"][:5]]
            if len(facts["raw"]) > 5:
                problems.append(f"{chapter}: … and {len(facts['raw']) - 5} more raw MyST")
            if facts["markdown"] < facts["markdownCells"]:
                problems.append(f"{chapter}: only {facts['markdown']} of {facts['markdownCells']} "
                                "Markdown cells were found rendered, so the others were not "
                                "checked for raw MyST")
            if facts["explorers"] == 0:
                problems.append(f"{chapter}: no explorer rendered as a widget")
            for i in range(facts["explorers"]):
                page.evaluate(SCROLL_JS, i)
                page.wait_for_timeout(150)
                layout = page.evaluate(LAYOUT_JS, i)
                who = f"{chapter}: {layout['title'] or f'explorer {i + 1}'}"
                problems += _layout_problems(who, layout)
                if shots:
                    page.screenshot(path=str(shots / f"CH{name}_e{i + 1}.png"))
                img = _explorer_output(page, i).locator(".jupyter-widgets img")
                before = img.screenshot()
                times: list[float] = []
                for repeat in range(CHANGES_TIMED):  # the first change is checked on screen
                    page.evaluate(ARM_JS, i)
                    action = _change_one_control(page, i)
                    try:
                        page.wait_for_function(PROBE_JS, timeout=PAINT_TIMEOUT_MS,
                                               polling="raf")
                        probe = page.evaluate(PROBE_JS)
                    except Exception:  # reported as a problem below
                        probe = None
                    if repeat == 0:
                        first = action
                        after = img.screenshot()
                        if probe is None:
                            problems.append(f"{who}: {action} painted no new picture within "
                                            f"{PAINT_TIMEOUT_MS / 1000:.0f} s")
                        elif before == after:
                            problems.append(f"{who}: {action} left the picture on screen "
                                            "unchanged")
                        if shots:
                            page.screenshot(path=str(shots / f"CH{name}_e{i + 1}_after.png"))
                    if probe is not None:
                        times.append(round(probe["ms"]))
                if layout["title"] == "Playground":
                    problems += _playground_names_a_training_setting(page, i, shots)
                latency.append({"chapter": chapter, "explorer": layout["title"],
                                "action": first, "run_all_s": round(run_all_s, 1),
                                "open_s": round(t0 - t_open, 1), "ms": times})
            page.evaluate(CLOSE_JS)
        problems += [f"page error: {e}" for e in page_errors]
        problems += [f"request to another host (blocked): {u}" for u in sorted(set(blocked))]
        browser.close()
    total = time.monotonic() - started
    record = {"total_s": round(total, 1), "explorers": latency}
    (tmp_path / "jupyterlab_latency.json").write_text(json.dumps(record, indent=2))
    if LATENCY_OUT:
        pathlib.Path(LATENCY_OUT).write_text(json.dumps(record, indent=2))
    for row in latency:
        print(f"{row['chapter']:32} {row['explorer'][:28]:28} {row['ms']!s:>18} ms  "
              f"{row['action']}")
    print(f"total {total:.0f} s")
    if problems:
        pytest.fail("\n  - ".join(["JupyterLab:", *problems]), pytrace=False)


def _playground_names_a_training_setting(page, i: int, shots) -> list[str]:
    """At step 0 a new optimizer changes no picture: the status line must say it was set."""
    out = _explorer_output(page, i)
    out.locator(".lm-TabBar-tab", has_text="Training").click()
    select = out.locator(".widget-dropdown", has_text="optimizer").locator("select")
    select.select_option(label="sgd")
    status = out.locator(".widget-html", has_text="set to sgd")
    try:
        status.wait_for(timeout=PAINT_TIMEOUT_MS)
    except Exception:  # reported below
        return ["Playground: after choosing the optimizer sgd at step 0, no status line says "
                "'optimizer set to sgd'"]
    if shots:
        page.screenshot(path=str(shots / "CH08_playground_training_tab.png"))
    text = status.first.text_content()
    if "press Play or Step" not in text:
        return [f"Playground: status line after a new optimizer: {text!r}"]
    return []


def _layout_problems(who: str, layout: dict) -> list[str]:
    problems = []
    natural_w = layout["natural"][0] / 2  # drawn at 2× for sharp screens
    scale = layout["shown"][0] / natural_w if natural_w else float("inf")
    if not 1 / MAX_SCALE <= scale <= MAX_SCALE:
        problems.append(f"{who}: picture drawn {layout['natural'][0]} px wide (2×) but shown "
                        f"{layout['shown'][0]} px wide (×{scale:.2f} of its natural size)")
    if not layout["fits"]:
        problems.append(f"{who}: controls and picture do not fit on the screen together "
                        f"({layout['overflow']} px below the fold; box {layout['box']})")
    if layout["labels"]:
        problems.append(f"{who}: labels cut off: {layout['labels']}")
    tracks = [t for t in layout["tracks"] if not t["disabled"]]
    if tracks and max(t["px"] for t in tracks) < MIN_TRACK_PX:
        problems.append(f"{who}: the longest slider track is {max(t['px'] for t in tracks)} px "
                        f"(at least {MIN_TRACK_PX}): {tracks}")
    if not layout["hint"]:
        problems.append(f"{who}: no hint that values can be typed or stepped with the arrow keys")
    return problems
