"""The vectorised layers of cnn_application agree with the loop layers of cnn_layers.

The loop layers are the worked solutions of the first assignment, read from its source notebook:
an implementation written independently, window by window. Hypothesis draws the shapes, filter
sizes, strides and paddings (float64, so the two must agree to rounding); softmax cross-entropy,
dense layers and Adam are checked against their formulas and numerical gradients.
"""
from __future__ import annotations

import contextlib
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coursekit.assignment import Assignment
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "notebooks" / "cnn_application"))
import fast_layers as fl  # noqa: E402


@pytest.fixture(scope="module")
def loops():
    """conv_forward, conv_backward, pool_forward, pool_backward... of the first assignment."""
    return Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb").reference


@contextlib.contextmanager
def chunk_size(floats):
    """Make conv_forward/conv_backward cut even tiny batches into several chunks."""
    before = fl._CHUNK_FLOATS
    fl._CHUNK_FLOATS = floats
    try:
        yield
    finally:
        fl._CHUNK_FLOATS = before


conv_geometry = st.fixed_dictionaries({
    "m": st.integers(1, 3), "h": st.integers(1, 7), "w": st.integers(1, 7), "c": st.integers(1, 3),
    "n_c": st.integers(1, 4), "f": st.integers(1, 4), "stride": st.integers(1, 3), "pad": st.integers(0, 3),
    "chunk": st.sampled_from([1, 40, 2 ** 18]), "seed": st.integers(0, 2 ** 31)})


@settings(max_examples=60, deadline=None)
@given(conv_geometry)
def test_conv_forward_and_backward_match_the_loop_layers(loops, g):
    assume(g["f"] <= min(g["h"], g["w"]) + 2 * g["pad"])
    rng = np.random.default_rng(g["seed"])
    A = rng.standard_normal((g["m"], g["h"], g["w"], g["c"]))
    W = rng.standard_normal((g["f"], g["f"], g["c"], g["n_c"]))
    b = rng.standard_normal((1, 1, 1, g["n_c"]))
    hp = {"stride": g["stride"], "pad": g["pad"]}
    with chunk_size(g["chunk"]):
        Z, cache = fl.conv_forward(A, W, b, dict(hp))
        Z_loop, cache_loop = loops["conv_forward"](A, W, b, dict(hp))
        assert Z.shape == Z_loop.shape and Z.dtype == np.float64
        assert np.allclose(Z, Z_loop, rtol=1e-10, atol=1e-10)
        dZ = rng.standard_normal(Z.shape)
        for got, want in zip(fl.conv_backward(dZ, cache), loops["conv_backward"](dZ, cache_loop)):
            assert got.shape == want.shape
            assert np.allclose(got, want, rtol=1e-10, atol=1e-10)
        none, dW, db = fl.conv_backward(dZ, cache, input_gradient=False)
        assert none is None
        assert np.allclose(dW, loops["conv_backward"](dZ, cache_loop)[1], rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2 ** 31))
def test_same_padding_keeps_the_size_and_pads_more_at_the_bottom_right(loops, h, w, f, seed):
    """'same' = the loop convolution (pad 0) of the input padded (f-1)//2 before and f//2 after."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((2, h, w, 2))
    W = rng.standard_normal((f, f, 2, 3))
    b = rng.standard_normal((1, 1, 1, 3))
    before, after = fl.same_padding(f)
    assert (before, after) == ((f - 1) // 2, f // 2) and before + after == f - 1
    A_pad = np.pad(A, ((0, 0), (before, after), (before, after), (0, 0)))
    Z_loop, cache_loop = loops["conv_forward"](A_pad, W, b, {"stride": 1, "pad": 0})
    for pad in ("same", (before, after)):
        Z, cache = fl.conv_forward(A, W, b, {"stride": 1, "pad": pad})
        assert Z.shape == (2, h, w, 3)
        assert np.allclose(Z, Z_loop, rtol=1e-10, atol=1e-10)
        dZ = rng.standard_normal(Z.shape)
        dA, dW, db = fl.conv_backward(dZ, cache)
        dA_pad, dW_loop, db_loop = loops["conv_backward"](dZ, cache_loop)
        assert np.allclose(dA, dA_pad[:, before:before + h, before:before + w, :], rtol=1e-10, atol=1e-10)
        assert np.allclose(dW, dW_loop) and np.allclose(db, db_loop)


def test_same_padding_of_the_course_filters():
    assert fl.same_padding(4) == (1, 2)      # TensorFlow's 'SAME': the extra row at the bottom
    assert fl.same_padding(2) == (0, 1)
    assert fl.same_padding(3) == (1, 1)
    with pytest.raises(ValueError):
        fl.conv_forward(np.zeros((1, 3, 3, 1)), np.zeros((2, 2, 1, 1)), np.zeros((1, 1, 1, 1)),
                        {"stride": 1, "pad": "valid"})


pool_geometry = st.fixed_dictionaries({
    "m": st.integers(1, 3), "h": st.integers(1, 9), "w": st.integers(1, 9), "c": st.integers(1, 3),
    "f": st.integers(1, 4), "stride": st.integers(1, 4), "seed": st.integers(0, 2 ** 31)})


def first_max_backward(dA, A_prev, f, stride):
    """Max-pool backward window by window, each gradient to the first maximum in reading order."""
    dA_prev = np.zeros(A_prev.shape)
    for i, h, w, c in np.ndindex(*dA.shape):
        window = A_prev[i, h * stride:h * stride + f, w * stride:w * stride + f, c]
        di, dj = np.unravel_index(np.argmax(window), window.shape)     # argmax: the first maximum
        dA_prev[i, h * stride + di, w * stride + dj, c] += dA[i, h, w, c]
    return dA_prev


@settings(max_examples=80, deadline=None)
@given(pool_geometry, st.sampled_from(["max", "average"]))
def test_pooling_forward_and_backward_match_the_loop_layers(loops, g, mode):
    """Windows that tile the input, overlap or leave gaps: on untied inputs the loop layers of the
    first assignment and the fast ones agree, forward and backward."""
    assume(g["f"] <= min(g["h"], g["w"]))
    rng = np.random.default_rng(g["seed"])
    A = rng.standard_normal((g["m"], g["h"], g["w"], g["c"]))
    hp = {"f": g["f"], "stride": g["stride"]}
    out, cache = fl.pool_forward(A, dict(hp), mode=mode)
    out_loop, cache_loop = loops["pool_forward"](A, dict(hp), mode=mode)
    assert out.shape == out_loop.shape
    assert np.allclose(out, out_loop, rtol=1e-12, atol=1e-12)
    dA = rng.standard_normal(out.shape)
    got = fl.pool_backward(dA, cache, mode=mode)
    assert got.shape == A.shape
    assert np.allclose(got, loops["pool_backward"](dA, cache_loop, mode=mode), rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(pool_geometry)
def test_max_pooling_sends_a_tied_windows_gradient_to_its_first_maximum_only(g):
    """Photos have plain backgrounds, so windows often hold several equal maxima. Sending the
    gradient to all of them would count it once per tie (the cause of a network that trained to
    0.62 instead of 0.78); like the frameworks, the fast layer sends it to the first one."""
    assume(g["f"] <= min(g["h"], g["w"]))
    rng = np.random.default_rng(g["seed"])
    A = rng.integers(-1, 2, (g["m"], g["h"], g["w"], g["c"])).astype(float)    # many ties
    hp = {"f": g["f"], "stride": g["stride"]}
    out, cache = fl.pool_forward(A, dict(hp))
    dA = rng.standard_normal(out.shape)
    got = fl.pool_backward(dA, cache)
    assert np.allclose(got, first_max_backward(dA, A, g["f"], g["stride"]), rtol=1e-12, atol=1e-12)
    assert np.isclose(got.sum(), dA.sum())           # every output's gradient arrives exactly once


def test_the_course_pooling_tiles_match_the_loop_layers(loops):
    """The course's network pools 64 x 64 x 8 maps with 8 x 8 tiles, after a ReLU: a tile of zeros
    sends its gradient to one zero, which the ReLU's backward pass then stops."""
    rng = np.random.default_rng(7)
    A = np.maximum(rng.standard_normal((2, 16, 16, 3)), 0)
    A[0, :8, :8, 0] = 0.0                                      # a whole tile of zeros
    for f in (8, 4):
        out, cache = fl.pool_forward(A, {"f": f, "stride": f})
        out_loop, cache_loop = loops["pool_forward"](A, {"f": f, "stride": f})
        assert np.array_equal(out, out_loop)
        dA = rng.standard_normal(out.shape)
        alive = A > 0
        assert np.allclose(fl.pool_backward(dA, cache) * alive, loops["pool_backward"](dA, cache_loop) * alive)
        assert np.allclose(fl.pool_backward(dA, cache), first_max_backward(dA, A, f, f))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_layers_keep_the_dtype_they_are_given(dtype):
    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 8, 8, 3)).astype(dtype)
    W = rng.standard_normal((4, 4, 3, 5)).astype(dtype)
    b = rng.standard_normal((1, 1, 1, 5)).astype(dtype)
    Z, conv_cache = fl.conv_forward(A, W, b, {"stride": 1, "pad": "same"})
    R, relu_cache = fl.relu_forward(Z)
    P, pool_cache = fl.pool_forward(R, {"f": 2, "stride": 2})
    D, dense_cache = fl.dense_forward(P.reshape(2, -1), rng.standard_normal((80, 4)).astype(dtype),
                                      np.zeros((1, 4), dtype))
    assert {x.dtype for x in (Z, R, P, D)} == {np.dtype(dtype)}
    dP = fl.dense_backward(np.ones_like(D), dense_cache)[0].reshape(P.shape)
    dR = fl.pool_backward(dP, pool_cache)
    dZ = fl.relu_backward(dR, relu_cache)
    dA, dW, db = fl.conv_backward(dZ, conv_cache)
    assert {x.dtype for x in (dP, dR, dZ, dA, dW, db)} == {np.dtype(dtype)}


def test_relu_forward_and_backward():
    Z = np.array([[-2.0, -0.0, 0.0, 1e-9, 3.0]])
    A, cache = fl.relu_forward(Z)
    assert np.array_equal(A, [[0, 0, 0, 1e-9, 3.0]])
    assert np.array_equal(fl.relu_backward(np.full_like(Z, 5.0), cache), [[0, 0, 0, 5.0, 5.0]])
    assert np.array_equal(Z, [[-2.0, -0.0, 0.0, 1e-9, 3.0]])              # the input is left alone


def _directional(loss, x, v, eps=1e-6):
    return (loss(x + eps * v) - loss(x - eps * v)) / (2 * eps)


def test_dense_layer_gradients_match_finite_differences():
    rng = np.random.default_rng(11)
    F, W, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3)), rng.standard_normal((1, 3))
    Z, cache = fl.dense_forward(F, W, b)
    assert np.allclose(Z, F @ W + b)
    G = rng.standard_normal(Z.shape)
    dF, dW, db = fl.dense_backward(G, cache)
    for x, grad, loss in [(F, dF, lambda x: np.sum((x @ W + b) * G)), (W, dW, lambda x: np.sum((F @ x + b) * G)),
                          (b, db, lambda x: np.sum((F @ W + x) * G))]:
        v = rng.standard_normal(x.shape)
        assert np.isclose(np.sum(grad * v), _directional(loss, x, v), rtol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_entries_with_the_mask_the_docstring_promises(dtype):
    A = np.random.default_rng(3).standard_normal((400, 50)).astype(dtype)
    out, cache = fl.dropout_forward(A, 0.8, np.random.default_rng(9))
    mask = np.random.default_rng(9).random(A.shape) < 0.8                  # the documented draw
    assert out.dtype == dtype and np.allclose(out, np.where(mask, A / dtype(0.8), 0))
    assert abs(mask.mean() - 0.8) < 0.01
    G = np.random.default_rng(4).standard_normal(A.shape).astype(dtype)
    dA = fl.dropout_backward(G, cache)
    assert dA.dtype == dtype and np.allclose(dA, np.where(mask, G / dtype(0.8), 0))
    # the gradient is exact: out is linear in A for a fixed mask
    v = np.random.default_rng(6).standard_normal(A.shape)
    assert np.isclose(np.sum(dA * v), np.sum(G * (v * cache[0])), rtol=1e-5)


def test_dropout_with_keep_prob_one_changes_nothing_and_rejects_zero():
    A = np.arange(12.0).reshape(3, 4)
    out, cache = fl.dropout_forward(A, 1.0, np.random.default_rng(0))
    assert np.array_equal(out, A) and np.array_equal(fl.dropout_backward(np.ones_like(A), cache), np.ones_like(A))
    with pytest.raises(ValueError):
        fl.dropout_forward(A, 0.0, np.random.default_rng(0))


def test_softmax_cross_entropy_matches_its_formula_and_its_gradient():
    rng = np.random.default_rng(5)
    Z = rng.standard_normal((6, 4)) * 3
    Y = np.eye(4)[rng.integers(0, 4, 6)]
    losses, dZ = fl.softmax_cross_entropy(Z, Y)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    assert losses.shape == (6,) and np.allclose(losses, -np.log(np.sum(P * Y, axis=1)))
    assert np.allclose(fl.softmax(Z), P) and np.allclose(fl.softmax(Z).sum(axis=1), 1)
    assert np.allclose(dZ, P - Y)                                   # per example: not divided by m
    for i in range(6):                                              # row i is the gradient of losses[i]
        v = rng.standard_normal(Z.shape)
        v[np.arange(6) != i] = 0
        assert np.isclose(np.sum(dZ * v), _directional(lambda z: fl.softmax_cross_entropy(z, Y)[0][i], Z, v),
                          rtol=1e-6, atol=1e-9)


def test_softmax_cross_entropy_stays_finite_for_huge_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [-800.0, 900.0, 0.0]], dtype=np.float32)
    Y = np.array([[0, 0, 1], [0, 1, 0]], dtype=np.float32)
    losses, dZ = fl.softmax_cross_entropy(Z, Y)
    assert np.all(np.isfinite(losses)) and np.all(np.isfinite(dZ))
    assert np.isclose(losses[0], 2000.0, rtol=1e-6) and np.isclose(losses[1], 0.0, atol=1e-6)
    assert losses.dtype == np.float32 and dZ.dtype == np.float32


def test_adam_follows_its_formulas_step_by_step():
    rng = np.random.default_rng(9)
    parameters = {"W": rng.standard_normal((3, 2)), "b": rng.standard_normal((1, 2))}
    theta = {k: v.copy() for k, v in parameters.items()}
    state = fl.adam_init(parameters)
    assert state["t"] == 0 and all(np.all(state[k][n] == 0) for k in ("m", "v") for n in parameters)
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    v = {k: np.zeros_like(x) for k, x in theta.items()}
    lr, beta1, beta2, eps = 0.01, 0.8, 0.95, 1e-7
    for t in range(1, 6):
        grads = {"d" + k: rng.standard_normal(x.shape) for k, x in theta.items()}
        same, state = fl.adam_update(parameters, grads, state, lr, beta1, beta2, eps)
        assert same is parameters and state["t"] == t
        for k in theta:
            g = grads["d" + k]
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g ** 2
            theta[k] = theta[k] - lr * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
            assert np.allclose(parameters[k], theta[k], rtol=1e-12, atol=1e-14)
            assert np.allclose(state["m"][k], m[k]) and np.allclose(state["v"][k], v[k])


def test_adams_first_step_moves_every_parameter_by_the_learning_rate():
    """Bias correction: at t = 1, m_hat = g and v_hat = g**2, so each step is lr * sign(g)."""
    g = np.array([[1e-4, -3.0], [250.0, -0.02]], dtype=np.float32)
    parameters = {"W": np.zeros((2, 2), dtype=np.float32)}
    state = fl.adam_init(parameters)
    fl.adam_update(parameters, {"dW": g}, state, learning_rate=0.009)
    assert parameters["W"].dtype == np.float32
    assert np.allclose(parameters["W"], -0.009 * np.sign(g), rtol=1e-3)
