# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Convolutional Neural Networks: the layers in NumPy
#
# Deep-learning frameworks give you a convolution in one line. In this assignment you write
# that line yourself: the forward and backward passes of a convolutional layer and of a
# pooling layer, with nothing but NumPy. Once you have built them, the shapes, the strides
# and the caches that frameworks hide will hold no mystery.
#
# **Notation** (as in the lectures)
# - A superscript $[l]$ names a layer: $a^{[4]}$ is the activation of layer 4, $W^{[5]}$ and
#   $b^{[5]}$ are the parameters of layer 5.
# - A superscript $(i)$ names a training example: $x^{(i)}$ is the $i$-th input.
# - A subscript $i$ is the $i$-th entry of a vector: $a^{[l]}_i$.
# - $n_H$, $n_W$ and $n_C$ are the height, width and number of channels of a layer's output;
#   $n_{H_{prev}}$, $n_{W_{prev}}$ and $n_{C_{prev}}$ are those of the layer before.
#
# Arrays follow the **NHWC** layout: a batch of activations has shape
# `(m, n_H, n_W, n_C)`, examples first and channels last.

# %% [markdown]
# ## How this notebook is graded
#
# You write eight functions. Each one lives in a single answer cell; write your code between
# the `### START CODE HERE ###` and `### END CODE HERE ###` lines and replace the
# `raise NotImplementedError(...)` line that holds the place. Keep the function names, the
# arguments and the `return` lines as they are.
#
# Under every function a **public test** checks it on the numbers published with the
# assignment. When something is off it tells you what it expected, what your code gave and
# where to look; when your code raises an error it says which line of your code raised it;
# and when the culprit is probably another of your functions (a helper your function calls,
# or one the test uses to build its inputs) it names that function. A function that returns
# several things (an output and a cache, or three gradients) has one public test per thing,
# each with its own points. When you submit, **hidden tests** run as well: they use inputs you
# have not seen (other shapes, strides, paddings and data types), so code that only fits the
# public numbers will not get their points.
#
# Each function is graded on its own, and so is each thing it returns: a mistake in
# `zero_pad` costs points in `zero_pad` only, because the grader checks `conv_forward` with a
# correct `zero_pad` in its place, and a wrong `db` costs the points of `db`, not those of
# `dA_prev` and `dW`. The points follow the time each part takes (about five minutes a point):
#
# | part | function | points | about |
# |---|---|---|---|
# | forward | `zero_pad` | 2 | 5 min |
# | forward | `conv_single_step` | 3 | 10 min |
# | forward | `conv_forward` | 8 | 45 min |
# | forward | `pool_forward` | 5 | 20 min |
# | backward | `conv_backward` | 12 | 60 min |
# | backward | `create_mask_from_window` | 2 | 5 min |
# | backward | `distribute_value` | 2 | 5 min |
# | backward | `pool_backward` | 8 | 40 min |
#
# The backward part (section 5) is graded as a section of its own: 24 of the 42 points.
# Do not delete or edit the test cells; if one is missing, the grader puts it back.

# %% [markdown]
# ## 1 - Packages
#
# [NumPy](https://numpy.org) does the arithmetic, [matplotlib](https://matplotlib.org) draws
# the figures and [h5py](https://www.h5py.org) reads the HDF5 data sets used later in the
# course. `cnn_figures` and `checks`, next to this notebook, hold the code of the figures
# and of the test messages; you may read them, you do not need to change them. The random
# seed is fixed so that your numbers match the published ones.

# %% locked packages
import numpy as np
import h5py
import matplotlib.pyplot as plt

from cnn_figures import (show_zero_padding, show_conv_step, show_window_corners,
                         show_conv_output_sizes, show_pooling)
from checks import (public_test, expect_type, expect_shape, expect_close, expect_equal, expect_scalar,
                    all_public_tests_passed, check, check_close_quietly, directional_derivative)

plt.rcParams["figure.figsize"] = (5.0, 4.0)   # default size of plots
plt.rcParams["image.interpolation"] = "nearest"
plt.rcParams["image.cmap"] = "gray"

np.random.seed(1)

# %% [markdown]
# ## 2 - What you will build
#
# A convolutional network is a stack of a few kinds of layers. You build the two that make
# it convolutional, one helper at a time:
#
# - **Convolution**
#   - `zero_pad`: put a border of zeros around every image of a batch
#   - `conv_single_step`: apply one filter to one window of the input
#   - `conv_forward`: slide every filter over every image of the batch
#   - `conv_backward`: the gradients of the layer (section 5)
# - **Pooling**
#   - `pool_forward`: max or average pooling over a batch
#   - `create_mask_from_window`, `distribute_value`, `pool_backward`: its gradients (section 5)
#
# Every forward function returns its output **and a cache**: the values it was called with.
# The backward function of the same layer receives that cache, because the gradient of a layer
# depends on the input it saw. Storing the cache costs memory; recomputing it would cost time.

# %% [markdown]
# ## 3 - Convolutional layer
#
# A convolutional layer turns an input volume of shape `(n_H_prev, n_W_prev, n_C_prev)` into an
# output volume of shape `(n_H, n_W, n_C)`: each of its `n_C` filters slides over the input and
# produces one channel of the output. We build it in three steps: padding, one step of
# convolution, then the full pass over a batch.
#
# ### 3.1 - Zero padding
#
# Zero padding adds `pad` rows of zeros above and below an image, and `pad` columns of zeros
# on its left and right. It serves two purposes:
#
# - **It controls the size of the output.** Without padding, every convolution shrinks the
#   height and the width, and a deep network would run out of pixels after a few layers. With
#   the right padding the output keeps the size of the input; such a convolution is called a
#   *"same"* convolution. With stride 1 and an odd filter size `f`, that padding is
#   `pad = (f - 1) // 2` on every side: 1 for a 3 x 3 filter, 2 for a 5 x 5 one.
# - **It keeps the border in the picture.** Without padding, a pixel in a corner belongs to
#   one window only, while a pixel in the middle belongs to many (nine, for a 3 x 3 filter
#   with stride 1). With "same" padding every pixel is the centre of a window, so the output
#   keeps one entry per border pixel too, and the corner pixel is seen by four windows instead
#   of one. Padding does not make the edges count as often as the centre (a corner still
#   belongs to fewer windows than a centre pixel), but it stops the border from being lost.
#
# Only the height and the width get padded: padding the batch axis would invent new examples,
# and padding the channel axis would invent new colour planes. NumPy's `np.pad` takes one
# `(before, after)` pair per axis, so for a batch `X` of shape `(m, n_H, n_W, n_C)`:
#
# ```python
# np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
# ```
#
# **Exercise 1 - `zero_pad`** (2 points). Pad every image of the batch `X` with `pad` zeros on
# the height and width axes.

# %% answer zero_pad
def zero_pad(X, pad):
    """
    Pad every image of a batch with zeros on its height and width.

    Arguments:
    X -- batch of images, numpy array of shape (m, n_H, n_W, n_C)
    pad -- integer, number of zeros added on each side of the height and of the width

    Returns:
    X_pad -- padded batch, numpy array of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C)
    """
    # Pad axes 1 and 2 only (≈ 1 line)
    ### BEGIN SOLUTION
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    ### END SOLUTION

    return X_pad


# %% test zero_pad published points=1
# Public test of zero_pad with the published numbers (1 point)
@public_test("zero_pad")
def _():
    np.random.seed(1)
    x = np.random.randn(4, 3, 3, 2)
    x_pad = zero_pad(x, 2)
    print("x.shape =", x.shape)
    print("x_pad.shape =", getattr(x_pad, "shape", None))
    print("x[1, 1] =\n", x[1, 1])

    expect_shape("zero_pad", "x_pad", x_pad, (4, 7, 7, 2),
                 hint="a pad of 2 adds 2 rows above, 2 below, 2 columns left and 2 right; "
                      "the batch and channel axes keep their size")
    expect_close("zero_pad", "x[1, 1] (your function must not change its input)", x[1, 1],
                 [[0.90085595, -0.68372786], [-0.12289023, -0.93576943], [-0.26788808, 0.53035547]])
    expect_close("zero_pad", "x_pad[1, 1], a row inside the top padding", x_pad[1, 1], np.zeros((7, 2)),
                 hint="the padding must be zeros, on the height and width axes only")
    expect_close("zero_pad", "the centre of x_pad", x_pad[:, 2:5, 2:5, :], x,
                 hint="the original image sits in the middle, pad rows from the top and pad columns from the left")

# %% locked figure_zero_padding skip-at-grading raises-exception
# Your padding, drawn: channel 0 of example 1 before and after.
np.random.seed(1)
x = np.random.randn(4, 3, 3, 2)
show_zero_padding(x[1, :, :, 0], zero_pad(x, 2)[1, :, :, 0], pad=2)
plt.show()

# %% test zero_pad fresh_inputs points=1 hidden
# Hidden tests of zero_pad (1 point): other shapes, paddings and data types.
_rng = np.random.default_rng(70521)
for _shape, _pad, _dtype, _case in [
        ((2, 3, 5, 1), 1, np.float64, "non-square input with one channel, pad = 1"),
        ((1, 4, 2, 3), 0, np.float64, "pad = 0"),
        ((3, 2, 2, 2), 3, np.float64, "padding wider than the image, pad = 3"),
        ((2, 5, 3, 4), 2, np.float32, "float32 input, pad = 2")]:
    _X = _rng.standard_normal(_shape).astype(_dtype)
    _expected = np.pad(_X, ((0, 0), (_pad, _pad), (_pad, _pad), (0, 0)))
    _out = zero_pad(_X.copy(), _pad)
    check(isinstance(_out, np.ndarray), f"zero_pad, {_case}: the result is not a NumPy array")
    check_close_quietly(_out, _expected, f"zero_pad, {_case}")

# %% [markdown]
# ### 3.2 - A single step of convolution
#
# One step of convolution takes a window of the input, as deep as the input
# (`(f, f, n_C_prev)`), and a filter of the same shape. It multiplies them entry by entry, adds
# up all the products, and adds the filter's bias. The result is **one number**: one entry of
# one channel of the output.
#
# $$ Z = \sum_{i, j, k} a_{slice}[i, j, k] \cdot W[i, j, k] \; + \; b $$
#
# The figure shows the step on a single channel.

# %% locked figure_conv_step skip-at-grading
_demo = np.random.default_rng(3)
show_conv_step(np.round(_demo.standard_normal((3, 3)), 1), np.round(_demo.standard_normal((3, 3)), 1), b=0.5)
plt.show()

# %% [markdown]
# **Exercise 2 - `conv_single_step`** (3 points). Apply the filter `W` with bias `b` to one
# window `a_slice_prev`, and return the result as a plain number.
#
# The bias `b` arrives as an array of shape `(1, 1, 1)`. Adding it directly would turn your
# number into a `(1, 1, 1)` array. Nor should you write `float(b)`: on an array with more
# than zero dimensions it is deprecated since NumPy 1.25 (NumPy 2.0 to 2.3 warn with a
# `DeprecationWarning`) and NumPy 2.4 refuses it (`TypeError: only 0-dimensional arrays can be
# converted to Python scalars`). Use `b.item()` or `float(np.squeeze(b))` to read its value.

# %% answer conv_single_step
def conv_single_step(a_slice_prev, W, b):
    """
    Apply one filter to one window of the previous layer's activations.

    Arguments:
    a_slice_prev -- window of the input, numpy array of shape (f, f, n_C_prev)
    W -- weights of one filter, numpy array of shape (f, f, n_C_prev)
    b -- bias of that filter, numpy array of shape (1, 1, 1)

    Returns:
    Z -- a real number (a Python float or a NumPy scalar, not an array): the sum of the
         element-wise products of a_slice_prev and W, plus b
    """
    # Multiply the window and the filter entry by entry, then add up everything (≈ 2 lines)
    ### BEGIN SOLUTION
    s = np.multiply(a_slice_prev, W)
    Z = np.sum(s)
    ### END SOLUTION

    # Add the bias as a number, e.g. with b.item() (≈ 1 line)
    ### BEGIN SOLUTION
    Z = Z + b.item()
    ### END SOLUTION

    return Z


# %% test conv_single_step published points=1
# Public test of conv_single_step with the published numbers (1 point)
@public_test("conv_single_step")
def _():
    np.random.seed(1)
    a_slice_prev = np.random.randn(4, 4, 3)
    W = np.random.randn(4, 4, 3)
    b = np.random.randn(1, 1, 1)
    Z = conv_single_step(a_slice_prev, W, b)
    print("Z =", Z)

    expect_scalar("conv_single_step", "Z", Z,
                  hint="add the bias as a number (b.item()), not as a (1, 1, 1) array")
    expect_close("conv_single_step", "Z", Z, -6.999089450680221,
                 hint="multiply entry by entry, sum over all three axes, then add the bias once")

# %% test conv_single_step returns_scalar points=1 hidden
# Hidden test of conv_single_step (1 point): the result is one real number, whatever the shapes.
_rng = np.random.default_rng(81733)
for _f, _c in [(2, 5), (3, 1), (1, 1)]:
    _Z = conv_single_step(_rng.standard_normal((_f, _f, _c)), _rng.standard_normal((_f, _f, _c)),
                          _rng.standard_normal((1, 1, 1)))
    check(not isinstance(_Z, (bool, np.bool_)) and np.ndim(_Z) == 0 and np.isrealobj(_Z),
          f"conv_single_step with a {_f} x {_f} x {_c} window: the result must be a single real "
          "number, not an array (add the bias with b.item())")

# %% test conv_single_step fresh_inputs points=1 hidden
# Hidden tests of conv_single_step (1 point): new windows, filters and biases.
_rng = np.random.default_rng(92117)
for _f, _c, _dtype, _case in [(2, 5, np.float64, "2 x 2 x 5 window"),
                              (3, 1, np.float64, "3 x 3 window with one channel"),
                              (1, 4, np.float64, "1 x 1 x 4 window"),
                              (3, 2, np.float32, "float32 inputs")]:
    _a = _rng.standard_normal((_f, _f, _c)).astype(_dtype)
    _W = _rng.standard_normal((_f, _f, _c)).astype(_dtype)
    _b = (_rng.standard_normal((1, 1, 1)) - 2.0).astype(_dtype)
    _expected = np.sum(_a.astype(np.float64) * _W) + float(_b.reshape(()))
    _tol = grading.tolerance(_dtype)
    _Z = conv_single_step(_a, _W, _b)
    try:
        _value = float(np.reshape(np.asarray(_Z, dtype=float), -1)[0]) if np.size(_Z) == 1 else None
    except (TypeError, ValueError):
        _value = None
    check(_value is not None and np.isclose(_value, _expected, rtol=_tol, atol=_tol),
          f"conv_single_step, {_case}: the value is wrong. Multiply entry by entry, sum over "
          "all three axes, then add the bias once")

# %% [markdown]
# ### 3.3 - The forward pass over a batch
#
# The forward pass applies every filter to every window of every example. For the output
# entry at row `h`, column `w` of example `i` and filter `c`, the window is the block of the
# padded input that starts `stride` pixels further for every step of `h` (and of `w`):
#
# ```python
# vert_start = h * stride
# vert_end = vert_start + f
# horiz_start = w * stride
# horiz_end = horiz_start + f
# a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
# ```
#
# The end index is excluded, as always in Python, so the window holds exactly `f` rows and `f`
# columns, and it keeps all `n_C_prev` channels of the input. The figure shows an input of
# 5 x 5 padded by 1 (so 7 x 7), a 3 x 3 filter and stride 2: the window of output row 1,
# column 2.

# %% locked figure_window_corners skip-at-grading
show_window_corners(n_H_prev=5, n_W_prev=5, f=3, stride=2, h=1, w=2, pad=1)
plt.show()

# %% [markdown]
# **How big is the output?** A window of size `f` fits into `n_H_prev + 2 * pad` rows at
# positions `0, stride, 2 * stride, ...` as long as it does not stick out at the bottom.
# Counting those positions gives
#
# $$ n_H = \Big\lfloor \frac{n_{H_{prev}} - f + 2 \times pad}{stride} \Big\rfloor + 1 \qquad
#    n_W = \Big\lfloor \frac{n_{W_{prev}} - f + 2 \times pad}{stride} \Big\rfloor + 1 $$
#
# and `n_C` is the number of filters. The floor matters: when the stride does not divide the
# span evenly, the last rows that cannot hold a whole window are left out. With integers,
# `(n_H_prev - f + 2 * pad) // stride + 1` computes it exactly. Height and width have their
# own formula: inputs are not always square.

# %% locked figure_output_sizes skip-at-grading
show_conv_output_sizes(n_H_prev=6, f=3, pad=1, stride=2)
plt.show()

# %% [markdown]
# **Exercise 3 - `conv_forward`** (8 points). Implement the forward pass over a batch:
# pad the batch once, then for each example, output row, output column and filter, cut out
# the window and apply `conv_single_step` with that filter's weights `W[:, :, :, c]` and bias
# `b[:, :, :, c]`. Each filter gives one 2-D map of shape `(n_H, n_W)`; the `n_C` maps, one
# per filter, stacked along the last axis, make the output volume `Z[i]` of shape
# `(n_H, n_W, n_C)`, which is why the filter loop writes into `Z[i, h, w, c]`. Return the
# output `Z` and the cache `(A_prev, W, b, hparameters)`.
#
# A convolutional layer is normally followed by an activation, $A = g(Z)$ (for example a
# ReLU); here we stop at `Z`.
#
# The loops below follow the lectures. Any correct implementation gets full marks, a
# vectorised one included.
#
# **If you are stuck:**
# - Two names that differ by one letter: `A_prev_pad` is the padded **batch**, of shape
#   `(m, n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev)`; `a_prev_pad = A_prev_pad[i]` is
#   the padded image of example `i`, one axis fewer. Cut the window from `a_prev_pad`.
# - Run the starter code outside the function: in a new cell, set `A_prev`, `W`, `b` and
#   `hparameters` as in the test below, copy the lines of the function one by one and
#   print the shapes (`print(a_slice_prev.shape)`) as you go.
# - Draw a small case on paper, for example an 8 x 8 input, `f = 4` and `stride = 4`: the
#   output is 2 x 2, and the four windows start at rows and columns 0 and 4.

# %% answer conv_forward
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer over a batch.

    Arguments:
    A_prev -- activations of the previous layer, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- filters, numpy array of shape (f, f, n_C_prev, n_C)
    b -- biases, one per filter, numpy array of shape (1, 1, 1, n_C)
    hparameters -- dictionary with the integers "stride" and "pad"

    Returns:
    Z -- output of the convolution, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters), kept for conv_backward
    """
    # Shapes of the input and of the filters (≈ 2 lines)
    ### BEGIN SOLUTION
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    ### END SOLUTION

    # Hyperparameters (≈ 2 lines)
    ### BEGIN SOLUTION
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    ### END SOLUTION

    # Output height and width, with the floor formula (≈ 2 lines)
    ### BEGIN SOLUTION
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    ### END SOLUTION

    # The output, filled with zeros, and the padded batch (≈ 2 lines)
    ### BEGIN SOLUTION
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    ### END SOLUTION

    for i in range(m):                       # each example
        a_prev_pad = A_prev_pad[i]           # (n_H_prev + 2 * pad, n_W_prev + 2 * pad, n_C_prev)
        for h in range(n_H):                 # each output row
            # Rows of the window (≈ 2 lines)
            ### BEGIN SOLUTION
            vert_start = h * stride
            vert_end = vert_start + f
            ### END SOLUTION
            for w in range(n_W):             # each output column
                # Columns of the window (≈ 2 lines)
                ### BEGIN SOLUTION
                horiz_start = w * stride
                horiz_end = horiz_start + f
                ### END SOLUTION
                for c in range(n_C):         # each filter
                    # Cut out the window and apply filter c with its own bias (≈ 4 lines)
                    ### BEGIN SOLUTION
                    a_slice_prev = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    weights = W[:, :, :, c]
                    biases = b[:, :, :, c]
                    Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)
                    ### END SOLUTION

    cache = (A_prev, W, b, hparameters)
    return Z, cache


# %% test conv_forward published points=2
# Public test of conv_forward with the published numbers (2 points): the output Z
@public_test("conv_forward", part="Z", uses=["zero_pad", "conv_single_step"], last=False)
def _():
    np.random.seed(1)
    A_prev = np.random.randn(10, 5, 7, 4)
    W = np.random.randn(3, 3, 4, 8)
    b = np.random.randn(1, 1, 1, 8)
    hparameters = {"pad": 1, "stride": 2}
    result = conv_forward(A_prev, W, b, hparameters)
    expect_type("conv_forward", "the result", result, tuple, hint="return Z, cache")
    Z, cache_conv = result
    print("Z's mean =", np.mean(Z))
    print("Z[3, 2, 1] =", Z[3, 2, 1])

    expect_shape("conv_forward", "Z", Z, (10, 3, 4, 8),
                 hint="n_H = floor((n_H_prev - f + 2 * pad) / stride) + 1, and the same with the widths for n_W")
    expect_close("conv_forward", "the mean of Z", np.mean(Z), 0.6923608807576933,
                 hint="check the window corners (h * stride, w * stride) and that every filter adds its bias")
    expect_close("conv_forward", "Z[3, 2, 1]", Z[3, 2, 1],
                 [-1.28912231, 2.27650251, 6.61941931, 0.95527176,
                  8.25132576, 2.31329639, 13.00689405, 2.34576051],
                 hint="filter c uses W[:, :, :, c] and b[:, :, :, c]")

# %% test conv_forward published_cache points=1
# Public test of conv_forward with the published numbers (1 point): the cache
@public_test("conv_forward", part="the cache", uses=["zero_pad", "conv_single_step"])
def _():
    np.random.seed(1)
    A_prev = np.random.randn(10, 5, 7, 4)
    W = np.random.randn(3, 3, 4, 8)
    b = np.random.randn(1, 1, 1, 8)
    hparameters = {"pad": 1, "stride": 2}
    result = conv_forward(A_prev[:2, :5, :5], W, b, hparameters)   # a square input: a wrong Z cannot crash this test
    expect_type("conv_forward", "the result", result, tuple, hint="return Z, cache")
    cache_conv = result[1]
    expect_type("conv_forward", "the cache", cache_conv, tuple, hint="cache = (A_prev, W, b, hparameters)")
    print("cache_conv[0][1][2][3] =", cache_conv[0][1][2][3])
    expect_close("conv_forward", "cache_conv[0][1][2][3]", cache_conv[0][1][2][3],
                 [-1.1191154, 1.9560789, -0.3264995, -1.34267579],
                 hint="the cache holds the input A_prev as it was given, not the padded batch")
    expect_equal("conv_forward", "the hyperparameters in the cache", cache_conv[3] == hparameters, True,
                 hint="the last entry of the cache is hparameters")

# %% test conv_forward output_shape points=2 hidden
# Hidden tests of conv_forward (2 points): the output shape for non-square inputs, strides
# that do not divide evenly, no padding, and padding wider than the filter.
_rng = np.random.default_rng(11113)
for _shape, _f, _nc, _s, _p, _dtype, _case in grading.CONV_CASES:
    _A = _rng.standard_normal(_shape).astype(_dtype)
    _W = _rng.standard_normal((_f, _f, _shape[3], _nc)).astype(_dtype)
    _b = _rng.standard_normal((1, 1, 1, _nc)).astype(_dtype)
    _result = conv_forward(_A, _W, _b, {"stride": _s, "pad": _p})
    check(isinstance(_result, (tuple, list)) and len(_result) == 2,
          "conv_forward must return a pair (Z, cache)")
    _expected_shape = (_shape[0], grading.output_size(_shape[1], _f, _s, _p), grading.output_size(_shape[2], _f, _s, _p),
                       _nc)
    check(np.shape(_result[0]) == _expected_shape,
          f"conv_forward, {_case}: the shape of Z is wrong. Use the floor formula for the height "
          "and for the width separately")

# %% test conv_forward fresh_inputs points=1 hidden
# Hidden tests of conv_forward (1 point): the values of Z on new inputs.
_rng = np.random.default_rng(22229)
for _shape, _f, _nc, _s, _p, _dtype, _case in grading.CONV_CASES:
    _A = _rng.standard_normal(_shape).astype(_dtype)
    _W = _rng.standard_normal((_f, _f, _shape[3], _nc)).astype(_dtype)
    _b = (3.0 * _rng.standard_normal((1, 1, 1, _nc))).astype(_dtype)
    _result = conv_forward(_A, _W, _b, {"stride": _s, "pad": _p})
    check(isinstance(_result, (tuple, list)) and len(_result) == 2,
          "conv_forward must return a pair (Z, cache)")
    grading.check_close(_result[0], grading.conv(_A, _W, _b, _s, _p), f"conv_forward, {_case}", _dtype)

# %% test conv_forward cache points=1 hidden
# Hidden test of conv_forward (1 point): the cache is (A_prev, W, b, hparameters).
_rng = np.random.default_rng(33331)
_A = _rng.standard_normal((2, 5, 4, 3))
_W = _rng.standard_normal((2, 2, 3, 2))
_b = _rng.standard_normal((1, 1, 1, 2))
_hp = {"stride": 2, "pad": 1}
_result = conv_forward(_A, _W, _b, dict(_hp))
check(isinstance(_result, (tuple, list)) and len(_result) == 2, "conv_forward must return a pair (Z, cache)")
_cache = _result[1]
check(isinstance(_cache, (tuple, list)) and len(_cache) == 4,
      "conv_forward: the cache must be the tuple (A_prev, W, b, hparameters)")
for _got, _want, _name in zip(_cache[:3], (_A, _W, _b), ("A_prev (unpadded)", "W", "b")):
    check_close_quietly(_got, _want, f"conv_forward: the cache entry {_name}")
check(isinstance(_cache[3], dict) and _cache[3].get("stride") == 2 and _cache[3].get("pad") == 1,
      "conv_forward: the last cache entry must be the hparameters dictionary")

# %% test conv_forward edge_shapes points=1 hidden
# Hidden tests of conv_forward (1 point): 1 x 1 filters, and filters as tall or as wide as the input.
_rng = np.random.default_rng(24683)
for _shape, _f, _nc, _s, _p, _dtype, _case in [
        ((2, 4, 5, 3), 1, 2, 1, 0, np.float64, "a 1 x 1 filter"),
        ((1, 5, 3, 2), 1, 3, 2, 1, np.float64, "a 1 x 1 filter, stride 2, pad 1"),
        ((2, 3, 5, 2), 3, 2, 1, 0, np.float64, "a filter as tall as the input"),
        ((1, 4, 4, 1), 4, 1, 1, 1, np.float32, "a float32 filter as large as the input, pad 1")]:
    _A = _rng.standard_normal(_shape).astype(_dtype)
    _W = _rng.standard_normal((_f, _f, _shape[3], _nc)).astype(_dtype)
    _b = _rng.standard_normal((1, 1, 1, _nc)).astype(_dtype)
    _result = conv_forward(_A, _W, _b, {"stride": _s, "pad": _p})
    check(isinstance(_result, (tuple, list)) and len(_result) == 2,
          "conv_forward must return a pair (Z, cache)")
    grading.check_close(_result[0], grading.conv(_A, _W, _b, _s, _p), f"conv_forward, {_case}", _dtype)

# %% [markdown]
# ## 4 - Pooling layer
#
# A pooling layer shrinks the height and the width of its input and keeps its channels. It
# has no parameters to learn, only two hyperparameters: the window size `f` and the `stride`.
# It slides an `f x f` window over each channel **separately** and keeps one number per
# window:
#
# - **max pooling** keeps the largest value of the window: a feature that was detected
#   anywhere in the window stays detected;
# - **average pooling** keeps the mean of the window.
#
# Why shrink? The layers after a pool have fewer positions to visit, so the network computes
# less and needs less memory (a 2 x 2 pool with stride 2 leaves a quarter of the entries).
# And a max-pooled map changes less when the input shifts by a pixel or two: the maximum of a
# window stays where it is as long as the feature stays inside the window, which gives the
# network some invariance to the position of what it detects.
#
# Pooling uses no padding here, so the output size is
#
# $$ n_H = \Big\lfloor \frac{n_{H_{prev}} - f}{stride} \Big\rfloor + 1 \qquad
#    n_W = \Big\lfloor \frac{n_{W_{prev}} - f}{stride} \Big\rfloor + 1 \qquad n_C = n_{C_{prev}} $$

# %% locked figure_pooling skip-at-grading
show_pooling(np.arange(1.0, 17.0).reshape(4, 4) % 7, f=2, stride=2)
plt.show()

# %% [markdown]
# ### 4.1 - Forward pooling
#
# **Exercise 4 - `pool_forward`** (5 points). Implement max and average pooling over a batch.
# The loops are those of `conv_forward`, with the window corners computed the same way
# (`vert_start = h * stride`, ...) and the channel loop picking one channel of the window of
# example `i`: `A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]`. Use `np.max` for
# `mode == "max"` and `np.mean` for `mode == "average"`. Return `A` and the cache
# `(A_prev, hparameters)`.
#
# If you are stuck, draw the published case: a 5 x 5 input with `f = 3` and stride 2 gives a
# 2 x 2 output, whose windows start at rows and columns 0 and 2.

# %% answer pool_forward
def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer over a batch.

    Arguments:
    A_prev -- input, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    hparameters -- dictionary with the integers "f" and "stride"
    mode -- the pooling mode, "max" or "average"

    Returns:
    A -- output of the pooling layer, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, hparameters), kept for pool_backward
    """
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f = hparameters["f"]
    stride = hparameters["stride"]

    # Output sizes without padding; the channels stay (≈ 3 lines)
    ### BEGIN SOLUTION
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    n_C = n_C_prev
    ### END SOLUTION

    A = np.zeros((m, n_H, n_W, n_C))

    for i in range(m):                       # each example
        for h in range(n_H):                 # each output row
            for w in range(n_W):             # each output column
                for c in range(n_C):         # each channel, on its own
                    # Window corners, the window of channel c, and its max or mean (≈ 9 lines)
                    ### BEGIN SOLUTION
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_prev_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]
                    if mode == "max":
                        A[i, h, w, c] = np.max(a_prev_slice)
                    elif mode == "average":
                        A[i, h, w, c] = np.mean(a_prev_slice)
                    ### END SOLUTION

    cache = (A_prev, hparameters)
    return A, cache


# %% test pool_forward published points=1
# Public test of pool_forward with the published numbers (1 point)
@public_test("pool_forward")
def _():
    np.random.seed(1)
    A_prev = np.random.randn(2, 5, 5, 3)
    published = {
        (1, "max"): ((2, 3, 3, 3), {(0, 0, 0): [1.74481176, 0.90159072, 1.65980218],
                                    (1, 2, 2): [1.62765075, 1.12141771, 0.79280687]}),
        (1, "average"): ((2, 3, 3, 3), {(0, 0, 0): [-0.0301046719, -0.00324021315, -0.336298859],
                                        (1, 2, 2): [0.150774518, 0.289111751, 0.00123238536]}),
        (2, "max"): ((2, 2, 2, 3), {(1, 1, 1): [1.62765075, 1.12141771, 0.79280687]}),
        (2, "average"): ((2, 2, 2, 3), {(1, 1, 1): [0.15077452, 0.28911175, 0.00123239]}),
    }
    for (stride, mode), (shape, entries) in published.items():
        hparameters = {"stride": stride, "f": 3}
        result = pool_forward(A_prev, hparameters, mode=mode)
        expect_type("pool_forward", "the result", result, tuple, hint="return A, cache")
        A, cache = result
        print(f"mode = {mode}, stride = {stride}: A.shape = {getattr(A, 'shape', None)}")
        expect_shape("pool_forward", f"A (mode {mode!r}, stride {stride})", A, shape,
                     hint="without padding, n_H = floor((n_H_prev - f) / stride) + 1 (and the same for the "
                          "width); the channels stay as they are")
        for index, values in entries.items():
            print(f"    A[{index[0]}, {index[1]}, {index[2]}] = {A[index]}")
            expect_close("pool_forward", f"A[{index[0]}, {index[1]}, {index[2]}] (mode {mode!r}, stride {stride})",
                         A[index], values,
                         hint="take np.max or np.mean of one channel of the window at a time" if stride == 1 else
                              "with stride 2 the window of output (h, w) starts at row h * stride and column "
                              "w * stride: check the window corners")

# %% test pool_forward output_shape points=1 hidden
# Hidden tests of pool_forward (1 point): output shapes for non-square inputs and uneven
# strides.
_rng = np.random.default_rng(44449)
for _shape, _f, _s, _dtype, _case in grading.POOL_CASES:
    _A = _rng.standard_normal(_shape).astype(_dtype)
    for _mode in ("max", "average"):
        _result = pool_forward(_A, {"f": _f, "stride": _s}, mode=_mode)
        check(isinstance(_result, (tuple, list)) and len(_result) == 2, "pool_forward must return a pair (A, cache)")
        check(np.shape(_result[0]) == (_shape[0], grading.output_size(_shape[1], _f, _s),
                                       grading.output_size(_shape[2], _f, _s), _shape[3]),
              f"pool_forward, {_case}, mode {_mode!r}: the shape of A is wrong. Use the floor formula "
              "without padding for the height and the width, and keep the channels")

# %% test pool_forward cache points=1 hidden
# Hidden test of pool_forward (1 point): the cache is (A_prev, hparameters).
_A = np.random.default_rng(44453).standard_normal((2, 4, 6, 3))       # windows that fit exactly
_result = pool_forward(_A, {"f": 2, "stride": 2}, mode="max")
check(isinstance(_result, (tuple, list)) and len(_result) == 2, "pool_forward must return a pair (A, cache)")
_cache = _result[1]
check(isinstance(_cache, (tuple, list)) and len(_cache) == 2,
      "pool_forward: the cache must be the pair (A_prev, hparameters)")
check_close_quietly(_cache[0], _A, "pool_forward: the first cache entry must be A_prev")
check(isinstance(_cache[1], dict) and _cache[1].get("f") == 2 and _cache[1].get("stride") == 2,
      "pool_forward: the second cache entry must be the hparameters dictionary")

# %% test pool_forward fresh_inputs points=1 hidden
# Hidden tests of pool_forward (1 point): values in both modes, channel by channel, with
# overlapping and disjoint windows; the default mode is "max".
_rng = np.random.default_rng(55547)
for _shape, _f, _s, _dtype, _case in grading.POOL_CASES:
    _scales = (10.0 ** np.arange(_shape[3])).reshape(1, 1, 1, -1)   # channels of very different sizes
    _A = (_rng.standard_normal(_shape) * _scales - 0.5).astype(_dtype)
    for _mode in ("max", "average"):
        _result = pool_forward(_A, {"f": _f, "stride": _s}, mode=_mode)
        check(isinstance(_result, (tuple, list)) and len(_result) == 2, "pool_forward must return a pair (A, cache)")
        grading.check_close(_result[0], grading.pool(_A, _f, _s, _mode), f"pool_forward, {_case}, mode {_mode!r}",
                            _dtype)
_A = _rng.standard_normal((2, 4, 6, 2))
_result = pool_forward(_A, {"f": 2, "stride": 2})
check(isinstance(_result, (tuple, list)) and len(_result) == 2, "pool_forward must return a pair (A, cache)")
check_close_quietly(_result[0], grading.pool(_A, 2, 2, "max"),
                    "pool_forward called without a mode: the default mode must be max pooling")

# %% test pool_forward edge_shapes points=1 hidden
# Hidden tests of pool_forward (1 point): 1 x 1 windows, and windows as tall or as wide as the input,
# in both modes.
_rng = np.random.default_rng(66421)
for _shape, _f, _s, _dtype, _case in [
        ((2, 4, 5, 2), 1, 1, np.float64, "a 1 x 1 window"),
        ((1, 5, 4, 3), 1, 2, np.float64, "a 1 x 1 window, stride 2"),
        ((2, 3, 6, 2), 3, 1, np.float64, "a window as tall as the input"),
        ((1, 4, 4, 1), 4, 2, np.float32, "a float32 window as large as the input")]:
    _A = _rng.standard_normal(_shape).astype(_dtype)
    for _mode in ("max", "average"):
        _result = pool_forward(_A, {"f": _f, "stride": _s}, mode=_mode)
        check(isinstance(_result, (tuple, list)) and len(_result) == 2, "pool_forward must return a pair (A, cache)")
        grading.check_close(_result[0], grading.pool(_A, _f, _s, _mode), f"pool_forward, {_case}, mode {_mode!r}",
                            _dtype)

# %% [markdown]
# ## 5 - Backpropagation in a convolutional network
#
# Frameworks compute the backward pass for you, and in the original course this part was
# optional. Here it is graded as a section of its own (24 points): you will see that the
# backward pass of a convolution is made of convolutions again, and that pooling routes
# gradients back to where they came from.
#
# ### 5.1 - Backward pass of the convolutional layer
#
# `conv_backward` receives `dZ`, the gradient of the cost with respect to the layer's output,
# of shape `(m, n_H, n_W, n_C)`, and the cache of the forward pass. Every output entry
# `Z[i, h, w, c]` came from one window of example `i` and filter `c`, so its gradient flows back
# to exactly those numbers. Write $W_c$ = `W[:, :, :, c]` for the weights of filter `c`,
# $dZ_{ihwc}$ = `dZ[i, h, w, c]`, and $a^{(i)}_{hw}$ = `a_slice` for the window of the padded
# example `i` that produced row `h`, column `w` (rows `h * stride` to `h * stride + f`, columns
# `w * stride` to `w * stride + f`, all channels):
#
# - **to the input window**, weighted by the filter: for every `i, h, w, c`, the window at
#   `(h, w)` of the padded gradient of example `i`, and only that window, gets
#   $$ dA^{(i)}_{pad}[\text{window at } (h, w)] \mathrel{+}= W_c \; dZ_{ihwc} $$
#   ```python
#   da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
#   ```
# - **to the filter**, weighted by the window it saw, over all examples and positions:
#   $$ dW_c = \sum_{i=1}^{m} \sum_{h=0}^{n_H-1} \sum_{w=0}^{n_W-1} a^{(i)}_{hw} \; dZ_{ihwc} $$
#   ```python
#   dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
#   ```
# - **to the bias**, which was added to every output entry of its filter, in every example:
#   $$ db_c = \sum_{i=1}^{m} \sum_{h=0}^{n_H-1} \sum_{w=0}^{n_W-1} dZ_{ihwc} $$
#   ```python
#   db[:, :, :, c] += dZ[i, h, w, c]
#   ```
#
# All three are sums: windows overlap, and every example adds to `dW` and `db`, so use `+=`,
# never `=`. Start every gradient from zeros. `db` is a **sum** over the examples and
# positions, not a mean: the cost's own averaging over the batch is already inside `dZ`.
#
# **Convolutions again.** Take stride 1. Entry `[p, q, k, c]` of `dW` is the sum over `i, h, w`
# of `a_prev_pad[h + p, w + q, k] * dZ[i, h, w, c]`: channel `c` of `dZ` slides over the padded
# input, multiplying and adding, so `dW` is a convolution of the input with `dZ` as its
# filter. And entry `(y, x)` of the padded input gradient collects
# `W[y - h, x - w, :, c] * dZ[i, h, w, c]` from every window that covers it: a convolution of
# `dZ` (padded by `f - 1` zeros) with the filter turned by 180 degrees. With a larger stride the
# same holds with `stride - 1` zeros between the entries of `dZ`. Your loops compute exactly
# these sums, one window at a time.
#
# The forward pass worked on the padded input, so the window gradients land in a padded
# array `da_prev_pad`. The gradient of the real input is its interior. Write the interior as
# `da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]`: the shorter `[pad:-pad]` gives an
# **empty** array when `pad == 0`, because `-0` is `0`. The public test checks `pad = 0` too.
#
# **If you are stuck:** the capital names are batches and the small ones one example:
# `A_prev_pad` and `dA_prev_pad` have the shape `(m, ...)`, while `a_prev_pad = A_prev_pad[i]`
# and `da_prev_pad = dA_prev_pad[i]` are the padded input and gradient of example `i`. Cut
# `a_slice` from `a_prev_pad` and add into `da_prev_pad`: `da_prev_pad` is a view of
# `dA_prev_pad`, so what you add to it lands in `dA_prev_pad` too.
#
# **Exercise 5 - `conv_backward`** (12 points: 6 for `dA_prev`, 4 for `dW`, 2 for `db`; each
# gradient is tested on its own).

# %% answer conv_backward
def conv_backward(dZ, cache):
    """
    Backward pass of a convolutional layer.

    Arguments:
    dZ -- gradient of the cost with respect to the output Z, numpy array of shape (m, n_H, n_W, n_C)
    cache -- the cache of conv_forward: (A_prev, W, b, hparameters)

    Returns:
    dA_prev -- gradient of the cost with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    dW -- gradient of the cost with respect to W, numpy array of shape (f, f, n_C_prev, n_C)
    db -- gradient of the cost with respect to b, numpy array of shape (1, 1, 1, n_C)
    """
    # Unpack the cache and read the shapes and hyperparameters (≈ 6 lines)
    ### BEGIN SOLUTION
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape
    ### END SOLUTION

    # Gradients, starting from zeros, and the padded input and gradient (≈ 5 lines)
    ### BEGIN SOLUTION
    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    ### END SOLUTION

    for i in range(m):                       # each example
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):                 # each output row
            for w in range(n_W):             # each output column
                for c in range(n_C):         # each filter
                    # Window corners, the window, and the three updates (≈ 8 lines)
                    ### BEGIN SOLUTION
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dZ[i, h, w, c]
                    dW[:, :, :, c] += a_slice * dZ[i, h, w, c]
                    db[:, :, :, c] += dZ[i, h, w, c]
                    ### END SOLUTION
        # The gradient of example i is the interior of da_prev_pad (≈ 1 line)
        ### BEGIN SOLUTION
        dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]
        ### END SOLUTION

    return dA_prev, dW, db


# %% test conv_backward published points=1
# Public test of conv_backward with the published numbers (1 point): dA_prev, with pad = 2
# and with pad = 0
@public_test("conv_backward", part="dA_prev", uses=["conv_forward", "zero_pad"], last=False,
             on_error="if it fails with pad = 0 only, look at how you take the interior of "
                      "da_prev_pad: da_prev_pad[pad:-pad, pad:-pad, :] is empty when pad == 0")
def _():
    np.random.seed(1)
    A_prev = np.random.randn(10, 4, 4, 3)
    W = np.random.randn(2, 2, 3, 8)
    b = np.random.randn(1, 1, 1, 8)
    for hparameters, mean, entry in [({"pad": 2, "stride": 2}, 1.4524377775388075, [8.2769155, -14.67282297, -0.42290541]),
                                     ({"pad": 0, "stride": 1}, 2.715171271586651, [19.09090393, -17.71585247, -7.35727523])]:
        Z, cache_conv = conv_forward(A_prev, W, b, hparameters)
        result = conv_backward(Z, cache_conv)
        expect_type("conv_backward", "the result", result, tuple, hint="return dA_prev, dW, db")
        dA = result[0]
        print(f"pad = {hparameters['pad']}, stride = {hparameters['stride']}: dA_mean =", np.mean(dA))
        expect_shape("conv_backward", f"dA_prev (pad = {hparameters['pad']})", dA, A_prev.shape,
                     hint="dA_prev has the shape of A_prev: take the interior of the padded gradient, "
                          "da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :] (da_prev_pad[pad:-pad, pad:-pad, :] "
                          "is empty when pad == 0)")
        expect_close("conv_backward", f"the mean of dA_prev (pad = {hparameters['pad']})", np.mean(dA), mean,
                     hint="add W[:, :, :, c] * dZ[i, h, w, c] into the window of the padded gradient with +=")
        expect_close("conv_backward", f"dA_prev[1, 1, 1] (pad = {hparameters['pad']})", dA[1, 1, 1], entry,
                     hint="add W[:, :, :, c] * dZ[i, h, w, c] into the window at (h, w) only, with +=")

# %% test conv_backward published_dW points=1
# Public test of conv_backward with the published numbers (1 point): dW
@public_test("conv_backward", part="dW", uses=["conv_forward", "zero_pad"], last=False)
def _():
    np.random.seed(1)
    A_prev = np.random.randn(10, 4, 4, 3)
    W = np.random.randn(2, 2, 3, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, cache_conv = conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    result = conv_backward(Z, cache_conv)
    expect_type("conv_backward", "the result", result, tuple, hint="return dA_prev, dW, db")
    dW = result[1]
    print("dW_mean =", np.mean(dW))
    expect_shape("conv_backward", "dW", dW, W.shape, hint="dW has the shape of W")
    expect_close("conv_backward", "the mean of dW", np.mean(dW), 1.7269914583139097,
                 hint="dW[:, :, :, c] += a_slice * dZ[i, h, w, c], with a_slice cut from the padded input, "
                      "summed over all examples and positions")

# %% test conv_backward published_db points=1
# Public test of conv_backward with the published numbers (1 point): db
@public_test("conv_backward", part="db", uses=["conv_forward", "zero_pad"])
def _():
    np.random.seed(1)
    A_prev = np.random.randn(10, 4, 4, 3)
    W = np.random.randn(2, 2, 3, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, cache_conv = conv_forward(A_prev, W, b, {"pad": 2, "stride": 2})
    result = conv_backward(Z, cache_conv)
    expect_type("conv_backward", "the result", result, tuple, hint="return dA_prev, dW, db")
    db = result[2]
    print("db_mean =", np.mean(db))
    expect_shape("conv_backward", "db", db, b.shape, hint="db has the shape of b, (1, 1, 1, n_C)")
    expect_close("conv_backward", "the mean of db", np.mean(db), 7.839232564616838,
                 hint="db[:, :, :, c] adds up dZ[i, h, w, c] over all examples and positions: a sum, not a mean")

# %% test conv_backward dA_prev points=2 hidden
# Hidden tests of conv_backward (2 points): dA_prev on new inputs with padding, uneven strides
# and non-square shapes, and a numerical gradient check.
grading.check_conv_backward(conv_backward, grading.CONV_BACKWARD_CASES, seed=66653, name="dA_prev")
grading.gradient_check_conv_backward(conv_backward, seed=88867, name="dA_prev")

# %% test conv_backward no_padding points=2 hidden
# Hidden tests of conv_backward (2 points): dA_prev without padding, pad = 0.
grading.check_conv_backward(conv_backward, [
    ((2, 6, 5, 2), 3, 2, 1, 0, np.float64, "pad = 0, stride 1"),
    ((1, 8, 7, 3), 2, 2, 3, 0, np.float64, "pad = 0, stride 3"),
], seed=77761, name="dA_prev")

# %% test conv_backward dW points=3 hidden
# Hidden tests of conv_backward (3 points): dW on new inputs, and a numerical gradient check.
grading.check_conv_backward(conv_backward, grading.CONV_BACKWARD_CASES, seed=66659, name="dW")
grading.gradient_check_conv_backward(conv_backward, seed=88873, name="dW")

# %% test conv_backward db points=1 hidden
# Hidden tests of conv_backward (1 point): db on new inputs, and a numerical gradient check.
grading.check_conv_backward(conv_backward, grading.CONV_BACKWARD_CASES, seed=66661, name="db")
grading.gradient_check_conv_backward(conv_backward, seed=88879, name="db")

# %% test conv_backward edge_shapes points=1 hidden
# Hidden tests of conv_backward (1 point): dA_prev with 1 x 1 filters, and filters as tall or as wide as
# the input.
grading.check_conv_backward(conv_backward, [  # padded: pad = 0 has its own test cell
    ((2, 4, 5, 3), 1, 2, 1, 1, np.float64, "a 1 x 1 filter, pad 1"),
    ((1, 5, 3, 2), 1, 3, 2, 2, np.float64, "a 1 x 1 filter, stride 2, pad 2"),
    ((2, 3, 5, 2), 3, 2, 1, 1, np.float64, "a filter as tall as the input, pad 1"),
    ((1, 4, 4, 1), 4, 1, 1, 1, np.float32, "a float32 filter as large as the input, pad 1"),
], seed=35797, name="dA_prev")

# %% [markdown]
# ### 5.2 - Backward pass of the pooling layer
#
# Pooling has no parameters, so its backward pass only computes `dA_prev`, the gradient with
# respect to its input. Each output entry came from one window, and its gradient goes back to
# that window, in a way that depends on the mode.
#
# #### 5.2.1 - Max pooling: the mask
#
# In max pooling, only the largest entry of a window reached the output: nudging any other
# entry a little leaves the output unchanged. So the whole gradient of that output entry goes
# to the position of the maximum, and the other positions get zero. A **mask** marks that
# position:
#
# $$ X = \begin{bmatrix} 1 & 3 \\ 4 & 2 \end{bmatrix} \quad \rightarrow \quad
#    M = \begin{bmatrix} 0 & 0 \\ 1 & 0 \end{bmatrix} $$
#
# `x == np.max(x)` builds it in one comparison. Only the maximum itself is marked, however
# close other entries come. (When two entries tie for the maximum, `x == np.max(x)` marks
# both; the tests of this assignment use windows without ties. The next assignment explains
# why frameworks send the gradient to the first maximum only.)
#
# **Exercise 6 - `create_mask_from_window`** (2 points).

# %% answer create_mask_from_window
def create_mask_from_window(x):
    """
    Mark the position of the maximum of a window.

    Arguments:
    x -- window, numpy array of shape (f, f)

    Returns:
    mask -- boolean numpy array of the shape of x, True where x holds its maximum
    """
    # (≈ 1 line)
    ### BEGIN SOLUTION
    mask = (x == np.max(x))
    ### END SOLUTION

    return mask


# %% test create_mask_from_window published points=1
# Public test of create_mask_from_window with the published numbers (1 point)
@public_test("create_mask_from_window")
def _():
    np.random.seed(1)
    x = np.random.randn(2, 3)
    mask = create_mask_from_window(x)
    print("x =\n", x)
    print("mask =\n", mask)

    expect_shape("create_mask_from_window", "mask", mask, (2, 3), hint="the mask has the shape of the window")
    expect_equal("create_mask_from_window", "mask", np.asarray(mask).astype(bool),
                 [[True, False, False], [False, False, False]],
                 hint="compare every entry of x with the largest one: x == np.max(x)")
    x = np.array([[-1.5, -0.2, -0.25], [-0.21, -7.0, -0.3]])     # negative, and close to the maximum
    expect_equal("create_mask_from_window", "the mask of [[-1.5, -0.2, -0.25], [-0.21, -7.0, -0.3]]",
                 np.asarray(create_mask_from_window(x)).astype(bool),
                 [[False, True, False], [False, False, False]],
                 hint="only the maximum itself is True, however close the other entries come: x == np.max(x)")

# %% test create_mask_from_window fresh_inputs points=1 hidden
# Hidden tests of create_mask_from_window (1 point): other window shapes and values, with
# entries just below the maximum, negative windows and equal entries.
_rng = np.random.default_rng(99901)
for _shape, _where, _offset, _dtype, _case in [
        ((3, 4), (2, 1), 0.0, np.float64, "a 3 x 4 window with its maximum in the last row"),
        ((4, 3), (3, 0), 0.0, np.float64, "a 4 x 3 window with its maximum in the bottom-left corner"),
        ((2, 5), (1, 4), -10.0, np.float64, "a window of negative numbers"),
        ((1, 1), (0, 0), 0.0, np.float64, "a 1 x 1 window"),
        ((3, 3), (1, 2), 5.0, np.float32, "a float32 window of positive numbers"),
        ((3, 3), (0, 0), -3.0, np.float64, "a window with entries a hair below its maximum"),
        ((2, 4), (1, 2), 0.0, np.float64, "a window with equal entries below its maximum")]:
    _x = (_rng.standard_normal(_shape) + _offset).astype(_dtype)
    _top = _x.max() + 0.25
    _x[_where] = _top                                   # one maximum, where we want it
    _others = [k for k in np.ndindex(_shape) if k != _where]
    for _k, _gap in zip(_others, (0.001, 0.2, 0.45)):   # near-ties below the maximum
        _x[_k] = _top - _gap
    if "equal" in _case:
        _x[_others[3]] = _x[_others[4]] = _x[_others[5]] = _top - 0.3
    _x = _x.astype(_dtype)
    _mask = create_mask_from_window(_x.copy())
    check(np.shape(_mask) == _shape, f"create_mask_from_window, {_case}: the mask must have the shape of the window")
    _m = np.asarray(_mask)
    check(_m.dtype == bool or np.all((_m == 0) | (_m == 1)),
          f"create_mask_from_window, {_case}: the mask must hold True/False (or 1/0) only")
    check(np.array_equal(_m.astype(bool), _x == _x.max()),
          f"create_mask_from_window, {_case}: the mask must be True exactly where the window holds its maximum")

# %% [markdown]
# #### 5.2.2 - Average pooling: distributing a value
#
# In average pooling, every entry of the window contributed equally, `1 / (n_rows * n_cols)`
# of itself, to the output. So the gradient `dz` of that output entry is shared equally: each
# entry of the window gets `dz / (n_rows * n_cols)`, where `(n_rows, n_cols)` is the window's
# shape (in `pool_backward` it will be `(f, f)`; the names `n_H` and `n_W` stay those of the
# output sizes).
#
# $$ dz = 1 \quad \rightarrow \quad dz_{window} = \begin{bmatrix} 1/4 & 1/4 \\ 1/4 & 1/4 \end{bmatrix} $$
#
# **Exercise 7 - `distribute_value`** (2 points). `np.full` or `np.ones` will help.

# %% answer distribute_value
def distribute_value(dz, shape):
    """
    Share a gradient equally over a window.

    Arguments:
    dz -- the gradient of one output entry, a real number
    shape -- (n_rows, n_cols), the shape of the window

    Returns:
    a -- numpy array of the given shape, every entry equal to dz / (n_rows * n_cols)
    """
    # Read the window's shape (≈ 1 line)
    ### BEGIN SOLUTION
    (n_rows, n_cols) = shape
    ### END SOLUTION

    # The share of each entry, and the array holding it everywhere (≈ 2 lines)
    ### BEGIN SOLUTION
    average = dz / (n_rows * n_cols)
    a = np.ones(shape) * average
    ### END SOLUTION

    return a


# %% test distribute_value published points=1
# Public test of distribute_value with the published numbers (1 point)
@public_test("distribute_value")
def _():
    a = distribute_value(2, (2, 2))
    print("distributed value =\n", a)

    expect_shape("distribute_value", "a", a, (2, 2), hint="np.ones(shape) has the requested shape")
    expect_close("distribute_value", "a", a, [[0.5, 0.5], [0.5, 0.5]],
                 hint="each of the n_rows * n_cols entries gets dz / (n_rows * n_cols)")

# %% test distribute_value fresh_inputs points=1 hidden
# Hidden tests of distribute_value (1 point): other shapes and values.
for _dz, _shape, _case in [(3.0, (2, 3), "a 2 x 3 window"),
                           (-1.5, (1, 1), "a 1 x 1 window"),
                           (7, (3, 3), "an integer gradient over a 3 x 3 window"),
                           (0.9, (4, 2), "a 4 x 2 window")]:
    _a = distribute_value(_dz, _shape)
    check(np.shape(_a) == _shape, f"distribute_value, {_case}: the result must have the given shape")
    check_close_quietly(_a, np.full(_shape, _dz / (_shape[0] * _shape[1])), f"distribute_value, {_case}")

# %% [markdown]
# #### 5.2.3 - Putting it together: `pool_backward`
#
# `pool_backward` walks over the output positions as `pool_forward` did. For example `i`,
# position `(h, w)` and channel `c` it finds the window again and adds the window's share of
# `dA[i, h, w, c]` into `dA_prev`:
#
# - `mode == "max"`: add `mask * dA[i, h, w, c]` into the window,
#   `dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]`, with `mask` the mask of the same
#   window of `A_prev`;
# - `mode == "average"`: add `distribute_value(dA[i, h, w, c], (f, f))` into that window.
#
# With a stride smaller than `f` the windows overlap, and an entry of `A_prev` collects
# gradient from several windows: `+=`, not `=`. With a stride larger than `f` some entries
# belong to no window; their gradient stays zero.
#
# If you are stuck: the loop gives you `a_prev = A_prev[i]`, the input of example `i`; cut the
# window for the mask from it, `a_prev[vert_start:vert_end, horiz_start:horiz_end, c]`, and add
# into `dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c]`, the same window of the
# gradient.
#
# **Exercise 8 - `pool_backward`** (8 points).

# %% answer pool_backward
def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer.

    Arguments:
    dA -- gradient of the cost with respect to the pooling output, numpy array of shape (m, n_H, n_W, n_C)
    cache -- the cache of pool_forward: (A_prev, hparameters)
    mode -- the pooling mode, "max" or "average"

    Returns:
    dA_prev -- gradient of the cost with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    """
    # Unpack the cache, read the hyperparameters and the shapes (≈ 5 lines)
    ### BEGIN SOLUTION
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (m, n_H, n_W, n_C) = dA.shape
    ### END SOLUTION

    # The gradient, starting from zeros (≈ 1 line)
    ### BEGIN SOLUTION
    dA_prev = np.zeros(A_prev.shape)
    ### END SOLUTION

    for i in range(m):                       # each example
        a_prev = A_prev[i]
        for h in range(n_H):                 # each output row
            for w in range(n_W):             # each output column
                for c in range(n_C):         # each channel
                    # Window corners (≈ 4 lines)
                    ### BEGIN SOLUTION
                    vert_start = h * stride
                    vert_end = vert_start + f
                    horiz_start = w * stride
                    horiz_end = horiz_start + f
                    ### END SOLUTION

                    # Route the gradient back into the window (≈ 7 lines)
                    ### BEGIN SOLUTION
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] += distribute_value(da, (f, f))
                    ### END SOLUTION

    return dA_prev


# %% test pool_backward published points=2
# Public test of pool_backward with the published numbers (2 points)
@public_test("pool_backward", uses=["pool_forward", "create_mask_from_window", "distribute_value"])
def _():
    np.random.seed(1)
    A_prev = np.random.randn(5, 5, 3, 2)
    hparameters = {"stride": 1, "f": 2}
    A, cache = pool_forward(A_prev, hparameters)
    dA = np.random.randn(5, 4, 2, 2)
    print("mean of dA =", np.mean(dA))
    expected = {"max": [[0, 0], [5.05844394, -1.68282702], [0, 0]],
                "average": [[0.08485462, 0.2787552], [1.26461098, -0.25749373], [1.17975636, -0.53624893]]}
    for mode, row in expected.items():
        dA_prev = pool_backward(dA, cache, mode=mode)
        print(f"mode = {mode}: dA_prev[1, 1] =\n", np.asarray(dA_prev)[1, 1] if np.ndim(dA_prev) == 4 else dA_prev)
        expect_shape("pool_backward", f"dA_prev (mode {mode!r})", dA_prev, A_prev.shape,
                     hint="dA_prev has the shape of A_prev")
        expect_close("pool_backward", f"dA_prev[1, 1] (mode {mode!r})", dA_prev[1, 1], row,
                     hint="max: add mask * dA[i, h, w, c] into the window; average: add "
                          "distribute_value(dA[i, h, w, c], (f, f)); overlapping windows need +=")

# %% test pool_backward stride points=2 hidden
# Hidden tests of pool_backward (2 points): strides 2 and 3 (windows that do not overlap),
# in both modes.
grading.check_pool_backward(pool_backward, [
    ((2, 6, 8, 2), 2, 2, np.float64, "f = 2, stride 2, 6 x 8 input"),
    ((1, 9, 7, 3), 2, 3, np.float64, "stride 3 larger than f = 2"),
    ((1, 7, 9, 2), 3, 3, np.float64, "f = 3, stride 3, 7 x 9 input"),
], seed=12347)

# %% test pool_backward fresh_inputs points=2 hidden
# Hidden tests of pool_backward (2 points): overlapping windows, one example, one channel,
# float32 inputs.
grading.check_pool_backward(pool_backward, [
    ((2, 5, 6, 2), 3, 1, np.float64, "overlapping windows, f = 3, stride 1"),
    ((1, 4, 4, 1), 2, 1, np.float64, "one example with one channel, stride 1"),
    ((1, 7, 6, 2), 3, 2, np.float64, "overlapping windows, f = 3, stride 2"),
    ((2, 5, 4, 2), 2, 1, np.float32, "float32 input, stride 1"),
], seed=23459)

# %% test pool_backward gradient_check points=1 hidden
# Hidden tests of pool_backward (1 point): numerical gradient checks of the loss
# sum(A * dA) along random directions, in both modes.
_rng = np.random.default_rng(34567)
for _shape, _f, _s, _case in [((1, 5, 6, 2), 2, 1, "f = 2, stride 1"), ((1, 7, 5, 2), 3, 2, "f = 3, stride 2")]:
    _A = _rng.standard_normal(_shape)
    _out = grading.pool(_A, _f, _s, "max")
    _dA = _rng.standard_normal(_out.shape)
    for _mode in ("max", "average"):
        _grad = pool_backward(_dA, (_A, {"f": _f, "stride": _s}), mode=_mode)
        check(np.shape(_grad) == _A.shape, f"pool_backward, {_case}, mode {_mode!r}: dA_prev has the wrong shape")
        _loss = lambda X: np.sum(grading.pool(X, _f, _s, _mode) * _dA)
        for _ in range(3):
            _v = _rng.standard_normal(_A.shape)
            check(np.isclose(np.sum(np.asarray(_grad, dtype=float) * _v), directional_derivative(_loss, _A, _v, eps=1e-7),
                             rtol=1e-4, atol=1e-6),
                  f"pool_backward, {_case}, mode {_mode!r}: dA_prev does not match the numerical gradient")

# %% test pool_backward edge_shapes points=1 hidden
# Hidden tests of pool_backward (1 point): 1 x 1 windows, and windows as tall or as wide as the input,
# in both modes.
grading.check_pool_backward(pool_backward, [
    ((2, 4, 5, 2), 1, 1, np.float64, "a 1 x 1 window"),
    ((1, 5, 4, 3), 1, 2, np.float64, "a 1 x 1 window, stride 2"),
    ((2, 3, 6, 2), 3, 1, np.float64, "a window as tall as the input"),
    ((1, 4, 4, 1), 4, 2, np.float32, "a float32 window as large as the input"),
], seed=47809)

# %% [markdown]
# ## What you built
#
# You now have every piece of a convolutional network's two signature layers:
#
# - `zero_pad` and `conv_forward` turn a batch into feature maps, one filter at a time;
# - `pool_forward` shrinks the feature maps, channel by channel;
# - `conv_backward` and `pool_backward` send the gradients back to the input and to the
#   filters, so that gradient descent can learn them.
#
# Your loops are clear but slow: Python visits every window one by one. The next assignment
# builds a small network from the same layers, written so that NumPy visits the windows for
# you, and trains it to read hand signs.
