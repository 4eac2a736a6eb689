"""The website's twins with several controls: what each costs to make, to store and to play.

For every registered explorer that declares a twin grid (``ExplorerSpec.grid``):

- **render**: the wall time and the CPU time (this process and its workers) to draw every
  picture from a cold cache (``dlbasics.widgets.twin_grid.build_grid`` into an empty folder,
  one twin at a time, with every CPU), the number of pictures, their total bytes and the bytes
  of a first view (the manifest and the picture shown first);
- **player** (with ``--site <built html folder>``): in Debian's Chromium, the time from a
  control's change to its new picture decoded, once the picture is cached (the player fetches
  the neighbours of the picture shown, so a step is always cached), median and maximum over
  every control's steps.

Run: ``python benchmarks/bench_twins.py [--explorer NAME] [--site _build/html]``.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import http.server
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from machine import cpu_name  # benchmarks/machine.py

from dlbasics.widgets import EXPLORERS
from dlbasics.widgets.twin_grid import build_grid, frame_index

ROOT = Path(__file__).resolve().parents[1]


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def render(names: list[str]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            spec = EXPLORERS[name]
            folder = Path(tmp) / spec.slug
            wall, cpu = time.perf_counter(), _cpu()
            manifest = build_grid(spec, folder)
            wall, cpu = time.perf_counter() - wall, _cpu() - cpu
            sizes = [(folder / f).stat().st_size for f in manifest["frames"]]
            counts = [len(c["values"]) for c in manifest["controls"]]
            first = frame_index(counts, manifest["start"])
            rows.append({
                "name": spec.label, "grid": " × ".join(
                    f"{c['name']} {len(c['values'])}" for c in manifest["controls"]),
                "pictures": len(sizes), "wall": wall, "cpu": cpu, "bytes": sum(sizes),
                "first": sizes[first] + (folder / "manifest.json").stat().st_size,
            })
    return rows


PLAYER_JS = """
async root => {
  // Load the manifest and every neighbour of the picture shown (as the player does), then
  // time each control's steps: change -> new picture decoded.
  root.scrollIntoView();
  const img = root.querySelector("img");
  const inputs = [...root.querySelectorAll("[data-control]")];
  const times = [];
  for (const input of inputs) {
    const n = input.tagName === "SELECT" ? input.options.length : Number(input.max) + 1;
    for (let step = 0; step < Math.min(n - 1, 4); step += 1) {
      input.dispatchEvent(new Event("focusin", {bubbles: true}));
      await new Promise(r => setTimeout(r, 400));  // the neighbours are fetched
      const t0 = performance.now();
      input.value = String((Number(input.value) + 1) % n);
      input.dispatchEvent(new Event("input", {bubbles: true}));
      await img.decode().catch(() => null);
      times.push(performance.now() - t0);
    }
  }
  return times;
}
"""


def player(site: Path) -> dict[str, list[float]]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from chromium import CHROMIUM, CHROMIUM_FLAGS
    from playwright.sync_api import sync_playwright

    handler = type("Quiet", (http.server.SimpleHTTPRequestHandler,),
                   {"log_message": lambda *args: None})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for html in sorted((site / "notebooks").glob("*.html")):
            page.goto(base + f"notebooks/{html.name}")
            twins = page.locator(".dlb-grid-twin")
            for k in range(twins.count()):
                name = twins.nth(k).get_attribute("data-dlb-grid-twin").split("/")[-2]
                out[name] = twins.nth(k).evaluate(PLAYER_JS)
        browser.close()
    server.shutdown()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--explorer", action="append", help="only these explorers")
    parser.add_argument("--site", type=Path, help="a built site: also time the player")
    parser.add_argument("--no-render", action="store_true", help="only the player")
    args = parser.parse_args()
    names = args.explorer or [n for n, s in EXPLORERS.items() if s.grid is not None]
    print(f"{datetime.date.today()}, {cpu_name()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")
    if not args.no_render:
        rows = render(names)
        print("\n| twin | grid | pictures | render wall (s) | render CPU (s) | all pictures (MB) "
              "| first view (kB) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(f"| {r['name']} | {r['grid']} | {r['pictures']} | {r['wall']:.1f} | "
                  f"{r['cpu']:.1f} | {r['bytes'] / 1e6:.2f} | {r['first'] / 1e3:.0f} |")
        print(f"| all | | {sum(r['pictures'] for r in rows)} | "
              f"{sum(r['wall'] for r in rows):.1f} | {sum(r['cpu'] for r in rows):.1f} | "
              f"{sum(r['bytes'] for r in rows) / 1e6:.2f} | |")
    if args.site:
        times = player(args.site)
        print("\n| twin | steps | change → picture, median (ms) | max (ms) |")
        print("| --- | ---: | ---: | ---: |")
        for name, t in times.items():
            if t:
                print(f"| {name.rsplit('-', 1)[0]} | {len(t)} | {statistics.median(t):.1f} | "
                      f"{max(t):.1f} |")


if __name__ == "__main__":
    main()
