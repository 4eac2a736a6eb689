"""The chapters' saved outputs hold on any CPU.

`scripts/execute_notebooks.py` computes the saved outputs with numpy's SIMD dispatch limited to
its baseline, and nbval (in this same test run) recomputes them with the machine's full
dispatch. So a cell whose printed digits depend on the kernels fails nbval on every modern
CPU, not only on an unlucky one. These tests check that every chapter was saved that way, and
prove the check can fail: a notebook with a deliberately fragile cell, saved by the script,
fails nbval here.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import execute_notebooks  # noqa: E402  (scripts/ is not a package)

CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

# Any difference in the last bit of tanh, log or exp grows to the first printed digit within
# 80 steps of this chaotic map: the kind of cell the fragility check exists to catch.
FRAGILE = """import numpy as np
x = np.linspace(0.05, 0.95, 6)
for _ in range(80):
    s = 0.5 + 0.5 * np.tanh(np.log(x / (1 - x)) / 2)     # equals x up to rounding
    x = 3.99 * s * (1 - s) * np.exp(0.0 * x)
print(np.round(x, 3))"""
STABLE = """import numpy as np
print(np.round(np.tanh(np.linspace(-2, 2, 5)), 6))"""


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_saved_with_the_baseline_dispatch(path):
    meta = nbformat.read(path, as_version=4).metadata.get("dlbasics", {})
    assert meta.get("executed_with") == execute_notebooks.EXECUTED_WITH, (
        f"{path.name} was not saved by scripts/execute_notebooks.py, so its outputs may hold only "
        f"on the CPU it ran on. Run: python scripts/execute_notebooks.py notebooks/{path.name}"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_are_saved_at_twice_their_size(path):
    """Every figure is a 2× PNG shown at half its pixels, with the font size and dpi that
    tests/test_site.py needs to check its text is legible: the chapter's setup cell calls
    ``dlbasics.plotting.sharp_figures()``."""
    nb = nbformat.read(path, as_version=4)
    missing = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            meta = output.get("metadata", {}).get("image/png", {})
            if not {"width", "height"} <= meta.keys() or "smallest_font_pt" not in meta.get(
                "dlbasics", {}
            ):
                missing.append(cell.get("id"))
    assert not missing, (f"{path.name}: figures without 2x metadata in cells {missing}; call "
                         "sharp_figures() in the setup cell and re-execute the notebook")


def test_sharp_figures_saves_twice_the_pixels_in_a_palette_that_looks_the_same():
    """What the setup cell's ``sharp_figures()`` stores for a figure: a PNG with twice the
    pixels of its shown size, in a palette that changes the picture by under 1/255 on
    average, with the dpi and the smallest font size the book's legibility test reads."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from dlbasics.plotting import _book_png, new_figure, palette_png, smallest_font_pt

    fig = new_figure(4.0, 3.0, dpi=100)
    ax = fig.add_subplot()
    ax.plot(np.linspace(0, 1, 50) ** 2, label="a curve")
    ax.legend(fontsize=7.5)
    ax.set_title("title", fontsize=12)
    assert smallest_font_pt(fig) == 7.5
    data, metadata = _book_png(fig)
    png = base64.b64decode(data)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P", "stored in a palette"
    shown = (metadata["width"], metadata["height"])
    assert [pixels // 2 for pixels in image.size] == list(shown), "shown at half its pixels"
    assert metadata["dlbasics"] == {"dpi": 100.0, "smallest_font_pt": 7.5}

    fig.canvas.draw()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200)
    original = buffer.getvalue()
    small = palette_png(original)
    assert len(small) < len(original)
    before = np.asarray(Image.open(io.BytesIO(original)).convert("RGB"), dtype=float)
    after = np.asarray(Image.open(io.BytesIO(small)).convert("RGB"), dtype=float)
    assert np.abs(before - after).mean() < 1.0


def test_restricted_kernel_env_names_only_features_this_cpu_has():
    env = execute_notebooks.kernel_env()
    names = env.get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert names == execute_notebooks.dispatched_features()
    assert "OPENBLAS_CORETYPE" not in names
    assert "NPY_DISABLE_CPU_FEATURES" not in execute_notebooks.kernel_env(restrict=False)


def nbval(path: pathlib.Path) -> subprocess.CompletedProcess:
    """nbval on ``path`` with this machine's full dispatch, outside the project's pytest config."""
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
           "--nbval-current-env", "-c", os.devnull, "--rootdir", str(path.parent), str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=path.parent, env=env,
                          timeout=300)


@pytest.mark.slow
def test_a_cell_that_depends_on_the_kernels_fails_nbval(tmp_path):
    if not execute_notebooks.dispatched_features():
        pytest.skip("this CPU has no SIMD features beyond numpy's baseline: "
                    "the saved and the tested run use the same kernels here")
    fragile, stable = tmp_path / "fragile.ipynb", tmp_path / "stable.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(FRAGILE)]), fragile)
    nbformat.write(new_notebook(cells=[new_code_cell(STABLE)]), stable)
    for path in (fragile, stable):
        execute_notebooks.execute(path)

    result = nbval(stable)
    assert result.returncode == 0, result.stdout[-3000:]
    result = nbval(fragile)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "1 failed" in result.stdout, result.stdout[-3000:]
