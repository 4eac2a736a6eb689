"""Optimizers: step-by-step against hand-written references and against torch.optim.

The torch comparison runs on every test run without torch: ``tests/data/torch_reference.json``
holds what ``torch.optim`` did in the scenarios of ``tests/optim_scenarios.py``. After adding or
changing a scenario, regenerate it with ``scripts/make_torch_reference.py`` (its docstring says
how, in a throw-away environment with torch).
"""

from __future__ import annotations

import functools
import json
import math
import pathlib

import numpy as np
import pytest
from optim_scenarios import (
    CASE_IDS,
    CASES,
    CLIP_MAX_NORM,
    CLIP_SCALE,
    N_STEPS,
    SHAPES,
    grad_at,
    initial_values,
)

from dlbasics.optim import (
    OPTIMIZERS,
    SGD,
    Adam,
    Optimizer,
    RMSProp,
    clip_grad_norm,
    get_optimizer,
)
from dlbasics.parameter import Parameter

TORCH_REFERENCE = pathlib.Path(__file__).parent / "data" / "torch_reference.json"
REGENERATE = "regenerate it: python scripts/make_torch_reference.py (see its docstring)"


def make_params(seed: int = 0, dtype=np.float64) -> list[Parameter]:
    return [Parameter(f"p{i}", v) for i, v in enumerate(initial_values(seed, dtype))]


# --- independent references: plain loops written from the formulas, one scalar at a time ---


def ref_sgd(values, steps, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
    values = [v.copy() for v in values]
    bufs = [None] * len(values)
    for t in range(steps):
        grads = grad_at(values, t)
        for i, (p, g) in enumerate(zip(values, grads, strict=True)):
            flat_p, flat_g = p.reshape(-1), g.reshape(-1)
            if bufs[i] is None:
                bufs[i] = [None] * flat_p.size
            for j in range(flat_p.size):
                d = flat_g[j] + weight_decay * flat_p[j]
                if momentum:
                    b = d if bufs[i][j] is None else momentum * bufs[i][j] + d
                    bufs[i][j] = b
                    d = d + momentum * b if nesterov else b
                flat_p[j] = flat_p[j] - lr * d
    return values


def ref_rmsprop(values, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0):
    values = [v.copy() for v in values]
    sq = [np.zeros(v.size) for v in values]
    buf = [np.zeros(v.size) for v in values]
    for t in range(steps):
        grads = grad_at(values, t)
        for i, (p, g) in enumerate(zip(values, grads, strict=True)):
            flat_p, flat_g = p.reshape(-1), g.reshape(-1)
            for j in range(flat_p.size):
                d = flat_g[j] + weight_decay * flat_p[j]
                sq[i][j] = alpha * sq[i][j] + (1 - alpha) * d**2
                step = d / (math.sqrt(sq[i][j]) + eps)
                if momentum:
                    buf[i][j] = momentum * buf[i][j] + step
                    step = buf[i][j]
                flat_p[j] = flat_p[j] - lr * step
    return values


def ref_adam(values, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    values = [v.copy() for v in values]
    b1, b2 = betas
    m = [np.zeros(v.size) for v in values]
    s = [np.zeros(v.size) for v in values]
    for t in range(1, steps + 1):
        grads = grad_at(values, t - 1)
        for i, (p, g) in enumerate(zip(values, grads, strict=True)):
            flat_p, flat_g = p.reshape(-1), g.reshape(-1)
            for j in range(flat_p.size):
                d = flat_g[j] + weight_decay * flat_p[j]
                m[i][j] = b1 * m[i][j] + (1 - b1) * d
                s[i][j] = b2 * s[i][j] + (1 - b2) * d * d
                m_hat = m[i][j] / (1 - b1**t)
                v_hat = s[i][j] / (1 - b2**t)
                flat_p[j] = flat_p[j] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return values


def run_ours(cls, kwargs, steps=N_STEPS, dtype=np.float64):
    params = make_params(dtype=dtype)
    opt = cls(params, **kwargs)
    for t in range(steps):
        for p, g in zip(params, grad_at([p.value for p in params], t), strict=True):
            p.grad[...] = g
        opt.step()
    return params, opt


CLASSES = {"SGD": (SGD, ref_sgd), "RMSProp": (RMSProp, ref_rmsprop), "Adam": (Adam, ref_adam)}
PARAMS = [(*CLASSES[name], kwargs) for name, kwargs in CASES]


@pytest.mark.parametrize(("cls", "ref", "kwargs"), PARAMS, ids=CASE_IDS)
def test_matches_hand_written_reference(cls, ref, kwargs):
    params, _ = run_ours(cls, kwargs)
    expected = ref([p.value for p in make_params()], N_STEPS, **kwargs)
    for p, e in zip(params, expected, strict=True):
        np.testing.assert_allclose(p.value, e, rtol=1e-12, atol=1e-14, err_msg=p.name)


# --- torch.optim, through the recorded reference ------------------------------------------------
# Tolerance: both sides are float64 and apply the same formulas, so they differ only by the order
# of the floating-point operations (torch fuses some of them): measured at most a few units of
# 1e-16 relative (1e-13 on the few entries near zero, covered by atol). rtol = 1e-12 leaves room
# for that rounding, while any real difference in a rule (eps inside or outside the square root,
# a missing bias correction, dampening) changes values by 1e-8 relative or more.
RTOL, ATOL = 1e-12, 1e-14


@functools.cache
def torch_reference() -> dict:
    assert TORCH_REFERENCE.is_file(), f"{TORCH_REFERENCE} is missing; {REGENERATE}"
    return json.loads(TORCH_REFERENCE.read_text())


def reference_case(case_id: str) -> dict:
    cases = torch_reference()["cases"]
    if case_id not in cases:
        pytest.fail(f"no torch reference for optimizer case {case_id!r} in "
                    f"{TORCH_REFERENCE.name}; {REGENERATE}", pytrace=False)
    return cases[case_id]


def test_torch_reference_covers_exactly_the_cases():
    """A case added or changed without regenerating the reference file fails here by name."""
    recorded = torch_reference()["cases"]
    missing = [c for c in CASE_IDS if c not in recorded]
    stale = [c for c in recorded if c not in CASE_IDS]
    assert not missing, f"cases without a torch reference: {missing}; {REGENERATE}"
    assert not stale, f"reference entries for cases no longer tested: {stale}; {REGENERATE}"


def test_torch_reference_starts_where_the_tests_start():
    ref = torch_reference()
    assert ref["dtype"] == "float64"
    assert (ref["n_steps"], [tuple(s) for s in ref["shapes"]]) == (N_STEPS, SHAPES), (
        f"the scenarios changed since the reference was recorded; {REGENERATE}"
    )
    for mine, recorded in zip(initial_values(), ref["initial_values"], strict=True):
        np.testing.assert_array_equal(
            mine, recorded, err_msg=f"the starting values differ from the reference; {REGENERATE}"
        )


@pytest.mark.parametrize(
    ("case_id", "name", "kwargs"),
    [(cid, name, kwargs) for cid, (name, kwargs) in zip(CASE_IDS, CASES, strict=True)],
    ids=CASE_IDS,
)
def test_matches_torch_optim(case_id, name, kwargs):
    case = reference_case(case_id)
    assert (case["optimizer"], case["kwargs"]) == (name, json.loads(json.dumps(kwargs)))
    cls = CLASSES[name][0]
    params = make_params()
    opt = cls(params, **kwargs)
    for t, expected in enumerate(case["values_after_each_step"]):
        for p, g in zip(params, grad_at([p.value for p in params], t), strict=True):
            p.grad[...] = g
        opt.step()
        for p, e in zip(params, expected, strict=True):
            np.testing.assert_allclose(p.value, e, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{p.name} after step {t + 1}")


def test_clip_grad_norm_matches_torch():
    ref = torch_reference()["clip_grad_norm"]
    assert (ref["scale"], ref["max_norm"]) == (CLIP_SCALE, CLIP_MAX_NORM), REGENERATE
    params = make_params()
    for p in params:
        p.grad[...] = CLIP_SCALE * p.value
    assert clip_grad_norm(params, CLIP_MAX_NORM) == pytest.approx(ref["total_norm"], rel=RTOL)
    for p, expected in zip(params, ref["grads"], strict=True):
        np.testing.assert_allclose(p.grad, expected, rtol=RTOL, atol=ATOL, err_msg=p.name)


def test_plain_gradient_descent_by_hand():
    w = Parameter("w", np.array([1, 2]))  # integers become float64
    w.grad[...] = [0.5, -1.0]
    SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.value, [0.95, 2.1])


def test_momentum_buffer_is_explicit_state():
    w = Parameter("w", np.array([0.0, 0.0]))
    opt = SGD([w], lr=1.0, momentum=0.5)
    for _ in range(3):
        w.grad[...] = [1.0, 2.0]
        opt.step()
    # b = 1, 1.5, 1.75 times the gradient; w = -(1 + 1.5 + 1.75) g
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [1.75, 3.5])
    np.testing.assert_allclose(w.value, [-4.25, -8.5])


def test_adam_first_step_has_size_lr_whatever_the_gradient_scale():
    # bias correction: m̂ = g and v̂ = g² at t = 1, so the first step is lr·sign(g)
    w = Parameter("w", np.array([0.0, 0.0, 0.0]))
    w.grad[...] = [1e-3, -5.0, 1e3]
    opt = Adam([w], lr=0.1)
    opt.step()
    np.testing.assert_allclose(w.value, [-0.1, 0.1, -0.1], rtol=1e-4)
    assert opt.state[w]["step"] == 1
    assert set(opt.state[w]) == {"step", "m", "v"}


def rosenbrock_grad(w: np.ndarray) -> np.ndarray:
    x, y = w
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def rosenbrock(w: np.ndarray) -> float:
    x, y = w
    return float((1 - x) ** 2 + 100 * (y - x**2) ** 2)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [("sgd", {"lr": 2e-3}), ("momentum", {"lr": 3e-4}), ("nesterov", {"lr": 3e-4}),
     ("rmsprop", {"lr": 1e-2}), ("adam", {"lr": 0.1})],
)
def test_descends_a_2d_landscape(name, kwargs):
    w = Parameter("w", np.array([-1.5, 2.0]))
    opt = get_optimizer(name, [w], **kwargs)
    start = rosenbrock(w.value)
    for _ in range(500):
        w.grad[...] = rosenbrock_grad(w.value)
        opt.step()
    assert np.all(np.isfinite(w.value))
    assert rosenbrock(w.value) < 0.1 * start


def test_single_parameter_accepted_and_step_leaves_grad_alone():
    w = Parameter("w", np.array([1.0, -1.0]))
    w.grad[...] = [2.0, 3.0]
    for opt in (SGD(w, lr=0.1, momentum=0.9, weight_decay=0.1), RMSProp(w), Adam(w)):
        opt.step()
        np.testing.assert_array_equal(w.grad, [2.0, 3.0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_float32_stays_float32(name):
    params = make_params(dtype=np.float32)
    for p in params:
        p.grad[...] = 1.0
    get_optimizer(name, params, lr=0.01, weight_decay=0.1).step()
    assert all(p.value.dtype == np.float32 for p in params)


def test_registry_settings_and_zero_grad():
    params = make_params()
    assert isinstance(get_optimizer("sgd", params, lr=0.1), SGD)
    mom = get_optimizer("momentum", params, lr=0.1)
    assert (mom.momentum, mom.nesterov) == (0.9, False)
    nes = get_optimizer("nesterov", params, lr=0.1, momentum=0.5)
    assert (nes.momentum, nes.nesterov) == (0.5, True)
    assert isinstance(get_optimizer("rmsprop", params), RMSProp)
    adam = get_optimizer("adam", params)
    assert isinstance(adam, Optimizer) and adam.lr == 0.001 and adam.betas == (0.9, 0.999)
    for p in params:
        p.grad[...] = 1.0
    adam.zero_grad()
    assert all(not p.grad.any() for p in params)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan")])
@pytest.mark.parametrize("cls", [SGD, RMSProp, Adam])
def test_refuses_non_positive_learning_rate(cls, lr):
    with pytest.raises(ValueError, match=rf"{cls.__name__} learning rate lr must be positive"):
        cls(make_params(), lr=lr)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf")])
@pytest.mark.parametrize("cls", [SGD, RMSProp, Adam])
def test_learning_rate_set_after_construction_is_checked_too(cls, lr):
    # a negative lr set between steps would make the optimizer climb the cost
    opt = cls(make_params(), lr=0.01)
    with pytest.raises(ValueError, match=rf"^{cls.__name__} learning rate lr must be positive"):
        opt.lr = lr
    with pytest.raises(TypeError, match=r"learning rate lr must be a positive number"):
        opt.lr = "0.1"
    assert opt.lr == 0.01  # a refused value leaves the old one in place
    opt.lr = 0.5  # a schedule may change it between steps
    assert opt.lr == 0.5 and isinstance(opt.lr, float)


def test_a_learning_rate_changed_between_steps_is_used():
    w = Parameter("w", np.array([1.0]))
    opt = SGD([w], lr=0.1)
    w.grad[...] = 1.0
    opt.step()
    opt.lr = 0.01
    opt.step()
    np.testing.assert_allclose(w.value, [1.0 - 0.1 - 0.01])


@pytest.mark.parametrize(
    ("cls", "setting", "value", "match"),
    [
        (SGD, "momentum", 1.0, r"SGD momentum must be in \[0.0, 1.0\), got 1.0"),
        (SGD, "momentum", float("nan"), r"SGD momentum must be in \[0.0, 1.0\)"),
        (SGD, "weight_decay", -0.1, r"SGD weight_decay must be in \[0.0, inf\)"),
        (SGD, "nesterov", True, r"SGD: nesterov=True needs a momentum > 0"),
        (RMSProp, "alpha", 1.5, r"RMSProp alpha must be in \[0.0, 1.0\)"),
        (RMSProp, "eps", -1e-8, r"RMSProp eps must be in \[0.0, inf\)"),
        (RMSProp, "momentum", -0.5, r"RMSProp momentum must be in"),
        (RMSProp, "weight_decay", float("inf"), r"RMSProp weight_decay must be in"),
        (Adam, "betas", (1.0, 0.999), r"Adam beta1 \(betas\[0\]\) must be in \[0.0, 1.0\)"),
        (Adam, "betas", (0.9, float("nan")), r"Adam beta2 \(betas\[1\]\) must be in"),
        (Adam, "betas", 0.9, r"Adam betas must be a pair \(beta1, beta2\), got 0.9"),
        (Adam, "eps", float("nan"), r"Adam eps must be in \[0.0, inf\)"),
        (Adam, "weight_decay", -1, r"Adam weight_decay must be in"),
    ],
)
def test_other_settings_set_after_construction_are_checked_too(cls, setting, value, match):
    opt = cls(make_params(), lr=0.01)
    before = getattr(opt, setting)
    with pytest.raises(ValueError, match=match):
        setattr(opt, setting, value)
    assert getattr(opt, setting) == before


def test_momentum_switched_on_later_starts_from_an_empty_buffer():
    late, early = make_params(), make_params()
    opt_late, opt_early = SGD(late, lr=0.05), SGD(early, lr=0.05, momentum=0.9, nesterov=True)
    opt_late.momentum = 0.9
    opt_late.nesterov = True
    for opt, params in ((opt_late, late), (opt_early, early)):
        for t in range(3):
            for p, g in zip(params, grad_at([p.value for p in params], t), strict=True):
                p.grad[...] = g
            opt.step()
    for a, b in zip(late, early, strict=True):
        np.testing.assert_array_equal(a.value, b.value)
    with pytest.raises(ValueError, match=r"nesterov=True needs a momentum > 0.*nesterov=False"):
        opt_late.momentum = 0.0
    rms = RMSProp(make_params())
    rms.momentum = 0.5
    assert all("momentum_buffer" in rms.state[p] for p in rms.params)
    rms.step()


@pytest.mark.parametrize(
    ("betas", "match"),
    [((1.0, 0.999), r"beta1 \(betas\[0\]\) must be in \[0.0, 1.0\)"),
     ((0.9, 1.5), r"beta2 \(betas\[1\]\) must be in \[0.0, 1.0\)"),
     ((-0.1, 0.9), r"beta1"),
     ((0.9,), r"betas must be a pair")],
)
def test_adam_refuses_betas_out_of_range(betas, match):
    with pytest.raises(ValueError, match=match):
        Adam(make_params(), betas=betas)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda p: SGD(p, lr=0.1, momentum=1.0), ValueError, r"SGD momentum must be in \[0.0, 1"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, r"momentum must be in"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, r"nesterov=True needs a momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), ValueError, r"weight_decay must be in"),
        (lambda p: RMSProp(p, alpha=1.0), ValueError, r"RMSProp alpha must be in"),
        (lambda p: RMSProp(p, momentum=1.2), ValueError, r"RMSProp momentum must be in"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, r"Adam eps must be in"),
        (lambda p: SGD([], lr=0.1), ValueError, r"empty list of parameters"),
        (lambda p: SGD([p[0].value], lr=0.1), TypeError, r"expected Parameter objects"),
        (lambda p: get_optimizer("adamw", p), ValueError,
         r"unknown optimizer 'adamw'; choose one of: 'adam', 'momentum', 'nesterov'"),
        (lambda p: get_optimizer("sgd", p), TypeError, r"needs a learning rate"),
        (lambda p: SGD(p, lr="0.1"), TypeError, r"must be a positive number"),
    ],
)
def test_refusals(build, error, match):
    with pytest.raises(error, match=match):
        build(make_params())


def test_refuses_a_network_instead_of_its_parameters():
    class FakeNetwork:
        def parameters(self):
            return make_params()

    with pytest.raises(TypeError, match=r"network.parameters\(\)"):
        Adam(FakeNetwork())


def test_clip_grad_norm_by_hand():
    a = Parameter("a", np.zeros(2))
    b = Parameter("b", np.zeros((1, 1)))
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = 4.0  # total norm 5
    assert clip_grad_norm([a, b], 10.0) == pytest.approx(5.0)
    np.testing.assert_array_equal(a.grad, [3.0, 0.0])  # below the cap: untouched
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(5.0)
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3.0 * coef, 0.0])
    np.testing.assert_allclose(b.grad, [[4.0 * coef]])
    assert clip_grad_norm([a, b], 1.0) == pytest.approx(1.0, abs=1e-6)


def test_clip_grad_norm_non_finite_and_refusals():
    a = Parameter("a", np.zeros(2))
    a.grad[...] = [np.inf, 1.0]
    assert clip_grad_norm(a, 1.0) == np.inf
    np.testing.assert_array_equal(a.grad, [np.inf, 1.0])
    a.grad[...] = [1e300, 1e300]  # the sum of squares overflows without a warning
    assert clip_grad_norm(a, 1.0) == np.inf
    with pytest.raises(ValueError, match=r"max_norm must be positive"):
        clip_grad_norm(a, 0.0)
