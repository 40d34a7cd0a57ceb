# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Convolutional Neural Networks: the application
#
# In the first assignment you wrote the layers of a convolutional network with loops: padding,
# convolution, pooling and their backward passes. Now you put them together into a small
# network and train it to read hand signs: photos of a hand showing zero to five fingers.
#
# No framework does the work for you. The network you assemble here is made of the same layers
# you wrote, in a vectorised form that NumPy runs a few hundred times faster than the loops,
# so you can watch your own forward and backward passes learn in a minute or two.
#
# By the end of this notebook you will have
# - prepared an image data set for training (scaled pixels, one-hot labels);
# - built the forward and backward passes of a whole network from its layers;
# - written the mini-batch training loop with the Adam optimizer;
# - trained the network and looked at what it gets right and wrong.
#
# Arrays follow the **NHWC** layout of the first assignment: a batch of images or activations
# has shape `(m, n_H, n_W, n_C)`, examples first and channels last. A batch of labels or logits
# has shape `(m, n_classes)`, one row per example.

# %% [markdown]
# ## How this notebook is graded
#
# You write ten functions. Each lives in one answer cell: write your code between
# `### START CODE HERE ###` and `### END CODE HERE ###` in place of the
# `raise NotImplementedError(...)` line, and keep the function names, the arguments and the
# lines given around your code.
#
# Under every function a **public test** checks it on published numbers and tells you what it
# expected when something is off. At grading, **hidden tests** check it on inputs you have not
# seen: other image sizes, filter sizes, batch sizes and seeds, and numerical gradient checks of
# the whole network. Each function is graded on its own: when the grader tests `train_model`, a
# mistake in your `model_backward` costs nothing there, because the grader's own
# `model_backward` stands in for yours.
#
# Grading never trains the full network: the hidden tests train tiny networks on tiny data for
# a few steps. The cells that load the data, train the network and draw the results are marked
# as illustrations; they are for you and are not run at grading.
#
# | part | function | points |
# |---|---|---|
# | data | `normalize_images` | 2 |
# | data | `one_hot` | 3 |
# | model | `initialize_parameters` | 4 |
# | model | `model_forward` | 8 |
# | model | `compute_cost` | 4 |
# | model | `model_backward` | 10 |
# | training | `random_mini_batches` | 5 |
# | training | `train_model` | 8 |
# | evaluation | `predict` | 3 |
# | evaluation | `confusion_matrix` | 3 |
# | | **total** | **50** |
#
# Do not delete or edit the test cells; if one is missing, the grader puts it back.

# %% [markdown]
# ## 1 - Packages
#
# - [NumPy](https://numpy.org) for the arithmetic, [h5py](https://www.h5py.org) to read the
#   data set, [matplotlib](https://matplotlib.org) for the figures.
# - `fast_layers`, next to this notebook: the vectorised layers (section 3.2 explains how they
#   work). Read it: every function says what it takes and returns, with the shapes.
# - `signs_figures` draws the figures and `checks` writes the test messages; you do not
#   need to change them.

# %% locked packages
import numpy as np
import h5py
import matplotlib.pyplot as plt

from fast_layers import (same_padding, conv_forward, conv_backward, relu_forward, relu_backward,
                         pool_forward, pool_backward, dense_forward, dense_backward,
                         dropout_forward, dropout_backward,
                         softmax, softmax_cross_entropy, adam_init, adam_update)
from signs_figures import (show_samples, show_architecture, show_same_padding, show_im2col,
                           show_cost_curve, show_confusion_matrix, show_misclassified, show_filters)
from checks import (public_test, expect_type, expect_shape, expect_dtype_kind, expect_close, expect_equal,
                    expect_keys, all_public_tests_passed, check, check_close_quietly, directional_derivative)

plt.rcParams["figure.figsize"] = (5.0, 4.0)
plt.rcParams["image.interpolation"] = "nearest"

# %% [markdown]
# ## 2 - The SIGNS data set
#
# A team photographed hands showing the numbers 0 to 5 with their fingers, against a plain
# background, and shrank every photo to 64 x 64 colour pixels. The training set has 1080
# images (180 per sign), the test set 120 (20 per sign). The task: look at an image, say how
# many fingers it shows.
#
# The two files, `datasets/train_signs.h5` and `datasets/test_signs.h5`, are HDF5 files: a
# file system inside a file, whose "files" are arrays. `h5py` opens them like a dictionary.
# The images are stored as 8-bit integers (`uint8`, from 0 to 255) in NHWC layout, the labels
# as integers from 0 to 5.

# %% locked load_data skip-at-grading
with h5py.File("datasets/train_signs.h5", "r") as data:
    X_train_orig = data["train_set_x"][:]
    y_train = data["train_set_y"][:]
with h5py.File("datasets/test_signs.h5", "r") as data:
    X_test_orig = data["test_set_x"][:]
    y_test = data["test_set_y"][:]

print("X_train_orig:", X_train_orig.shape, X_train_orig.dtype)
print("y_train:     ", y_train.shape, y_train.dtype, "- examples per sign:", np.bincount(y_train))
print("X_test_orig: ", X_test_orig.shape, X_test_orig.dtype)
print("y_test:      ", y_test.shape, y_test.dtype, "- examples per sign:", np.bincount(y_test))

# %% [markdown]
# Two examples of every sign. The training file is sorted by sign (all the zeros first): the
# training loop will have to shuffle it.

# %% locked figure_samples skip-at-grading
show_samples(X_train_orig, y_train, indices=[180 * sign + k for sign in range(6) for k in (11, 97)],
             title="training images and their labels")
plt.show()

# %% [markdown]
# ### 2.1 - Scaling the pixels
#
# A network learns best from inputs of a modest size, around 0 to 1. Pixels from 0 to 255
# would make the first layer's outputs hundreds of times larger than its initial weights
# expect, and the first steps of training would be wild. So we divide every pixel by 255.
#
# Two details matter:
# - **Mind the `uint8` arithmetic.** `X / 255` does give floats between 0 and 1, but
#   `float64` ones; other operations stay in `uint8`: `X // 255` gives only 0 and 1, and
#   `X * 2` silently wraps around above 255. Converting first, `X.astype(np.float32) / 255`,
#   avoids both.
# - **Use `float32`.** Training is about twice as fast in single precision as in double
#   precision (`float64`, NumPy's default, and what `X / 255` gives), and the network needs
#   no more digits than float32's seven.
#
# **Exercise 1 - `normalize_images`** (2 points). Return the images as `float32` numbers
# between 0 and 1, `X_orig / 255`, without changing `X_orig`.

# %% answer normalize_images
def normalize_images(X_orig):
    """
    Scale a batch of 8-bit images to float32 numbers between 0 and 1.

    Arguments:
    X_orig -- images, numpy array of shape (m, n_H, n_W, n_C), dtype uint8 (values 0 to 255)

    Returns:
    X -- numpy array of shape (m, n_H, n_W, n_C), dtype float32: X = X_orig / 255
    """
    # Convert to float32, then divide (≈ 1 line)
    ### BEGIN SOLUTION
    X = X_orig.astype(np.float32) / np.float32(255)
    ### END SOLUTION

    return X


# %% test normalize_images published points=1
# Public test of normalize_images with the published numbers (1 point)
@public_test("normalize_images")
def _():
    X_orig = np.random.default_rng(1).integers(0, 256, size=(2, 3, 3, 3), dtype=np.uint8)
    X_orig[0, 0, 0] = [0, 128, 255]
    X = normalize_images(X_orig)
    print("X_orig[0, 0] =\n", X_orig[0, 0])
    print("X[0, 0] =\n", X[0, 0] if isinstance(X, np.ndarray) else X)

    expect_shape("normalize_images", "X", X, (2, 3, 3, 3), hint="keep the shape of X_orig")
    expect_equal("normalize_images", "the dtype of X", str(X.dtype), "float32",
                 hint="convert with X_orig.astype(np.float32) before you divide: X_orig / 255 alone gives float64")
    expect_close("normalize_images", "X[0, 0]", X[0, 0],
                 [[0.0, 0.50196081, 1.0], [0.47450981, 0.95294118, 0.74117649], [0.02352941, 0.51372552, 0.40000001]],
                 hint="divide by 255 with / after converting to float32 (// gives 0 and 1 only)")
    expect_equal("normalize_images", "X_orig[0, 0, 0] (your function must not change its input)",
                 X_orig[0, 0, 0], [0, 128, 255])

# %% test normalize_images fresh_inputs points=1 hidden
# Hidden tests of normalize_images (1 point): other shapes, the extreme values 0 and 255.
_rng = np.random.default_rng(20511)
for _shape, _case in [((1, 5, 4, 1), "one example with one channel"),
                      ((3, 2, 6, 3), "a non-square batch of three colour images"),
                      ((2, 4, 4, 2), "images holding only 0 and 255")]:
    _X_orig = _rng.integers(0, 256, size=_shape, dtype=np.uint8)
    if _case.startswith("images holding"):
        _X_orig = np.where(_X_orig > 127, 255, 0).astype(np.uint8)
    _copy = _X_orig.copy()
    _X = normalize_images(_X_orig)
    check(isinstance(_X, np.ndarray) and _X.dtype.kind == "f",
          f"normalize_images, {_case}: the result must be a NumPy array of floats")
    check_close_quietly(_X, _copy.astype(np.float64) / 255.0, f"normalize_images, {_case}", rtol=1e-6, atol=1e-7)

# %% [markdown]
# ### 2.2 - One-hot labels
#
# The network ends with one output per class, six numbers per image. To compare them with the
# label, the label becomes a row of six numbers too: a 1 in the column of the right class and
# 0 elsewhere. Label 4 becomes `[0, 0, 0, 0, 1, 0]`; the labels of a batch of `m` images become
# a matrix of shape `(m, n_classes)`, one row per image, in the same order as the images.
#
# ```python
# y = np.array([1, 0, 3])        # three labels, 4 classes
# Y = [[0, 1, 0, 0],
#      [1, 0, 0, 0],
#      [0, 0, 0, 1]]
# ```
#
# One way: start from zeros of shape `(m, n_classes)` and set `Y[i, y[i]] = 1` for every `i` at
# once, with the index arrays `np.arange(m)` and `y`. Another: the rows of the identity matrix
# `np.eye(n_classes)` are the one-hot rows, so `np.eye(n_classes)[y]` picks them in order.
#
# (The original course stored one-hot labels as `(n_classes, m)`, one column per example. Here
# everything has the examples first, like the images: `(m, n_classes)`.)
#
# **Exercise 2 - `one_hot`** (3 points). Return `float32` one-hot labels of shape `(m, n_classes)`.

# %% answer one_hot
def one_hot(y, n_classes):
    """
    One-hot encode integer labels, one row per example.

    Arguments:
    y -- integer labels from 0 to n_classes - 1, numpy array of shape (m,) or (1, m)
    n_classes -- integer, the number of classes

    Returns:
    Y -- numpy array of shape (m, n_classes), dtype float32, with Y[i, k] = 1 if y[i] == k and 0 otherwise
    """
    y = np.asarray(y).reshape(-1)            # the labels as a vector of m integers

    # (≈ 2 lines)
    ### BEGIN SOLUTION
    Y = np.zeros((y.shape[0], n_classes), dtype=np.float32)
    Y[np.arange(y.shape[0]), y] = 1.0
    ### END SOLUTION

    return Y


# %% test one_hot published points=1
# Public test of one_hot with the published numbers (1 point)
@public_test("one_hot")
def _():
    y = np.array([1, 0, 3, 2, 1])
    Y = one_hot(y, 4)
    print("y =", y)
    print("Y =\n", Y)

    expect_shape("one_hot", "Y", Y, (5, 4),
                 hint="one row per example and one column per class: (m, n_classes), not (n_classes, m)")
    expect_dtype_kind("one_hot", "Y", Y, "f", hint="build Y as floats, e.g. np.zeros(..., dtype=np.float32)")
    expect_close("one_hot", "Y", Y, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]],
                 hint="for every i, row i holds a single 1, in column y[i]")

# %% test one_hot orientation points=1 hidden
# Hidden tests of one_hot (1 point): the shape is (m, n_classes) for any m and n_classes.
for _y, _n, _case in [(np.array([2, 0, 1, 1, 0, 2, 2]), 3, "7 labels, 3 classes"),
                      (np.array([5, 1]), 6, "2 labels, 6 classes"),
                      (np.array([[0, 3, 1]]), 4, "labels given as a row vector of shape (1, m)")]:
    _Y = one_hot(_y, _n)
    check(np.shape(_Y) == (np.size(_y), _n),
          f"one_hot, {_case}: the shape must be (m, n_classes), one row per example")

# %% test one_hot fresh_inputs points=1 hidden
# Hidden tests of one_hot (1 point): values on new labels, a single label, classes that never occur.
_rng = np.random.default_rng(31337)
for _y, _n, _case in [(_rng.integers(0, 6, size=40), 6, "40 random labels"),
                      (np.array([3]), 5, "a single label"),
                      (np.array([0, 0, 2, 0]), 7, "classes that never occur"),
                      (np.array([[4, 1, 1, 0, 4]]), 5, "labels given as a row vector")]:
    _Y = one_hot(_y.copy(), _n)
    _want = (np.asarray(_y).reshape(-1, 1) == np.arange(_n)).astype(float)
    check(isinstance(_Y, np.ndarray) and _Y.dtype.kind == "f", f"one_hot, {_case}: Y must be an array of floats")
    check_close_quietly(_Y, _want, f"one_hot, {_case}")

# %% [markdown]
# The prepared data: scaled images and one-hot labels for training, the integer labels kept
# for measuring accuracy later.

# %% locked prepare_data skip-at-grading raises-exception
X_train = normalize_images(X_train_orig)
X_test = normalize_images(X_test_orig)
Y_train = one_hot(y_train, 6)
Y_test = one_hot(y_test, 6)
print("X_train:", X_train.shape, X_train.dtype, f"values from {X_train.min():.1f} to {X_train.max():.1f}")
print("Y_train:", Y_train.shape, Y_train.dtype)
print("X_test: ", X_test.shape, X_test.dtype)
print("Y_test: ", Y_test.shape, Y_test.dtype)
print("labels of the first three test images:", y_test[:3], "-> one-hot rows\n", Y_test[:3])

# %% [markdown]
# ## 3 - The network
#
# The network of the original course is small: two convolutional blocks and one dense layer.
#
# `CONV2D (8 filters 4x4, same) -> RELU -> MAXPOOL (8x8, stride 8) -> CONV2D (16 filters 2x2, same) -> RELU -> MAXPOOL (4x4, stride 4) -> FLATTEN -> DENSE (6)`
#
# - The convolutions move one pixel at a time (stride 1) with "same" padding, so they keep the
#   height and width of their input and change only the number of channels.
# - Each max-pool keeps the largest value of every `f x f` tile (stride `f`: the tiles do not
#   overlap), shrinking the height and width `f` times. After both, a 64 x 64 image has become a
#   2 x 2 x 16 volume: 64 numbers.
# - FLATTEN lays those 64 numbers out as one row per example, and the DENSE (fully connected)
#   layer turns each row into 6 numbers, the **logits**: one score per class. The largest wins.
#   There is no softmax in the network itself: the cost applies it (section 3.5).
# - As in the original course, the convolutions have **no biases**: only the dense layer adds
#   one. A bias that nothing else holds in check is the first thing Adam moves, by about the
#   learning rate at every step, whatever its gradient; pushed below zero it can silence every
#   ReLU of the first layer, for all images, within the first epoch. In our runs, with conv
#   biases, 4 of 26 initial seeds of this network end up stuck at the cost of a blind guess
#   (log 6 ≈ 1.79); without them, those same 4 seeds train.
#
# A network is described here by a dictionary of its sizes, so that the same code builds the
# course's network, a bigger one, and the tiny ones the tests use.

# %% locked architectures
# Filter sizes f1, f2; numbers of filters n_C1, n_C2; max-pool window (and stride) pool1, pool2;
# keep_prob (optional, 1 when absent): the share of flattened features dropout keeps while training.
COURSE_MODEL = {"input_shape": (64, 64, 3), "f1": 4, "n_C1": 8, "pool1": 8,
                "f2": 2, "n_C2": 16, "pool2": 4, "n_classes": 6}
BIGGER_MODEL = {"input_shape": (64, 64, 3), "f1": 5, "n_C1": 16, "pool1": 4,
                "f2": 3, "n_C2": 128, "pool2": 2, "n_classes": 6, "keep_prob": 0.5}
TINY_MODEL = {"input_shape": (16, 16, 3), "f1": 4, "n_C1": 4, "pool1": 4,
              "f2": 2, "n_C2": 6, "pool2": 2, "n_classes": 6}      # for the public tests

# %% locked figure_architecture skip-at-grading
show_architecture(COURSE_MODEL, title="the course's network (COURSE_MODEL)")
plt.show()

# %% [markdown]
# ### 3.1 - "Same" padding with an even filter
#
# In the first assignment (section 3.1) a "same" convolution with stride 1 used
# `pad = (f - 1) // 2` zeros on every side, which keeps the size only for odd `f`, where
# `f - 1` is even. Our filters are 4 x 4 and 2 x 2. A filter of size `f`
# needs `f - 1` extra rows in total to produce one output row per input row: 3 for `f = 4`,
# 1 for `f = 2`. They cannot be split evenly, so one side gets one more.
#
# We follow TensorFlow (`padding="SAME"`, which the original course used) and PyTorch
# (`padding="same"`): the extra row goes to the **bottom** and the extra column to the
# **right**. For `f = 4`: one row of zeros on top, two at the bottom; for `f = 2`: none on
# top, one at the bottom. `fast_layers.same_padding(f)` returns that pair,
# `((f - 1) // 2, f // 2)`, and `conv_forward` accepts `"pad": "same"` to use it.

# %% locked figure_same_padding skip-at-grading
print("same_padding(4) =", same_padding(4), "  same_padding(2) =", same_padding(2),
      "  same_padding(3) =", same_padding(3))
show_same_padding(4)
plt.show()

# %% [markdown]
# ### 3.2 - Fast layers
#
# Your loop layers are correct but slow: Python visits every window of every filter of every
# example one at a time. One forward pass of the first layer over the 1080 training images
# would take minutes. `fast_layers.py` does the same arithmetic with a handful of large NumPy
# operations instead, and gives the same numbers (the course's tests compare it with the loop
# layers of the first assignment).
#
# **Convolution as one matrix product ("im2col").** Remember the window of output position
# `(h, w)`: rows `h * stride` to `h * stride + f`, columns `w * stride` to `w * stride + f`, all
# channels. Lay every window out as one row of a matrix `cols`, of shape
# `(m * n_H * n_W, f * f * n_C_prev)`. Each filter, flattened the same way, is a column of
# `W.reshape(f * f * n_C_prev, n_C)`. A row times a column is exactly one `conv_single_step`,
# so the whole layer is `cols @ W.reshape(...)` plus the biases: one call to an optimised
# matrix product. NumPy builds `cols` from a strided *view* of the padded input, which lists all
# windows without copying anything until the one reshape.
#
# **Backward, offset by offset.** Fix an offset `(di, dj)` inside the window. Across all output
# positions, the input entries at that offset are the strided slice
# `A_pad[:, di : di + stride * (n_H - 1) + 1 : stride, dj : ... : stride, :]` (shaded in the
# figure): one column of `cols`. The gradient `dA_prev` is built with one small matrix product
# per offset, added into that slice, and max pooling loops over the `f * f` offsets of its
# window in the same way. There are only `f * f` offsets, so these loops are short.
#
# The figure shows a 4 x 4 single-channel input with `f = 2`: each row of `cols` is one window,
# each column one offset.

# %% locked figure_im2col skip-at-grading
show_im2col(n_H_prev=4, n_W_prev=4, f=2, stride=1, offset=(0, 1))
plt.show()

# %% [markdown]
# The layers you will use, all in the style of the first assignment: every forward function
# returns `(output, cache)`, and the backward function of the same layer takes the gradient of
# its output and that cache.
#
# | call | returns | shapes |
# |---|---|---|
# | `conv_forward(A_prev, W, b, {"stride": 1, "pad": "same"})` | `Z, cache` | `A_prev (m, n_H, n_W, n_C_prev)`, `W (f, f, n_C_prev, n_C)`, `b (1, 1, 1, n_C)` or `None` (no bias) → `Z (m, n_H, n_W, n_C)` |
# | `conv_backward(dZ, cache, input_gradient=True)` | `dA_prev, dW, db` | `dA_prev` is `None` with `input_gradient=False`, `db` is `None` without a bias |
# | `relu_forward(Z)` / `relu_backward(dA, cache)` | `A, cache` / `dZ` | any shape |
# | `pool_forward(A_prev, {"f": f, "stride": f}, mode="max")` | `A, cache` | `(m, n_H, n_W, n_C)` → `(m, n_H // f, n_W // f, n_C)` |
# | `pool_backward(dA, cache, mode="max")` | `dA_prev` | the shape of `A_prev` |
# | `dense_forward(F, W, b)` / `dense_backward(dZ, cache)` | `Z, cache` / `dF, dW, db` | `F (m, n_in)`, `W (n_in, n_out)`, `b (1, n_out)` → `Z (m, n_out)` |
# | `dropout_forward(A, keep_prob, rng)` / `dropout_backward(dA, cache)` | `A_out, cache` / `dA_prev` | any shape; keeps each entry with probability `keep_prob` (mask `rng.random(A.shape) < keep_prob`) and divides the kept ones by `keep_prob` |
# | `softmax_cross_entropy(Z, Y)` | `losses, dZ` | `Z, Y (m, n_classes)` → `losses (m,)`, `dZ (m, n_classes)` |
# | `adam_init(parameters)` / `adam_update(parameters, grads, state, learning_rate)` | `state` / `parameters, state` | dictionaries of arrays |

# %% [markdown]
# ### 3.3 - Initialising the parameters
#
# The network has four parameter arrays:
#
# | parameter | shape | |
# |---|---|---|
# | `W1` | `(f1, f1, n_C0, n_C1)` | the filters of the first convolution (`n_C0 = 3` colour channels) |
# | `W2` | `(f2, f2, n_C1, n_C2)` | the filters of the second convolution |
# | `W3` | `(n_flat, n_classes)` | the weights of the dense layer |
# | `b3` | `(1, n_classes)` | its biases |
#
# `n_flat` is the number of values per example after the second max-pool. The convolutions
# keep the height and width, and a max-pool with window and stride `p` turns a size `n` into
# `n // p`; so `n_flat = (n_H0 // pool1 // pool2) * (n_W0 // pool1 // pool2) * n_C2`
# (`2 * 2 * 16 = 64` for the course's network).
#
# **Glorot (Xavier) uniform initialisation**, the default of the framework the course used:
# each weight is drawn uniformly between `-limit` and `limit`, with
#
# $$ \text{limit} = \sqrt{\frac{6}{\text{fan}_{in} + \text{fan}_{out}}} $$
#
# where `fan_in` is the number of inputs that each output adds up and `fan_out` the number of
# outputs each input feeds. For a convolution with `f x f` filters both count the window:
# `fan_in = f * f * n_C_prev` and `fan_out = f * f * n_C`. For the dense layer, `fan_in = n_flat`
# and `fan_out = n_classes`. This keeps the size of the activations, and of the gradients,
# about the same from layer to layer, so that no layer starts out much faster or slower than
# the others. The dense layer's biases start at zero.
#
# So that your numbers match the tests, draw in this order, from the generator `rng` given in
# the function: `W1`, then `W2`, then `W3`, each with `rng.uniform(-limit, limit, size=shape)`,
# converted with `.astype(np.float32)`. Every parameter is `float32`.
#
# **Exercise 3 - `initialize_parameters`** (4 points).

# %% answer initialize_parameters
def initialize_parameters(architecture, seed=0):
    """
    Glorot-uniform weights (and zero biases for the dense layer) for
    CONV2D -> RELU -> MAXPOOL -> CONV2D -> RELU -> MAXPOOL -> FLATTEN -> DENSE.

    Arguments:
    architecture -- dictionary with "input_shape" (n_H0, n_W0, n_C0), "f1", "n_C1", "pool1",
                    "f2", "n_C2", "pool2" and "n_classes"
    seed -- integer, the seed of the random generator

    Returns:
    parameters -- dictionary of float32 numpy arrays:
                  W1 (f1, f1, n_C0, n_C1), W2 (f2, f2, n_C1, n_C2),
                  W3 (n_flat, n_classes), b3 (1, n_classes),
                  with n_flat = (n_H0 // pool1 // pool2) * (n_W0 // pool1 // pool2) * n_C2
    """
    rng = np.random.default_rng(seed)
    (n_H0, n_W0, n_C0) = architecture["input_shape"]
    f1, n_C1, pool1 = architecture["f1"], architecture["n_C1"], architecture["pool1"]
    f2, n_C2, pool2 = architecture["f2"], architecture["n_C2"], architecture["pool2"]
    n_classes = architecture["n_classes"]

    n_flat = (n_H0 // pool1 // pool2) * (n_W0 // pool1 // pool2) * n_C2    # values per example after MAXPOOL 2

    # W1: its Glorot limit, then the draw (≈ 2 lines)
    ### BEGIN SOLUTION
    limit1 = np.sqrt(6.0 / (f1 * f1 * n_C0 + f1 * f1 * n_C1))
    W1 = rng.uniform(-limit1, limit1, size=(f1, f1, n_C0, n_C1)).astype(np.float32)
    ### END SOLUTION

    # W2 (≈ 2 lines)
    ### BEGIN SOLUTION
    limit2 = np.sqrt(6.0 / (f2 * f2 * n_C1 + f2 * f2 * n_C2))
    W2 = rng.uniform(-limit2, limit2, size=(f2, f2, n_C1, n_C2)).astype(np.float32)
    ### END SOLUTION

    # W3 (≈ 2 lines)
    ### BEGIN SOLUTION
    limit3 = np.sqrt(6.0 / (n_flat + n_classes))
    W3 = rng.uniform(-limit3, limit3, size=(n_flat, n_classes)).astype(np.float32)
    ### END SOLUTION

    # The biases of the dense layer, zeros (≈ 1 line)
    ### BEGIN SOLUTION
    b3 = np.zeros((1, n_classes), dtype=np.float32)
    ### END SOLUTION

    parameters = {"W1": W1, "W2": W2, "W3": W3, "b3": b3}
    return parameters


# %% test initialize_parameters published points=1
# Public test of initialize_parameters with the published numbers (1 point)
@public_test("initialize_parameters")
def _():
    parameters = initialize_parameters(COURSE_MODEL, seed=1)
    expect_keys("initialize_parameters", "parameters", parameters, ["W1", "W2", "W3", "b3"],
                hint="the convolutions have no biases: W1, W2, then W3 and b3 for the dense layer")
    for name in ("W1", "W2", "W3", "b3"):
        print(f"{name}: shape {getattr(parameters[name], 'shape', None)}, dtype {getattr(parameters[name], 'dtype', None)}")
    print("W1[0, 0, 0] =", parameters["W1"][0, 0, 0])
    print("W3[0] =", parameters["W3"][0])

    for name, shape in [("W1", (4, 4, 3, 8)), ("W2", (2, 2, 8, 16)), ("W3", (64, 6)), ("b3", (1, 6))]:
        expect_shape("initialize_parameters", name, parameters[name], shape,
                     hint="see the table above; n_flat = (64 // 8 // 4) * (64 // 8 // 4) * 16 = 64")
        expect_equal("initialize_parameters", f"the dtype of {name}", str(parameters[name].dtype), "float32",
                     hint="convert every array with .astype(np.float32) (or create it with dtype=np.float32)")
    expect_close("initialize_parameters", "W1[0, 0, 0]", parameters["W1"][0, 0, 0], [0.00436542, 0.16634475, -0.13140278, 0.16567479, -0.06948584, -0.02831358, 0.1210122, -0.03353044],
                 hint="limit = sqrt(6 / (fan_in + fan_out)) with fan_in = f * f * n_C_prev and fan_out = f * f * n_C; "
                      "draw W1, W2, W3 in this order with rng.uniform(-limit, limit, size=shape)")
    expect_close("initialize_parameters", "W3[0]", parameters["W3"][0], [-0.10572895, 0.21207014, -0.05444215, -0.20600547, -0.2863403, 0.08150093],
                 hint="for the dense layer fan_in = n_flat and fan_out = n_classes")
    expect_close("initialize_parameters", "b3", parameters["b3"], np.zeros((1, 6)), hint="the biases start at zero")

# %% test initialize_parameters shapes points=1 hidden
# Hidden tests of initialize_parameters (1 point): shapes and dtypes for other networks.
for _case, _arch in grading.ARCHS.items():
    _params = initialize_parameters(dict(_arch), seed=5)
    check(isinstance(_params, dict) and sorted(_params) == sorted(grading.parameter_shapes(_arch)),
          f"initialize_parameters, {_case}: the result must be a dictionary with W1, W2, W3, b3")
    for _name, _shape in grading.parameter_shapes(_arch).items():
        check(np.shape(_params[_name]) == _shape, f"initialize_parameters, {_case}: {_name} has the wrong shape")
        check(getattr(_params[_name], "dtype", None) == np.float32,
              f"initialize_parameters, {_case}: {_name} must be float32")

# %% test initialize_parameters glorot_range points=1 hidden
# Hidden tests of initialize_parameters (1 point): the weights spread over the Glorot range, the
# dense layer's biases are zero.
for _case, _arch in grading.ARCHS.items():
    _params = initialize_parameters(dict(_arch), seed=11)
    for _name, _limit in grading.glorot_limits(_arch).items():
        _W = np.asarray(_params[_name], dtype=np.float64)
        check(np.all(np.abs(_W) <= _limit * (1 + 1e-6)),
              f"initialize_parameters, {_case}: {_name} has values outside the Glorot range")
        if _W.size >= 40:
            check(np.abs(_W).max() >= 0.85 * _limit,
                  f"initialize_parameters, {_case}: {_name} does not use the whole Glorot range "
                  "(check fan_in and fan_out)")
    check(np.all(np.asarray(_params["b3"]) == 0), f"initialize_parameters, {_case}: b3 must be zeros")

# %% test initialize_parameters fresh_inputs points=1 hidden
# Hidden tests of initialize_parameters (1 point): the exact draws for other networks and seeds.
for (_case, _arch), _seed in zip(grading.ARCHS.items(), (3, 17, 42)):
    _params = initialize_parameters(dict(_arch), seed=_seed)
    _rng = np.random.default_rng(_seed)
    for _name, _limit in grading.glorot_limits(_arch).items():
        _want = _rng.uniform(-_limit, _limit, size=grading.parameter_shapes(_arch)[_name]).astype(np.float32)
        check_close_quietly(_params[_name], _want,
                            f"initialize_parameters, {_case}: {_name} does not hold the expected draws "
                            "(W1, W2, W3 in this order with rng.uniform)", rtol=1e-6, atol=1e-7)

# %% [markdown]
# ### 3.4 - The forward pass
#
# The forward pass chains the layers, each fed with the output of the one before:
#
# | step | layer function | with | output | course's network, one example |
# |---|---|---|---|---|
# | CONV2D | `conv_forward` | `W1`, no bias (`None`), stride 1, `"same"` padding | `Z1` | 64 x 64 x 8 |
# | RELU | `relu_forward` | | `A1` | 64 x 64 x 8 |
# | MAXPOOL | `pool_forward` | window and stride `pool1`, mode `"max"` | `P1` | 8 x 8 x 8 |
# | CONV2D | `conv_forward` | `W2`, no bias, stride 1, `"same"` | `Z2` | 8 x 8 x 16 |
# | RELU | `relu_forward` | | `A2` | 8 x 8 x 16 |
# | MAXPOOL | `pool_forward` | window and stride `pool2`, mode `"max"` | `P2` | 2 x 2 x 16 |
# | FLATTEN | a reshape | one row per example | `F` | 64 |
# | DROPOUT | `dropout_forward` | `keep_prob`, `np.random.default_rng(dropout_seed)`; only while training | `F` | 64 |
# | DENSE | `dense_forward` | `W3`, `b3` | `Z3` | 6 |
#
# Each layer function returns its output and its cache, as in the first assignment.
#
# **Flatten in NHWC order.** `P2.reshape(m, -1)` lays each example's volume out row by row,
# channel fastest: `P2[i, 0, 0, 0], P2[i, 0, 0, 1], ...`. The rows of `W3` follow that order, and
# `model_backward` will undo the flattening with the same reshape. (PyTorch keeps the channels
# first and flattens channel by channel; with our layout that order would scramble the features.)
#
# **Dropout, while training only.** A network with many dense weights can learn the training
# images by heart. Dropout fights that: at every training step it zeroes a random share
# `1 - keep_prob` of the flattened features (a new draw every step) and scales the others up by
# `1 / keep_prob`, so the dense layer cannot lean on any single feature. `model_forward`
# applies it when it is given a `dropout_seed` (`train_model` gives a new one at every step),
# with `keep_prob = architecture.get("keep_prob", 1.0)` and the generator
# `np.random.default_rng(dropout_seed)`; without a seed (`predict`) there is no dropout. The
# course's network has no `keep_prob`, so dropout keeps everything there.
#
# Keep every cache: `model_backward` needs them, in the dictionary given at the end of the cell,
# together with the shape of `P2` to undo the flattening.
#
# **Exercise 4 - `model_forward`** (8 points).

# %% answer model_forward
def model_forward(X, parameters, architecture, dropout_seed=None):
    """
    Forward pass: CONV2D -> RELU -> MAXPOOL -> CONV2D -> RELU -> MAXPOOL -> FLATTEN -> (DROPOUT) -> DENSE.

    Arguments:
    X -- input images, numpy array of shape (m, n_H0, n_W0, n_C0)
    parameters -- dictionary with W1, W2, W3, b3 (shapes as in initialize_parameters)
    architecture -- dictionary with "pool1" and "pool2", the window size (and stride) of each max-pool,
                    and optionally "keep_prob" (1.0 when absent), the keep probability of dropout
    dropout_seed -- while training, the seed of this step's dropout mask (an integer or a list of them):
                    dropout_forward(F, keep_prob, np.random.default_rng(dropout_seed)) is applied to F;
                    None (the default, for predictions): no dropout

    Returns:
    Z3 -- the logits, numpy array of shape (m, n_classes)
    caches -- dictionary for model_backward: the caches of the layers ("conv1", "relu1", "pool1",
              "conv2", "relu2", "pool2", "fc"), "flatten", the shape of P2,
              and "dropout", the cache of dropout_forward (None without dropout)
    """
    W1, W2 = parameters["W1"], parameters["W2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    pool1, pool2 = architecture["pool1"], architecture["pool2"]
    keep_prob = architecture.get("keep_prob", 1.0)
    cache_dropout = None

    # CONV2D (stride 1, "same", no bias: b is None) -> RELU -> MAXPOOL (window and stride pool1) (≈ 3 lines)
    ### BEGIN SOLUTION
    Z1, cache_conv1 = conv_forward(X, W1, None, {"stride": 1, "pad": "same"})
    A1, cache_relu1 = relu_forward(Z1)
    P1, cache_pool1 = pool_forward(A1, {"f": pool1, "stride": pool1}, mode="max")
    ### END SOLUTION

    # CONV2D (stride 1, "same") -> RELU -> MAXPOOL (window and stride pool2) (≈ 3 lines)
    ### BEGIN SOLUTION
    Z2, cache_conv2 = conv_forward(P1, W2, None, {"stride": 1, "pad": "same"})
    A2, cache_relu2 = relu_forward(Z2)
    P2, cache_pool2 = pool_forward(A2, {"f": pool2, "stride": pool2}, mode="max")
    ### END SOLUTION

    # FLATTEN (one row per example, NHWC order) -> DROPOUT if dropout_seed is not None -> DENSE,
    # no activation (≈ 4 lines)
    ### BEGIN SOLUTION
    F = P2.reshape(P2.shape[0], -1)
    if dropout_seed is not None:
        F, cache_dropout = dropout_forward(F, keep_prob, np.random.default_rng(dropout_seed))
    Z3, cache_fc = dense_forward(F, W3, b3)
    ### END SOLUTION

    caches = {"conv1": cache_conv1, "relu1": cache_relu1, "pool1": cache_pool1,
              "conv2": cache_conv2, "relu2": cache_relu2, "pool2": cache_pool2,
              "flatten": P2.shape, "dropout": cache_dropout, "fc": cache_fc}
    return Z3, caches


# %% test model_forward published points=1
# Public test of model_forward with the published numbers (1 point): the logits Z3
@public_test("model_forward", part="Z3", uses=["initialize_parameters"], last=False)
def _():
    rng = np.random.default_rng(2)
    X = rng.random((2, 16, 16, 3)).astype(np.float32)
    parameters = initialize_parameters(TINY_MODEL, seed=2)
    result = model_forward(X, parameters, TINY_MODEL)
    expect_type("model_forward", "the result", result, tuple, hint="return Z3, caches")
    Z3 = result[0]
    print("Z3 =\n", Z3)

    expect_shape("model_forward", "Z3", Z3, (2, 6), hint="16 -> 4 -> 2 after the pools, so F has 2 * 2 * 6 = 24 columns and Z3 one "
                 "row per example, one column per class")
    expect_close("model_forward", "Z3", Z3,
                 [[0.0252938, 0.17871454, 0.11028448, -0.06177473, -0.14725713, -0.11186299],
                  [0.05968252, 0.20901912, 0.26899379, -0.1025078, 0.06679893, -0.11188599]],
                 hint="stride 1 and 'same' padding in both convolutions; max-pools with window and stride pool1, pool2; "
                      "flatten with P2.reshape(m, -1); the dense layer adds b3 and has no activation")

# %% test model_forward published_caches points=1
# Public test of model_forward with the published numbers (1 point): the caches
@public_test("model_forward", part="the caches", uses=["initialize_parameters"], last=False)
def _():
    rng = np.random.default_rng(2)
    X = rng.random((2, 16, 16, 3)).astype(np.float32)
    parameters = initialize_parameters(TINY_MODEL, seed=2)
    result = model_forward(X, parameters, TINY_MODEL)
    expect_type("model_forward", "the result", result, tuple, hint="return Z3, caches")
    caches = result[1]
    expect_keys("model_forward", "caches", caches, ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "dropout", "fc"])
    expect_equal("model_forward", 'caches["flatten"]', tuple(caches["flatten"]), (2, 2, 2, 6), hint="the shape of P2")

# %% test model_forward published_dropout points=1
# Public test of model_forward with the published numbers (1 point): dropout while training
@public_test("model_forward", part="dropout", uses=["initialize_parameters"])
def _():
    rng = np.random.default_rng(2)
    X = rng.random((2, 16, 16, 3)).astype(np.float32)
    parameters = initialize_parameters(TINY_MODEL, seed=2)
    # While training, with dropout: the same network keeping half of its 24 flattened features
    Z3_dropout, caches_dropout = model_forward(X, parameters, dict(TINY_MODEL, keep_prob=0.5), dropout_seed=3)
    print("Z3 with dropout =\n", Z3_dropout)
    expect_close("model_forward", "Z3 with keep_prob 0.5 and dropout_seed=3", Z3_dropout,
                 [[-0.27224639, 0.25974244, 0.20843992, -0.11959393, -0.1292441, -0.0094631],
                  [-0.17926367, 0.05798716, 0.16065778, 0.11597045, -0.00910585, 0.08398972]],
                 hint="with a dropout_seed, call dropout_forward(F, architecture.get('keep_prob', 1.0), "
                      "np.random.default_rng(dropout_seed)) between "
                      "the flattening and the dense layer, and keep its cache in caches['dropout']")

# %% test model_forward output_shape points=1 hidden
# Hidden tests of model_forward (1 point): the shape of the logits for other networks.
_rng = np.random.default_rng(40961)
for _arch, _m, _case in grading.NETS:
    _X = _rng.random((_m,) + _arch["input_shape"])
    _result = model_forward(_X, grading.random_parameters(_arch, _rng), dict(_arch))
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "model_forward must return a pair (Z3, caches)")
    check(np.shape(_result[0]) == (_m, _arch["n_classes"]),
          f"model_forward, {_case}: Z3 must have shape (m, n_classes)")

# %% test model_forward fresh_inputs points=1 hidden
# Hidden tests of model_forward (1 point): the logits for other networks, in float64 and float32.
_rng = np.random.default_rng(51283)
for _arch, _m, _case in grading.NETS:
    for _dtype in (np.float64, np.float32):
        _X = _rng.random((_m,) + _arch["input_shape"]).astype(_dtype)
        _P = {k: v.astype(_dtype) for k, v in grading.random_parameters(_arch, _rng).items()}
        _result = model_forward(_X, _P, dict(_arch))
        check(isinstance(_result, (tuple, list)) and len(_result) == 2, "model_forward must return a pair (Z3, caches)")
        _tol = grading.tolerance("forward", _dtype)
        check_close_quietly(_result[0], grading.forward_reference(_X, _P, _arch)[0],
                            f"model_forward, {_case} ({np.dtype(_dtype).name}): Z3", rtol=_tol, atol=_tol)

# %% test model_forward caches points=2 hidden
# Hidden tests of model_forward (2 points): the caches hold what each layer returned, for the
# backward pass.
_rng = np.random.default_rng(62207)
for _arch, _m, _case in grading.NETS[:2]:
    _X = _rng.random((_m,) + _arch["input_shape"])
    _P = grading.random_parameters(_arch, _rng)
    _result = model_forward(_X, _P, dict(_arch))
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "model_forward must return a pair (Z3, caches)")
    _caches, _want = _result[1], grading.layer_caches(_X, _P, _arch)
    check(isinstance(_caches, dict) and sorted(_caches) == sorted(_want),
          f"model_forward, {_case}: caches must be the dictionary given in the answer cell")
    for _key in _want:
        if _key == "dropout":         # the dropout tests check what dropout does (here: none is asked for)
            continue
        check(grading.same_content(_caches[_key], _want[_key]),
              f"model_forward, {_case}: caches['{_key}'] is not the cache its layer returned"
              + (" (the shape of P2)" if _key == "flatten" else ""))

# %% test model_forward dropout points=1 hidden
# Hidden tests of model_forward (1 point): dropout on the flattened features with a dropout_seed,
# and none without one (as in predict).
_rng = np.random.default_rng(30517)
for (_arch, _m, _case), _keep, _seed in zip(grading.NETS, (0.5, 0.75, 0.3), (8, 21, 5)):
    _arch = dict(_arch, keep_prob=_keep)
    _X = _rng.random((_m,) + _arch["input_shape"])
    _P = grading.random_parameters(_arch, _rng)
    _result = model_forward(_X, _P, dict(_arch), dropout_seed=_seed)
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "model_forward must return a pair (Z3, caches)")
    check_close_quietly(_result[0], grading.forward_reference(_X, _P, _arch, grading.dropout_mask(_arch, _m, _seed))[0],
                        f"model_forward, {_case}, keep_prob {_keep} with a dropout_seed: Z3")
    check_close_quietly(model_forward(_X, _P, dict(_arch))[0], grading.forward_reference(_X, _P, _arch)[0],
                        f"model_forward, {_case}, keep_prob {_keep} without a dropout_seed (predicting: no dropout): Z3")

# %% [markdown]
# ### 3.5 - The cost
#
# The logits become probabilities through the **softmax**, one row per example:
#
# $$ \hat{y}_k = \frac{e^{z_k}}{\sum_j e^{z_j}} $$
#
# and the cost of one example is the **cross-entropy** between its one-hot label `y` and these
# probabilities, $-\sum_k y_k \log \hat{y}_k$: minus the log of the probability the network gives
# to the right class. It is 0 for a network certain of the right answer and grows without bound
# as the network becomes certain of a wrong one.
#
# `softmax_cross_entropy(Z3, Y)` computes it from the logits directly, as the course's framework
# did with `softmax_cross_entropy_with_logits`: that stays accurate where `np.log(softmax(Z3))`
# would take the log of a probability rounded to 0. Like the framework's function it returns
# **one loss per example**, and the gradient of each example's loss with respect to its own
# logits, which is remarkably simple: $\hat{y} - y$.
#
# The **cost** of a batch is the **mean** of its losses, so that it does not grow with the size
# of the batch and the learning rate means the same for any batch size. Its gradient with
# respect to `Z3` is therefore the gradient of each loss divided by `m`.
#
# **Exercise 5 - `compute_cost`** (4 points). Return the cost as a Python `float` and its
# gradient `dZ3`.

# %% answer compute_cost
def compute_cost(Z3, Y):
    """
    The cost of a batch, the mean softmax cross-entropy, and its gradient.

    Arguments:
    Z3 -- logits, numpy array of shape (m, n_classes)
    Y -- one-hot labels, numpy array of shape (m, n_classes)

    Returns:
    cost -- a Python float: the mean over the m examples of the softmax cross-entropy
    dZ3 -- gradient of the cost with respect to Z3, numpy array of shape (m, n_classes)
    """
    m = Z3.shape[0]

    # (≈ 3 lines)
    ### BEGIN SOLUTION
    losses, dlosses = softmax_cross_entropy(Z3, Y)
    cost = float(np.mean(losses))
    dZ3 = dlosses / m
    ### END SOLUTION

    return cost, dZ3


# %% test compute_cost published points=1
# Public test of compute_cost with the published numbers (1 point): the cost
@public_test("compute_cost", part="cost", uses=["one_hot"], last=False)
def _():
    rng = np.random.default_rng(3)
    Z3 = rng.standard_normal((4, 6))
    Y = one_hot(np.array([0, 3, 5, 1]), 6)
    result = compute_cost(Z3, Y)
    expect_type("compute_cost", "the result", result, tuple, hint="return cost, dZ3")
    cost = result[0]
    print("cost =", cost)
    expect_close("compute_cost", "cost", cost, 1.2305135975343062,
                 hint="the cost is the mean of the losses of softmax_cross_entropy, not their sum")

# %% test compute_cost published_dZ3 points=1
# Public test of compute_cost with the published numbers (1 point): the gradient dZ3
@public_test("compute_cost", part="dZ3", uses=["one_hot"])
def _():
    rng = np.random.default_rng(3)
    Z3 = rng.standard_normal((4, 6))
    Y = one_hot(np.array([0, 3, 5, 1]), 6)
    result = compute_cost(Z3, Y)
    expect_type("compute_cost", "the result", result, tuple, hint="return cost, dZ3")
    dZ3 = result[1]
    print("dZ3[0] =", dZ3[0] if isinstance(dZ3, np.ndarray) else dZ3)
    expect_shape("compute_cost", "dZ3", dZ3, (4, 6), hint="dZ3 has the shape of Z3")
    expect_close("compute_cost", "dZ3[0]", dZ3[0], [-0.07974526, 0.00171723, 0.0335983, 0.01253603, 0.01406553, 0.01782816],
                 hint="the cost is a mean over m examples, so its gradient is softmax_cross_entropy's dZ divided by m")

# %% test compute_cost fresh_inputs points=1 hidden
# Hidden tests of compute_cost (1 point): the cost of other batches: larger, a single example,
# very large logits, float32.
_COST_CASES, _rng = grading.cost_cases()
for _Z, _y, _n, _case in _COST_CASES:
    _Y = (_y.reshape(-1, 1) == np.arange(_n)).astype(_Z.dtype)
    _result = compute_cost(_Z.copy(), _Y)
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "compute_cost must return a pair (cost, dZ3)")
    _cost = _result[0]
    check(np.ndim(_cost) == 0 and not isinstance(_cost, (bool, np.bool_)),
          f"compute_cost, {_case}: the cost must be a single number")
    _tol = grading.tolerance("cost", _Z.dtype)
    check(np.isfinite(float(_cost)) and np.isclose(float(_cost), grading.cost_reference(_Z, _Y)[0], rtol=_tol, atol=_tol),
          f"compute_cost, {_case}: the cost is wrong. It is the mean over the examples of their losses")

# %% test compute_cost gradient points=1 hidden
# Hidden tests of compute_cost (1 point): dZ3 is the gradient of the cost (checked against the
# formula and numerically).
_COST_CASES, _rng = grading.cost_cases()
for _Z, _y, _n, _case in _COST_CASES:
    _Y = (_y.reshape(-1, 1) == np.arange(_n)).astype(_Z.dtype)
    _result = compute_cost(_Z.copy(), _Y)
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "compute_cost must return a pair (cost, dZ3)")
    _tol = grading.tolerance("cost", _Z.dtype)
    check_close_quietly(_result[1], grading.cost_reference(_Z, _Y)[1],
                        f"compute_cost, {_case}: dZ3 is not the gradient of the cost", rtol=_tol, atol=_tol)
    if _Z.dtype == np.float64 and np.abs(_Z).max() < 50:
        _v = _rng.standard_normal(_Z.shape)
        check(np.isclose(np.sum(np.asarray(_result[1], dtype=float) * _v),
                         directional_derivative(lambda z: grading.cost_reference(z, _Y)[0], _Z, _v), rtol=1e-5, atol=1e-8),
              f"compute_cost, {_case}: dZ3 does not match the numerical gradient of the cost")

# %% [markdown]
# ### 3.6 - The backward pass
#
# The backward pass visits the layers in reverse order. Each backward function takes the
# gradient of its layer's output and the layer's cache, and returns the gradient of its input
# (and of its parameters, if it has any), which becomes the output gradient of the layer
# before:
#
# | step | layer function | with the cache | gives |
# |---|---|---|---|
# | DENSE | `dense_backward` | `"fc"` | `dF`, `dW3`, `db3` |
# | DROPOUT, if used | `dropout_backward` | `"dropout"`, when it is not `None` | `dF`, scaled by the same mask |
# | FLATTEN, undone | a reshape of `dF` | `"flatten"`, the shape of `P2` | `dP2`, in the same NHWC order |
# | MAXPOOL | `pool_backward`, mode `"max"` | `"pool2"` | `dA2` |
# | RELU | `relu_backward` | `"relu2"` | `dZ2` |
# | CONV2D | `conv_backward` | `"conv2"` | `dP1`, `dW2` (and `None` for the bias it does not have) |
# | MAXPOOL, RELU, CONV2D | the same for the first block | `"pool1"`, `"relu1"`, `"conv1"` | `dW1` |
#
# The first convolution's input is the images: nobody needs their gradient, and computing it
# would cost as much time as the rest of that layer's backward pass. Call
# `conv_backward(dZ1, caches["conv1"], input_gradient=False)`, which returns `None` in its place.
#
# How do we know the result is right? A **gradient check**: nudge a parameter by a tiny step
# `eps` along a random direction `v`, in both directions, and compare the change of the cost
# with the gradient: `(J(θ + eps v) - J(θ - eps v)) / (2 eps)` must be close to `sum(dθ * v)`.
# The hidden tests run that check on the whole network, in float64.
#
# **Exercise 6 - `model_backward`** (10 points).

# %% answer model_backward
def model_backward(dZ3, caches):
    """
    Backward pass of the network: the gradients of the cost with respect to every parameter.

    Arguments:
    dZ3 -- gradient of the cost with respect to the logits, numpy array of shape (m, n_classes)
    caches -- the dictionary of caches returned by model_forward

    Returns:
    grads -- dictionary with dW1, dW2, dW3, db3, each of the shape of its parameter
    """
    # DENSE, DROPOUT if the forward pass used it (caches["dropout"] is not None), then undo FLATTEN (≈ 4 lines)
    ### BEGIN SOLUTION
    dF, dW3, db3 = dense_backward(dZ3, caches["fc"])
    if caches["dropout"] is not None:
        dF = dropout_backward(dF, caches["dropout"])
    dP2 = dF.reshape(caches["flatten"])
    ### END SOLUTION

    # MAXPOOL -> RELU -> CONV2D of the second block (≈ 3 lines)
    ### BEGIN SOLUTION
    dA2 = pool_backward(dP2, caches["pool2"], mode="max")
    dZ2 = relu_backward(dA2, caches["relu2"])
    dP1, dW2, _ = conv_backward(dZ2, caches["conv2"])
    ### END SOLUTION

    # MAXPOOL -> RELU -> CONV2D of the first block, without the gradient of the images (≈ 3 lines)
    ### BEGIN SOLUTION
    dA1 = pool_backward(dP1, caches["pool1"], mode="max")
    dZ1 = relu_backward(dA1, caches["relu1"])
    _, dW1, _ = conv_backward(dZ1, caches["conv1"], input_gradient=False)
    ### END SOLUTION

    grads = {"dW1": dW1, "dW2": dW2, "dW3": dW3, "db3": db3}
    return grads


# %% test model_backward published points=1
# Public test of model_backward with the published numbers (1 point): the dense layer's dW3 and db3
@public_test("model_backward", part="dW3 and db3", uses=["initialize_parameters", "model_forward", "compute_cost", "one_hot"], last=False)
def _():
    rng = np.random.default_rng(4)
    X = rng.random((3, 16, 16, 3))
    parameters = {name: value.astype(np.float64) for name, value in initialize_parameters(TINY_MODEL, seed=4).items()}
    Z3, caches = model_forward(X, parameters, TINY_MODEL)
    cost, dZ3 = compute_cost(Z3, one_hot(np.array([2, 0, 5]), 6))
    grads = model_backward(dZ3, caches)
    expect_keys("model_backward", "grads", grads, ["dW1", "dW2", "dW3", "db3"])
    for name in ("W3", "b3"):
        print(f"d{name}: shape {getattr(grads['d' + name], 'shape', None)}")
        expect_shape("model_backward", "d" + name, grads["d" + name], parameters[name].shape,
                     hint="every gradient has the shape of its parameter")
    expect_close("model_backward", "db3", grads["db3"], [[-0.16661767, 0.16289606, -0.28080733, 0.10571314, 0.47944123, -0.30062543]],
                 hint="dense_backward(dZ3, caches['fc']) gives dF, dW3, db3")

# %% test model_backward published_dW2 points=1
# Public test of model_backward with the published numbers (1 point): dW2, the second convolution
@public_test("model_backward", part="dW2", uses=["initialize_parameters", "model_forward", "compute_cost", "one_hot"], last=False)
def _():
    rng = np.random.default_rng(4)
    X = rng.random((3, 16, 16, 3))
    parameters = {name: value.astype(np.float64) for name, value in initialize_parameters(TINY_MODEL, seed=4).items()}
    Z3, caches = model_forward(X, parameters, TINY_MODEL)
    cost, dZ3 = compute_cost(Z3, one_hot(np.array([2, 0, 5]), 6))
    grads = model_backward(dZ3, caches)
    expect_keys("model_backward", "grads", grads, ["dW1", "dW2", "dW3", "db3"])
    expect_shape("model_backward", "dW2", grads["dW2"], parameters["W2"].shape, hint="dW2 has the shape of W2")
    print("dW2[0, 0, 0] =", grads["dW2"][0, 0, 0])
    expect_close("model_backward", "dW2[0, 0, 0]", grads["dW2"][0, 0, 0], [0.02755033, 0.21949545, 0.56308006, -0.43992037, -0.62038156, 0.42876672],
                 hint="undo the flattening with dF.reshape(caches['flatten']), then pool_backward, relu_backward and "
                      "conv_backward with the caches of the second block")

# %% test model_backward published_dW1 points=1
# Public test of model_backward with the published numbers (1 point): dW1, the first convolution
@public_test("model_backward", part="dW1", uses=["initialize_parameters", "model_forward", "compute_cost", "one_hot"])
def _():
    rng = np.random.default_rng(4)
    X = rng.random((3, 16, 16, 3))
    parameters = {name: value.astype(np.float64) for name, value in initialize_parameters(TINY_MODEL, seed=4).items()}
    Z3, caches = model_forward(X, parameters, TINY_MODEL)
    cost, dZ3 = compute_cost(Z3, one_hot(np.array([2, 0, 5]), 6))
    grads = model_backward(dZ3, caches)
    expect_keys("model_backward", "grads", grads, ["dW1", "dW2", "dW3", "db3"])
    expect_shape("model_backward", "dW1", grads["dW1"], parameters["W1"].shape, hint="dW1 has the shape of W1")
    print("dW1[0, 0, 0] =", grads["dW1"][0, 0, 0])
    expect_close("model_backward", "dW1[0, 0, 0]", grads["dW1"][0, 0, 0], [0.50187219, -0.07739486, 0.21794839, -0.16129455],
                 hint="the first block: pool_backward, relu_backward, conv_backward with caches 'pool1', 'relu1', 'conv1'")

# %% test model_backward dense points=2 hidden
# Hidden tests of model_backward (2 points): dW3 and db3 on other networks, and a gradient check
# of the cost with respect to W3 and b3.
grading.check_model_backward(model_backward, ("dW3", "db3"), seed=95153)
grading.gradient_check_model_backward(model_backward, ("W3", "b3"), seed=27361)

# %% test model_backward conv2 points=2 hidden
# Hidden tests of model_backward (2 points): dW2, the gradient of the second convolution, on other
# networks in float64 and float32, and a gradient check.
grading.check_model_backward(model_backward, ("dW2",), seed=16057, dtypes=(np.float64, np.float32))
grading.gradient_check_model_backward(model_backward, ("W2",), seed=27367)

# %% test model_backward conv1 points=2 hidden
# Hidden tests of model_backward (2 points): dW1, the gradient of the first convolution, on other
# networks in float64 and float32, and a gradient check.
grading.check_model_backward(model_backward, ("dW1",), seed=16063, dtypes=(np.float64, np.float32))
grading.gradient_check_model_backward(model_backward, ("W1",), seed=27373)

# %% test model_backward dropout points=1 hidden
# Hidden tests of model_backward (1 point): the gradients of a network trained with dropout.
_rng = np.random.default_rng(61403)
for (_arch, _m, _case), _keep, _seed in zip(grading.NETS, (0.5, 0.6, 0.4), (3, 14, 9)):
    _arch = dict(_arch, keep_prob=_keep)
    _X = _rng.random((_m,) + _arch["input_shape"])
    _P = grading.random_parameters(_arch, _rng)
    _Y = (_rng.integers(0, _arch["n_classes"], _m).reshape(-1, 1) == np.arange(_arch["n_classes"])).astype(float)
    _Z3, _caches = model_forward(_X, _P, dict(_arch), dropout_seed=_seed)
    _dZ3 = compute_cost(_Z3, _Y)[1]
    _want = grading.backward_reference(_dZ3, _P, _arch,
                                grading.forward_reference(_X, _P, _arch, grading.dropout_mask(_arch, _m, _seed))[1])
    _grads = model_backward(_dZ3, _caches)
    check(isinstance(_grads, dict), "model_backward must return a dictionary of gradients")
    for _name in ("dW3", "db3", "dW2", "dW1"):
        check_close_quietly(_grads.get(_name), _want[_name], f"model_backward, {_case}, with dropout: {_name}")

# %% [markdown]
# ## 4 - Training
#
# ### 4.1 - Mini-batches
#
# Training takes one gradient step per **mini-batch** of 64 images rather than one per pass
# over all 1080: many more, cheaper steps, and the noise of the small batches does no harm. At
# the start of every **epoch** (one pass over the data), the examples are shuffled, so that
# the batches differ from epoch to epoch. Shuffling matters doubly here: the training file is
# sorted by sign, and batches of a single sign would pull the network back and forth.
#
# Two rules:
# - **One permutation for both arrays.** Image `i` must keep its label. Reorder `X` and `Y`
#   with the same index array: `X[permutation]` and `Y[permutation]`.
# - **Keep the rest.** When the batch size does not divide `m`, the last batch is smaller
#   (1080 = 16 x 64 + 56). Slicing past the end of an array simply stops at the end.
#
# **Exercise 7 - `random_mini_batches`** (5 points). The permutation is given: draw nothing
# else from the generator.

# %% answer random_mini_batches
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """
    Shuffle (X, Y) with one permutation and cut them into mini-batches.

    Arguments:
    X -- inputs, numpy array of shape (m, n_H, n_W, n_C)
    Y -- one-hot labels, numpy array of shape (m, n_classes)
    mini_batch_size -- integer, the number of examples per mini-batch (the last one may have fewer)
    seed -- integer, the seed of the shuffle

    Returns:
    mini_batches -- list of pairs (mini_batch_X, mini_batch_Y): the shuffled examples 0 to
                    mini_batch_size - 1, then the next mini_batch_size, and so on; the last pair
                    holds what is left
    """
    m = X.shape[0]
    permutation = np.random.default_rng(seed).permutation(m)

    # Shuffle X and Y with the same permutation (≈ 2 lines)
    ### BEGIN SOLUTION
    shuffled_X = X[permutation]
    shuffled_Y = Y[permutation]
    ### END SOLUTION

    # Cut them into consecutive mini-batches, the last one possibly smaller (≈ 3 lines)
    mini_batches = []
    ### BEGIN SOLUTION
    for start in range(0, m, mini_batch_size):
        mini_batches.append((shuffled_X[start:start + mini_batch_size],
                             shuffled_Y[start:start + mini_batch_size]))
    ### END SOLUTION

    return mini_batches


# %% test random_mini_batches published points=1
# Public test of random_mini_batches with the published numbers (1 point)
@public_test("random_mini_batches", uses=["one_hot"])
def _():
    X = np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1) * np.ones((1, 2, 2, 1), dtype=np.float32)  # image i is all i
    Y = one_hot(np.arange(10) % 3, 3)
    mini_batches = random_mini_batches(X, Y, mini_batch_size=4, seed=3)
    expect_type("random_mini_batches", "the result", mini_batches, list, hint="return a list of (mini_batch_X, mini_batch_Y) pairs")
    print("number of mini-batches:", len(mini_batches))
    for k, (mini_batch_X, mini_batch_Y) in enumerate(mini_batches):
        print(f"mini-batch {k}: images {mini_batch_X[:, 0, 0, 0].astype(int)}, labels {np.argmax(mini_batch_Y, axis=1)}")

    expect_equal("random_mini_batches", "the sizes of the mini-batches", [len(b[0]) for b in mini_batches], [4, 4, 2],
                 hint="slices of mini_batch_size examples, and a last one with the 2 that are left")
    published_order = np.array([9, 6, 0, 2, 1, 4, 7, 5, 3, 8])
    expect_equal("random_mini_batches", "the images of the mini-batches, in order",
                 np.concatenate([b[0][:, 0, 0, 0] for b in mini_batches]).astype(int), published_order,
                 hint="shuffle with X[permutation], with the permutation given in the function")
    expect_equal("random_mini_batches", "the labels of the mini-batches, in order",
                 np.concatenate([np.argmax(b[1], axis=1) for b in mini_batches]), published_order % 3,
                 hint="each image keeps its label: shuffle Y with the same permutation as X")

# %% test random_mini_batches sizes points=1 hidden
# Hidden tests of random_mini_batches (1 point): the number and sizes of the mini-batches.
_rng = np.random.default_rng(38183)
for _m, _size, _case in grading.BATCH_CASES:
    _X, _Y, _y = grading.labelled_examples(_m, 4, _rng)
    _batches = random_mini_batches(_X, _Y, _size, seed=7)
    check(isinstance(_batches, (list, tuple)), "random_mini_batches must return a list of pairs")
    _want = [min(_size, _m - start) for start in range(0, _m, _size)]
    check([len(b[0]) if isinstance(b, (list, tuple)) and len(b) == 2 else -1 for b in _batches] == _want
          and all(len(b[1]) == len(b[0]) for b in _batches),
          f"random_mini_batches, {_case}: the number or the sizes of the mini-batches are wrong")

# %% test random_mini_batches pairs points=1 hidden
# Hidden tests of random_mini_batches (1 point): every image keeps its label.
_rng = np.random.default_rng(49201)
for _m, _size, _case in grading.BATCH_CASES:
    _X, _Y, _y = grading.labelled_examples(_m, 5, _rng)
    _batches = random_mini_batches(_X, _Y, _size, seed=9)
    check(isinstance(_batches, (list, tuple)) and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in _batches),
          "random_mini_batches must return a list of pairs")
    for _bX, _bY in _batches:
        _ids = np.asarray(_bX)[:, 0, 0, 0].astype(int)
        check(np.shape(_bY) == (len(_ids), 5) and np.array_equal(np.asarray(_bY), _Y[_ids]),
              f"random_mini_batches, {_case}: some images are paired with another image's label. "
              "Shuffle X and Y with the same permutation")

# %% test random_mini_batches every_example_once points=1 hidden
# Hidden tests of random_mini_batches (1 point): the mini-batches hold every image exactly once,
# shuffled.
_rng = np.random.default_rng(50227)
for _m, _size, _case in grading.BATCH_CASES + [(40, 8, "40 examples")]:
    _X, _Y, _y = grading.labelled_examples(_m, 3, _rng)
    _batches = random_mini_batches(_X, _Y, _size, seed=11)
    check(isinstance(_batches, (list, tuple)) and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in _batches),
          "random_mini_batches must return a list of pairs")
    _ids = np.concatenate([np.asarray(b[0])[:, 0, 0, 0] for b in _batches]).astype(int) if _batches else np.array([])
    check(np.array_equal(np.sort(_ids), np.arange(_m)),
          f"random_mini_batches, {_case}: the mini-batches must hold every example exactly once")
    if _m >= 20:
        check(not np.array_equal(_ids, np.arange(_m)), f"random_mini_batches, {_case}: the examples are not shuffled")

# %% test random_mini_batches shuffle points=1 hidden
# Hidden tests of random_mini_batches (1 point): the order follows the permutation drawn from
# the seed.
_rng = np.random.default_rng(61129)
for (_m, _size, _case), _seed in zip(grading.BATCH_CASES, (13, 29, 31, 37)):
    _X, _Y, _y = grading.labelled_examples(_m, 4, _rng)
    _batches = random_mini_batches(_X, _Y, _size, seed=_seed)
    check(isinstance(_batches, (list, tuple)) and all(isinstance(b, (list, tuple)) and len(b) == 2 for b in _batches),
          "random_mini_batches must return a list of pairs")
    _order = np.random.default_rng(_seed).permutation(_m)
    _got = [np.asarray(b[0])[:, 0, 0, 0].astype(int) for b in _batches]
    check(len(_got) == len(range(0, _m, _size)) and all(np.array_equal(g, _order[k * _size:(k + 1) * _size])
                                                        for k, g in enumerate(_got)),
          f"random_mini_batches, {_case}: the mini-batches do not follow the given permutation")

# %% [markdown]
# ### 4.2 - Adam
#
# Plain gradient descent moves every parameter by `learning_rate * gradient`. **Adam** keeps,
# for every parameter, a moving average of its gradients (the momentum `m`, which smooths out
# the noise of the mini-batches) and of their squares (`v`, which measures how large the
# gradients of that parameter usually are), and steps by
#
# $$ \theta \leftarrow \theta - \alpha \, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}, \qquad
#    \hat m = \frac{m}{1 - \beta_1^t}, \quad \hat v = \frac{v}{1 - \beta_2^t} $$
#
# so every parameter moves by about `learning_rate` per step, whatever the scale of its
# gradient. The divisions by `1 - beta ** t` correct the averages for starting at zero. Without
# them the first steps would be too *large*: after one step `m = (1 - beta1) g` and
# `v = (1 - beta2) g**2`, so the step would be `(1 - beta1) / sqrt(1 - beta2)` = 0.1 / 0.032,
# about 3.2 times `learning_rate` (with the usual `beta1 = 0.9`, `beta2 = 0.999`), instead of
# `learning_rate`. `fast_layers` provides it for a whole dictionary
# of parameters (you met the formulas in the course on optimisation):
#
# ```python
# state = adam_init(params)                                  # zero moments, t = 0, for a dictionary of arrays
# params, state = adam_update(params, grads, state, 0.01)    # one step: params["W1"] moves along -grads["dW1"]...
# ```
#
# `adam_update` updates the arrays of `parameters` in place and returns the same dictionary;
# `grads` holds `"dW1"` for `"W1"`, and so on, as `model_backward` returns them.

# %% [markdown]
# ### 4.3 - The training loop
#
# Put everything together. Initialise the parameters and Adam's state; then, for every epoch,
# shuffle into mini-batches with the seed `seed + 1 + epoch` (a new order every epoch, the same
# on every run), and for every mini-batch: forward pass (with the `dropout_seed` the loop gives
# you, a new one at every step, so that dropout is applied where the architecture asks for it),
# cost, backward pass, one Adam step.
#
# Record one number per epoch, the **epoch cost**: the mean cost over all the examples of the
# epoch. The mini-batches do not all have the same size, so weight each batch's cost by its
# size: add `cost * (number of examples in the batch) / m` for every batch.
#
# **Exercise 8 - `train_model`** (8 points).

# %% answer train_model
def train_model(X_train, Y_train, architecture, learning_rate=0.009, num_epochs=100, mini_batch_size=64,
                seed=0, print_cost=False):
    """
    Train the network with mini-batch Adam.

    Arguments:
    X_train -- training images, numpy array of shape (m, n_H0, n_W0, n_C0)
    Y_train -- one-hot labels, numpy array of shape (m, n_classes)
    architecture -- dictionary describing the network (see initialize_parameters)
    learning_rate -- Adam's learning rate
    num_epochs -- number of passes over the training set
    mini_batch_size -- number of examples per mini-batch
    seed -- integer: initialize_parameters uses it, epoch e shuffles with seed + 1 + e, and the
            dropout mask of mini-batch t of epoch e has the seed [seed, e, t]
    print_cost -- if True, print the cost every 10 epochs and after the last one

    Returns:
    parameters -- the trained parameters, a dictionary as returned by initialize_parameters
    costs -- list of num_epochs floats, the epoch costs: the costs of the mini-batches weighted by their sizes
    """
    m = X_train.shape[0]

    # The parameters (with the seed) and Adam's state (≈ 2 lines)
    ### BEGIN SOLUTION
    parameters = initialize_parameters(architecture, seed)
    adam_state = adam_init(parameters)
    ### END SOLUTION

    costs = []
    for epoch in range(num_epochs):
        # A new shuffle for this epoch, with the seed seed + 1 + epoch (≈ 1 line)
        ### BEGIN SOLUTION
        mini_batches = random_mini_batches(X_train, Y_train, mini_batch_size, seed + 1 + epoch)
        ### END SOLUTION

        epoch_cost = 0.0
        for t, (mini_batch_X, mini_batch_Y) in enumerate(mini_batches):
            dropout_seed = [seed, epoch, t]        # this step's dropout mask (if the architecture has keep_prob < 1)
            # Forward pass (with dropout_seed), cost, backward pass, Adam step, and this batch's share
            # of the epoch cost (≈ 5 lines)
            ### BEGIN SOLUTION
            Z3, caches = model_forward(mini_batch_X, parameters, architecture, dropout_seed)
            cost, dZ3 = compute_cost(Z3, mini_batch_Y)
            grads = model_backward(dZ3, caches)
            parameters, adam_state = adam_update(parameters, grads, adam_state, learning_rate)
            epoch_cost += cost * mini_batch_X.shape[0] / m
            ### END SOLUTION

        costs.append(epoch_cost)
        if print_cost and (epoch % 10 == 0 or epoch == num_epochs - 1):
            print(f"Cost after epoch {epoch}: {epoch_cost:.6f}")

    return parameters, costs


# %% test train_model published points=1
# Public test of train_model with the published numbers (1 point): the epoch costs of a tiny
# network on 12 images
@public_test("train_model", part="costs", uses=["one_hot", "initialize_parameters", "model_forward", "compute_cost", "model_backward", "random_mini_batches"], last=False)
def _():
    SMALL_MODEL = {"input_shape": (8, 8, 3), "f1": 2, "n_C1": 3, "pool1": 2, "f2": 2, "n_C2": 4, "pool2": 2, "n_classes": 3}
    rng = np.random.default_rng(5)
    X = rng.random((12, 8, 8, 3)).astype(np.float32)
    Y = one_hot(rng.integers(0, 3, 12), 3)
    result = train_model(X, Y, SMALL_MODEL, learning_rate=0.01, num_epochs=3, mini_batch_size=5, seed=5)
    expect_type("train_model", "the result", result, tuple, hint="return parameters, costs")
    costs = result[1]
    print("costs =", costs)
    expect_equal("train_model", "the number of recorded costs", len(costs), 3, hint="one epoch cost per epoch")
    expect_close("train_model", "costs", costs, [1.20682983, 1.14797964, 1.10444785], rtol=1e-4, atol=1e-6,
                 hint="weight every batch's cost by its size: epoch_cost += cost * batch size / m; shuffle each epoch "
                      "with seed + 1 + epoch; initialise with initialize_parameters(architecture, seed)")

# %% test train_model published_parameters points=1
# Public test of train_model with the published numbers (1 point): the trained parameters
@public_test("train_model", part="parameters", uses=["one_hot", "initialize_parameters", "model_forward", "compute_cost", "model_backward", "random_mini_batches"])
def _():
    SMALL_MODEL = {"input_shape": (8, 8, 3), "f1": 2, "n_C1": 3, "pool1": 2, "f2": 2, "n_C2": 4, "pool2": 2, "n_classes": 3}
    rng = np.random.default_rng(5)
    X = rng.random((12, 8, 8, 3)).astype(np.float32)
    Y = one_hot(rng.integers(0, 3, 12), 3)
    result = train_model(X, Y, SMALL_MODEL, learning_rate=0.01, num_epochs=3, mini_batch_size=5, seed=5)
    expect_type("train_model", "the result", result, tuple, hint="return parameters, costs")
    parameters = result[0]
    print("W3[0] =", parameters["W3"][0] if isinstance(parameters, dict) else None)
    expect_type("train_model", "parameters", parameters, dict, hint="return the dictionary of trained parameters first")
    expect_close("train_model", "W3[0] after training", parameters["W3"][0], [0.01916775, 0.5204721, -0.25375932], rtol=1e-4, atol=1e-6,
                 hint="for every mini-batch: model_forward, compute_cost, model_backward, adam_update with learning_rate")

# %% test train_model costs points=2 hidden
# Hidden tests of train_model (2 points): the epoch costs on other data, networks and settings.
_rng = np.random.default_rng(72143)
for _case in grading.TRAIN_CASES:
    _arch, _m, _lr, _epochs, _size, _seed, _name = _case
    _X, _Y = grading.train_case(_case, _rng)
    _result = train_model(_X, _Y, dict(_arch), learning_rate=_lr, num_epochs=_epochs, mini_batch_size=_size, seed=_seed)
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "train_model must return a pair (parameters, costs)")
    check(np.shape(_result[1]) == (_epochs,), f"train_model, {_name}: costs must hold one number per epoch")
    check_close_quietly(_result[1], grading.train_reference(_X, _Y, _arch, _lr, _epochs, _size, _seed)[1],
                        f"train_model, {_name}: the epoch costs", rtol=1e-4, atol=1e-6)

# %% test train_model parameters points=1 hidden
# Hidden tests of train_model (1 point): the trained parameters on other data, networks and settings.
_rng = np.random.default_rng(83177)
for _case in grading.TRAIN_CASES:
    _arch, _m, _lr, _epochs, _size, _seed, _name = _case
    _X, _Y = grading.train_case(_case, _rng)
    _result = train_model(_X, _Y, dict(_arch), learning_rate=_lr, num_epochs=_epochs, mini_batch_size=_size, seed=_seed)
    check(isinstance(_result, (tuple, list)) and len(_result) == 2, "train_model must return a pair (parameters, costs)")
    check(isinstance(_result[0], dict), f"train_model, {_name}: parameters must be a dictionary")
    _want = grading.train_reference(_X, _Y, _arch, _lr, _epochs, _size, _seed)[0]
    for _name_p in ("W1", "W2", "W3", "b3"):
        check_close_quietly(_result[0].get(_name_p), _want[_name_p],
                            f"train_model, {_name}: the trained {_name_p}", rtol=1e-3, atol=1e-5)

# %% test train_model dropout points=1 hidden
# Hidden tests of train_model (1 point): a network with dropout: the trained parameters (the epoch
# costs are graded on their own).
_rng = np.random.default_rng(47711)
_case = (dict(grading.TRAIN_CASES[0][0], keep_prob=0.5),) + grading.TRAIN_CASES[0][1:6] + ("a network with dropout (keep_prob 0.5)",)
_arch, _m, _lr, _epochs, _size, _seed, _name = _case
_X, _Y = grading.train_case(_case, _rng)
_result = train_model(_X, _Y, dict(_arch), learning_rate=_lr, num_epochs=_epochs, mini_batch_size=_size, seed=_seed)
check(isinstance(_result, (tuple, list)) and len(_result) == 2, "train_model must return a pair (parameters, costs)")
_want_parameters = grading.train_reference(_X, _Y, _arch, _lr, _epochs, _size, _seed)[0]
check(isinstance(_result[0], dict), f"train_model, {_name}: parameters must be a dictionary")
for _name_p in ("W1", "W2", "W3", "b3"):
    check_close_quietly(_result[0].get(_name_p), _want_parameters[_name_p], f"train_model, {_name}: the trained {_name_p} (pass dropout_seed to model_forward)",
                        rtol=1e-3, atol=1e-5)

# %% test train_model learns points=2 hidden
# Hidden tests of train_model (2 points): on an easy problem, training drives the cost down and
# the network learns to classify.
_rng = np.random.default_rng(94201)
_EASY = {"input_shape": (8, 8, 1), "f1": 3, "n_C1": 4, "pool1": 2, "f2": 2, "n_C2": 4, "pool2": 2, "n_classes": 3}
_y = np.repeat(np.arange(3), 16)
_X = _rng.random((48, 8, 8, 1)).astype(np.float32) * 0.3
for _k in range(3):                                   # class k: a bright bar in rows 3k to 3k + 1
    _X[_y == _k, 3 * _k:3 * _k + 2, :, 0] += 0.7
_Y = (_y.reshape(-1, 1) == np.arange(3)).astype(np.float32)
_result = train_model(_X, _Y, dict(_EASY), learning_rate=0.02, num_epochs=12, mini_batch_size=8, seed=1)
check(isinstance(_result, (tuple, list)) and len(_result) == 2, "train_model must return a pair (parameters, costs)")
_costs = np.asarray(_result[1], dtype=float).reshape(-1)
check(_costs.size == 12 and np.all(np.isfinite(_costs)), "train_model on an easy problem: costs must hold one number per epoch")
check(_costs[-1] < 0.5 * _costs[0], "train_model on an easy problem: the cost does not go down enough")
check(np.mean(np.argmax(model_forward(_X, _result[0], _EASY)[0], axis=1) == _y) >= 0.9,
      "train_model on an easy problem: the trained network does not classify the training images")

# %% [markdown]
# ### 4.4 - Training the course's network
#
# The course's settings: Adam with learning rate 0.009, 100 epochs, mini-batches of 64, the
# images and labels of section 2. With the fast layers this takes one to two minutes on a
# laptop (the first convolution does most of the work). The cost printed every 10 epochs should
# fall from about 1.8 (a guess among six classes: log 6 ≈ 1.79) to around 0.3.

# %% locked train_course_model skip-at-grading raises-exception
course_parameters, course_costs = train_model(X_train, Y_train, COURSE_MODEL, learning_rate=0.009,
                                              num_epochs=100, mini_batch_size=64, seed=0, print_cost=True)

# %% locked figure_cost_curve skip-at-grading raises-exception
show_cost_curve(course_costs, learning_rate=0.009, title="the course's network: cost per epoch (learning rate 0.009)")
plt.show()

# %% [markdown]
# The curve is not smooth: every epoch sees the batches in a new order, and Adam's steps of
# about 0.009 per parameter are large enough to overshoot now and then. The trend is what
# counts.
#
# ## 5 - Evaluation
#
# ### 5.1 - Predictions
#
# The predicted class of an image is the one with the largest logit (the softmax does not
# change which one is largest, so there is no need to compute it): `np.argmax` along the class
# axis, axis 1. To keep the memory small, `predict` runs the network on a few examples at a
# time; the caches are not needed here.
#
# **Exercise 9 - `predict`** (3 points).

# %% answer predict
def predict(X, parameters, architecture, batch_size=128):
    """
    The predicted class of every image.

    Arguments:
    X -- images, numpy array of shape (m, n_H0, n_W0, n_C0)
    parameters -- the network's parameters (see initialize_parameters)
    architecture -- the dictionary describing the network
    batch_size -- how many images go through the network at once

    Returns:
    predictions -- numpy array of shape (m,) of integers: for each image, the class with the largest logit
    """
    predictions = []
    for start in range(0, X.shape[0], batch_size):
        # The logits of X[start:start + batch_size] and their largest class (≈ 2 lines)
        ### BEGIN SOLUTION
        Z3, _ = model_forward(X[start:start + batch_size], parameters, architecture)
        predictions.append(np.argmax(Z3, axis=1))
        ### END SOLUTION

    return np.concatenate(predictions)


# %% test predict published points=1
# Public test of predict with the published numbers (1 point)
@public_test("predict", uses=["initialize_parameters", "model_forward"])
def _():
    rng = np.random.default_rng(6)
    X = rng.random((7, 16, 16, 3)).astype(np.float32)
    parameters = initialize_parameters(TINY_MODEL, seed=6)
    parameters["W3"] = parameters["W3"] * 50       # sharper logits, so that the classes differ
    predictions = predict(X, parameters, TINY_MODEL, batch_size=3)
    print("predictions =", predictions)

    expect_shape("predict", "predictions", predictions, (7,), hint="one label per image: np.argmax(Z3, axis=1)")
    expect_dtype_kind("predict", "predictions", predictions, "iu", hint="np.argmax returns integers")
    expect_equal("predict", "predictions", predictions, [4, 3, 4, 4, 3, 3, 4],
                 hint="the largest logit of each row: np.argmax along axis 1, not axis 0")

# %% test predict fresh_inputs points=2 hidden
# Hidden tests of predict (2 points): other networks, a single image, more images than batch_size.
_rng = np.random.default_rng(15173)
for (_arch, _m, _case), _count, _size in zip(grading.NETS, (1, 300, 5), (128, 128, 2)):
    _X = _rng.random((_count,) + _arch["input_shape"])
    _P = grading.random_parameters(_arch, _rng)
    _P["W3"] = _P["W3"] * 5
    _predictions = predict(_X, _P, dict(_arch), batch_size=_size)
    check(isinstance(_predictions, np.ndarray) and _predictions.dtype.kind in "iu",
          f"predict, {_case}: the predictions must be a NumPy array of integers")
    check(np.array_equal(_predictions, np.argmax(grading.forward_reference(_X, _P, _arch)[0], axis=1)),
          f"predict, {_case}, {_count} image(s): some predictions are wrong (or the shape is)")

# %% [markdown]
# How well did training go? The **accuracy** is the fraction of images whose prediction is
# right. The training accuracy says how well the network fits the images it learned from, the
# test accuracy how well it does on images it has never seen; the gap between them is the
# overfitting. The original course reported about 0.94 on the training set and 0.78 on the test
# set for this network, and the result moves by a few points from one seed to another.

# %% locked accuracy skip-at-grading raises-exception
predictions_train = predict(X_train, course_parameters, COURSE_MODEL)
predictions_test = predict(X_test, course_parameters, COURSE_MODEL)
print(f"Train accuracy: {np.mean(predictions_train == y_train):.4f}")
print(f"Test accuracy:  {np.mean(predictions_test == y_test):.4f}")

# %% [markdown]
# ### 5.2 - Which signs get confused?
#
# One number hides where the mistakes are. A **confusion matrix** counts, for every pair of
# classes `(i, j)`, the images of true class `i` that the network predicted as class `j`. Row
# `i` adds up to the number of images of class `i`; the diagonal holds the right answers, and a
# large number off the diagonal shows two signs the network mixes up.
#
# ```python
# y_true = [0, 1, 1, 2]
# y_pred = [0, 2, 1, 2]
# matrix = [[1, 0, 0],      # the 0 was predicted 0
#           [0, 1, 1],      # one 1 was predicted 1, the other 2
#           [0, 0, 1]]      # the 2 was predicted 2
# ```
#
# **Exercise 10 - `confusion_matrix`** (3 points). Return an integer array of shape
# `(n_classes, n_classes)`, rows for the true labels and columns for the predictions. A loop
# over the examples is fine; `np.bincount(n_classes * y_true + y_pred, minlength=n_classes ** 2)`
# does it in one step.

# %% answer confusion_matrix
def confusion_matrix(y_true, y_pred, n_classes):
    """
    Count the predictions of every class for the examples of every class.

    Arguments:
    y_true -- the true labels, numpy array of shape (m,) of integers from 0 to n_classes - 1
    y_pred -- the predicted labels, numpy array of shape (m,) of integers from 0 to n_classes - 1
    n_classes -- integer, the number of classes

    Returns:
    matrix -- numpy array of shape (n_classes, n_classes) of integers: matrix[i, j] is the number
              of examples of true class i predicted as class j
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)

    # (≈ 2 lines)
    ### BEGIN SOLUTION
    counts = np.bincount(n_classes * y_true + y_pred, minlength=n_classes * n_classes)
    matrix = counts.reshape(n_classes, n_classes)
    ### END SOLUTION

    return matrix


# %% test confusion_matrix published points=1
# Public test of confusion_matrix with the published numbers (1 point)
@public_test("confusion_matrix")
def _():
    y_true = np.array([0, 1, 2, 2, 1, 0, 2, 1])
    y_pred = np.array([0, 2, 2, 1, 1, 0, 2, 2])
    matrix = confusion_matrix(y_true, y_pred, 3)
    print("matrix =\n", matrix)

    expect_shape("confusion_matrix", "matrix", matrix, (3, 3), hint="one row and one column per class")
    expect_dtype_kind("confusion_matrix", "matrix", matrix, "iu", hint="counts are integers")
    expect_equal("confusion_matrix", "matrix", matrix, [[2, 0, 0], [0, 1, 2], [0, 1, 2]],
                 hint="rows are the true labels, columns the predictions: add 1 to matrix[t, p] for t, p in zip(y_true, y_pred)")

# %% test confusion_matrix fresh_inputs points=2 hidden
# Hidden tests of confusion_matrix (2 points): other labels, classes that never occur, one example.
_rng = np.random.default_rng(26189)
for _t, _p, _n, _case in [(_rng.integers(0, 6, 50), _rng.integers(0, 6, 50), 6, "50 examples, 6 classes"),
                          (np.array([1, 1, 3]), np.array([3, 1, 1]), 5, "classes that never occur"),
                          (np.array([2]), np.array([0]), 4, "a single example"),
                          (_rng.integers(0, 2, 30), _rng.integers(0, 2, 30), 2, "two classes")]:
    _matrix = confusion_matrix(_t.copy(), _p.copy(), _n)
    _want = np.zeros((_n, _n), dtype=int)
    for _i, _j in zip(_t, _p):
        _want[_i, _j] += 1
    check(isinstance(_matrix, np.ndarray) and _matrix.shape == (_n, _n),
          f"confusion_matrix, {_case}: the matrix must have shape (n_classes, n_classes)")
    check(_matrix.dtype.kind in "iu" or np.array_equal(_matrix, np.round(_matrix)),
          f"confusion_matrix, {_case}: the counts must be whole numbers")
    check(np.array_equal(_matrix, _want),
          f"confusion_matrix, {_case}: some counts are wrong (rows are the true labels, columns the predictions)")

# %% locked figure_confusion_matrix skip-at-grading raises-exception
show_confusion_matrix(confusion_matrix(y_test, predictions_test, 6),
                      title=f"test set: accuracy {np.mean(predictions_test == y_test):.3f}")
plt.show()

# %% [markdown]
# And the test images the network got wrong. Some are hard even for a person (a thumb half
# folded, a finger hidden behind another); others are plain mistakes that a bigger network
# avoids (section 6).

# %% locked figure_misclassified skip-at-grading raises-exception
show_misclassified(X_test_orig, y_test, predictions_test, max_images=12)
plt.show()

# %% [markdown]
# Finally, what did the first layer learn? Each of its 8 filters is a 4 x 4 x 3 block of
# weights, drawn here as a tiny colour image. Before training they were random noise; after
# training some respond to edges in one direction or to a colour contrast, like skin against
# the light background.

# %% locked figure_filters skip-at-grading raises-exception
show_filters(initialize_parameters(COURSE_MODEL, seed=0)["W1"], title="W1 before training (seed 0)")
plt.show()
show_filters(course_parameters["W1"], title="W1 after 100 epochs")
plt.show()

# %% [markdown]
# ## 6 - A bigger network (optional)
#
# The course's network throws information away early: its first max-pool shrinks 64 x 64 to
# 8 x 8 right after a single convolution, and its second convolution has only 16 filters, so the
# dense layer decides from 2 x 2 x 16 = 64 numbers. `BIGGER_MODEL` looks at larger patches and
# keeps far more features: 16 filters of 5 x 5, a 4 x 4 max-pool (to 16 x 16), then 128 filters
# of 3 x 3 and a 2 x 2 max-pool (to 8 x 8), so the dense layer sees 8 x 8 x 128 = 8192 numbers.
# With 128 times as many weights in the dense layer it could learn the training images by heart,
# so it trains with dropout (`"keep_prob": 0.5`: half of those 8192 features dropped at every
# step). It is trained with a smaller step than the course's network, Adam at 0.001 rather than
# 0.009 (with the larger step some runs lose their ReLUs for good), and reaches about 0.95 test
# accuracy in 60 epochs. On 120 test images one image is 0.008 of accuracy, so single runs
# scatter by a few images. Most of the gain comes from the width of the second convolution:
# more filters there keep more of what the first layer found. Training takes three to four
# minutes on two cores.
#
# It uses the same functions you wrote: only the architecture dictionary changes (and `predict`,
# which gives `model_forward` no `dropout_seed`, uses the whole network, without dropout). To
# train it, set `train_bigger_model = True` in the next cell and run it and the one after.

# %%
train_bigger_model = False

# %% locked train_bigger_model skip-at-grading raises-exception
show_architecture(BIGGER_MODEL, title="the bigger network (BIGGER_MODEL)")
plt.show()
if train_bigger_model:
    big_parameters, big_costs = train_model(X_train, Y_train, BIGGER_MODEL, learning_rate=0.001, num_epochs=60,
                                            mini_batch_size=64, seed=0, print_cost=True)
    big_predictions = predict(X_test, big_parameters, BIGGER_MODEL)
    print(f"Train accuracy: {np.mean(predict(X_train, big_parameters, BIGGER_MODEL) == y_train):.4f}")
    print(f"Test accuracy:  {np.mean(big_predictions == y_test):.4f}")
    show_cost_curve(big_costs, learning_rate=0.001, title="the bigger network: cost per epoch")
    plt.show()
    show_confusion_matrix(confusion_matrix(y_test, big_predictions, 6), title="the bigger network, test set")
    plt.show()

# %% [markdown]
# ## What you built
#
# - Data: scaled pixels (`normalize_images`) and one-hot labels (`one_hot`).
# - A convolutional network from its layers: Glorot initialisation (`initialize_parameters`),
#   the forward pass with its caches and, while training, dropout (`model_forward`), the cost
#   and its gradient (`compute_cost`) and the backward pass (`model_backward`), checked numerically.
# - Training: shuffled mini-batches (`random_mini_batches`) and the Adam loop (`train_model`).
# - Evaluation: predictions (`predict`) and the confusion matrix (`confusion_matrix`).
#
# The layers underneath are the ones you wrote in the first assignment: the fast versions only
# reorganise the same sums so that NumPy, rather than Python, runs the loops. Frameworks go
# further (compiled kernels, graphics cards, gradients derived automatically), but they compute
# these same quantities.
