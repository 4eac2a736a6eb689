"""Record what ``torch.optim`` does in the optimizer tests' scenarios, for the tests to compare.

The course never installs torch (it is in no requirements file), yet ``dlbasics.optim`` promises
torch's update rules. So the comparison is split in two: this script runs every scenario of
``tests/optim_scenarios.py`` (the same starting values, the same gradient sequence ``grad_at``
and the same keyword arguments as each parametrized case of ``tests/test_optim.py``) with
``torch.optim.SGD``, ``RMSprop`` and ``Adam``, plus ``torch.nn.utils.clip_grad_norm_``, all in
float64, and writes the parameter values after every step to ``tests/data/torch_reference.json``.
``tests/test_optim.py`` compares ``dlbasics`` with that file on every run.

Regenerate the file after adding or changing a scenario, in a throw-away environment that has
torch (CPU is enough) and numpy, never in the course's own::

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install numpy torch
    /tmp/torchenv/bin/python scripts/make_torch_reference.py

Any recent torch will do, and CPU is enough: a CPU-only build (a ``+cpu`` wheel) avoids the
gigabytes of CUDA libraries that the default Linux wheel pulls in. Then commit
``tests/data/torch_reference.json``; it records the torch version and the date.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "torch_reference.json"
sys.path.insert(0, str(ROOT / "tests"))

import optim_scenarios as sc  # noqa: E402  (tests/ is not a package)


def _tensors(torch, arrays):
    return [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]


def _values(tensors) -> list[list]:
    return [t.detach().numpy().tolist() for t in tensors]


def run_case(torch, name: str, kwargs: dict) -> list[list[list]]:
    """Parameter values after each of the N_STEPS steps: ``[step][param]`` nested lists."""
    cls = {"SGD": torch.optim.SGD, "RMSProp": torch.optim.RMSprop, "Adam": torch.optim.Adam}[name]
    params = _tensors(torch, sc.initial_values())
    opt = cls(params, **kwargs)
    trajectory = []
    for t in range(sc.N_STEPS):
        grads = sc.grad_at([p.detach().numpy().copy() for p in params], t)
        for p, g in zip(params, grads, strict=True):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        trajectory.append(_values(params))
    return trajectory


def run_clip(torch) -> dict:
    """``clip_grad_norm_`` on gradients ``CLIP_SCALE * initial values``."""
    params = _tensors(torch, sc.initial_values())
    for p in params:
        p.grad = torch.tensor(sc.CLIP_SCALE * p.detach().numpy(), dtype=torch.float64)
    total = float(torch.nn.utils.clip_grad_norm_(params, sc.CLIP_MAX_NORM))
    return {
        "scale": sc.CLIP_SCALE,
        "max_norm": sc.CLIP_MAX_NORM,
        "total_norm": total,
        "grads": [p.grad.numpy().tolist() for p in params],
    }


def build(torch) -> dict:
    """The whole reference: metadata, the starting values, every case and the clipping."""
    cases = {}
    for (name, kwargs), cid in zip(sc.CASES, sc.CASE_IDS, strict=True):
        cases[cid] = {
            "optimizer": name,
            "kwargs": kwargs,
            "values_after_each_step": run_case(torch, name, kwargs),
        }
    return {
        "about": "torch.optim trajectories for tests/test_optim.py; regenerate with "
        "scripts/make_torch_reference.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "date": datetime.date.today().isoformat(),
        "dtype": "float64",
        "shapes": [list(s) for s in sc.SHAPES],
        "n_steps": sc.N_STEPS,
        "initial_values": [v.tolist() for v in sc.initial_values()],
        "cases": cases,
        "clip_grad_norm": run_clip(torch),
    }


def to_json(obj, indent: str = "") -> str:
    """JSON with one line per list of numbers (a parameter's row), the rest indented."""
    inner = indent + " "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (list, tuple, dict)) for v in obj):
        return "[\n" + ",\n".join(inner + to_json(v, inner) for v in obj) + f"\n{indent}]"
    return json.dumps(obj)  # floats as repr(): every float64 comes back bit for bit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT, help=f"default {OUT}")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed here; see this script's docstring", file=sys.stderr)
        return 1
    reference = build(torch)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(to_json(reference) + "\n")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, "
          f"{len(reference['cases'])} cases, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
