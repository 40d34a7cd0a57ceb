"""Two independent implementations agree on random inputs: the notebook's loop solutions and the
plain, vectorised references its hidden tests compare students against (notebooks/cnn_layers/grading.py)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coursekit.assignment import Assignment
from tests.conftest import REPO


@pytest.fixture(scope="module")
def both():
    assignment = Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb")
    grading = assignment.reference["grading"]
    plain = {"_conv_reference": grading.conv, "_conv_backward_reference": grading.conv_backward,
             "_pool_reference": grading.pool, "_pool_backward_reference": grading.pool_backward}
    return assignment.reference, plain


geometry = st.fixed_dictionaries({
    "m": st.integers(1, 2), "h": st.integers(1, 7), "w": st.integers(1, 7), "c": st.integers(1, 3),
    "n_c": st.integers(1, 3), "f": st.integers(1, 4), "stride": st.integers(1, 4), "pad": st.integers(0, 3),
    "seed": st.integers(0, 2**31)})


@settings(max_examples=60, deadline=None)
@given(geometry)
def test_conv_forward_and_backward_agree_with_the_plain_reference(both, g):
    ref, plain = both
    assume(g["f"] <= min(g["h"], g["w"]) + 2 * g["pad"])
    rng = np.random.default_rng(g["seed"])
    A = rng.standard_normal((g["m"], g["h"], g["w"], g["c"]))
    W = rng.standard_normal((g["f"], g["f"], g["c"], g["n_c"]))
    b = rng.standard_normal((1, 1, 1, g["n_c"]))
    hp = {"stride": g["stride"], "pad": g["pad"]}
    Z, cache = ref["conv_forward"](A, W, b, hp)
    assert np.allclose(Z, plain["_conv_reference"](A, W, b, g["stride"], g["pad"]))
    dZ = rng.standard_normal(Z.shape)
    for got, want in zip(ref["conv_backward"](dZ, cache),
                         plain["_conv_backward_reference"](dZ, A, W, g["stride"], g["pad"])):
        assert np.allclose(got, want)


@settings(max_examples=60, deadline=None)
@given(geometry, st.sampled_from(["max", "average"]))
def test_pooling_forward_and_backward_agree_with_the_plain_reference(both, g, mode):
    ref, plain = both
    assume(g["f"] <= min(g["h"], g["w"]))
    rng = np.random.default_rng(g["seed"])
    A = rng.standard_normal((g["m"], g["h"], g["w"], g["c"]))       # continuous: no ties
    hp = {"f": g["f"], "stride": g["stride"]}
    out, cache = ref["pool_forward"](A, hp, mode=mode)
    assert np.allclose(out, plain["_pool_reference"](A, g["f"], g["stride"], mode))
    dA = rng.standard_normal(out.shape)
    assert np.allclose(ref["pool_backward"](dA, cache, mode=mode),
                       plain["_pool_backward_reference"](dA, A, g["f"], g["stride"], mode))


@settings(max_examples=30, deadline=None)
@given(geometry)
def test_the_plain_backward_is_the_gradient_of_the_plain_forward(both, g):
    _, plain = both
    assume(g["f"] <= min(g["h"], g["w"]) + 2 * g["pad"])
    rng = np.random.default_rng(g["seed"])
    A = rng.standard_normal((g["m"], g["h"], g["w"], g["c"]))
    W = rng.standard_normal((g["f"], g["f"], g["c"], g["n_c"]))
    b = rng.standard_normal((1, 1, 1, g["n_c"]))
    dZ = rng.standard_normal(plain["_conv_reference"](A, W, b, g["stride"], g["pad"]).shape)
    dA, dW, db = plain["_conv_backward_reference"](dZ, A, W, g["stride"], g["pad"])
    V = rng.standard_normal(A.shape)
    eps = 1e-6
    numeric = (np.sum(plain["_conv_reference"](A + eps * V, W, b, g["stride"], g["pad"]) * dZ)
               - np.sum(plain["_conv_reference"](A - eps * V, W, b, g["stride"], g["pad"]) * dZ)) / (2 * eps)
    assert np.isclose(np.sum(dA * V), numeric, rtol=1e-5, atol=1e-6)
