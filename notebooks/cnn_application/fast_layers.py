"""Fast layers for a small convolutional network, in NumPy (NHWC layout).

These are the layers you wrote with loops in the first assignment, rewritten so that NumPy,
not Python, walks over the windows. They give the same numbers as the loop versions (the
course's tests check that) and run a few hundred times faster, fast enough to train a network
on the SIGNS images in a minute or two.

How the speed is won, in the words of the first assignment's figures:

- The window of output position ``(h, w)`` starts at row ``h * stride`` and column
  ``w * stride`` of the padded input. Take one fixed offset ``(di, dj)`` inside the window:
  across all output positions, the input entries at that offset form a *strided slice*
  ``A_pad[:, di : di + stride * (n_H - 1) + 1 : stride, dj : ... : stride, :]`` of shape
  ``(m, n_H, n_W, n_C_prev)``. There are only ``f * f`` offsets, so a loop over offsets is
  short, and every step handles all examples and positions at once.
- **Convolution forward** ("im2col"): a strided *view* of the padded input lists every window
  without copying it, as an array of shape ``(m, n_H, n_W, f, f, n_C_prev)``. Reshaped to a
  matrix with one row per window, ``cols`` of shape ``(m * n_H * n_W, f * f * n_C_prev)``, the
  whole convolution is one matrix product ``cols @ W.reshape(f * f * n_C_prev, n_C)``: each
  row times each filter is exactly one ``conv_single_step``. Copying the windows into ``cols``
  is the only copy and the costliest step; it is done for a few examples at a time, so that
  the copy is still in the processor's cache when the matrix product reads it, and ``cols`` is
  kept in the cache for the backward pass.
- **Convolution backward**: ``dW`` is ``cols.T @ dZ`` (every window times the gradient of its
  output entry), from the ``cols`` of the forward pass; the gradient of the input is built offset
  by offset, one small matrix product per offset added into the strided slice of the padded
  gradient (the ``+=`` of the loop version).
- **Max pooling**: forward, the running maximum over the ``f * f`` offsets of strided slices,
  remembering which offset held it; backward, each window's gradient goes to that one entry
  (the mask of ``create_mask_from_window``, keeping only the first maximum on a tie), added
  into the strided slice of each offset.

Every ``*_forward`` function returns ``(out, cache)`` and the matching ``*_backward`` takes
``(dout, cache)``; caches are tuples of arrays, numbers and dictionaries, nothing else. The
functions keep the dtype they are given: float32 to train fast, float64 for gradient checks.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "same_padding", "conv_forward", "conv_backward", "relu_forward", "relu_backward",
    "pool_forward", "pool_backward", "dense_forward", "dense_backward",
    "dropout_forward", "dropout_backward", "softmax", "softmax_cross_entropy", "adam_init", "adam_update",
]


# ------------------------------------------------------------------------------ padding


def same_padding(f):
    """Padding that keeps the height and width of the input for a stride-1 convolution.

    A filter of size ``f`` needs ``f - 1`` extra rows in total. When ``f`` is odd they split
    evenly; when ``f`` is even one side gets one more. We follow the convention of TensorFlow
    (``padding="SAME"``) and PyTorch (``padding="same"``): the extra row goes to the bottom and
    the extra column to the right.

    Arguments:
    f -- integer, the filter size

    Returns:
    (before, after) -- integers, rows added above (columns on the left) and below (on the right):
                       before = (f - 1) // 2, after = f // 2.  f = 4 gives (1, 2), f = 2 gives (0, 1).
    """
    return ((f - 1) // 2, f // 2)


def _padding(pad, f):
    """((top, bottom), (left, right)) from an int, a (before, after) pair or "same"."""
    if isinstance(pad, str):
        if pad != "same":
            raise ValueError(f"pad must be an integer, a (before, after) pair or 'same', not {pad!r}")
        before, after = same_padding(f)
    elif np.ndim(pad) == 0:
        before = after = int(pad)
    else:
        before, after = (int(p) for p in pad)
    if before < 0 or after < 0:
        raise ValueError("padding cannot be negative")
    return (before, after), (before, after)


def _offset_slice(start, stride, count):
    """The slice start, start + stride, ..., start + stride * (count - 1)."""
    return slice(start, start + stride * (count - 1) + 1, stride)


# ------------------------------------------------------------------------------ convolution


# Windows are copied into the matrix of one row per window a chunk of examples at a time, about
# a megabyte each, so that the copy is still in the processor's cache when the matrix product reads it.
_CHUNK_FLOATS = 2 ** 18


def _windows(A_pad, f, stride, n_H, n_W):
    """All f x f windows of a padded batch as a read-only view of shape (m, n_H, n_W, f, f, n_C_prev).

    windows[i, h, w] is A_pad[i, h * stride : h * stride + f, w * stride : w * stride + f, :]: the
    view only sets the strides (h and w jump by stride rows and columns, the window's own axes by
    one), so no number is copied.
    """
    m, _, _, n_C_prev = A_pad.shape
    s_m, s_h, s_w, s_c = A_pad.strides
    return as_strided(A_pad, shape=(m, n_H, n_W, f, f, n_C_prev),
                      strides=(s_m, s_h * stride, s_w * stride, s_h, s_w, s_c), writeable=False)


def _geometry(A_prev, W, hparameters):
    """Padded input, padding, stride and output size of a convolution."""
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, f_w, n_C_prev_W, n_C = W.shape
    if f != f_w or n_C_prev != n_C_prev_W:
        raise ValueError(f"W of shape {W.shape} does not fit A_prev of shape {A_prev.shape}")
    stride = int(hparameters["stride"])
    (top, bottom), (left, right) = _padding(hparameters["pad"], f)
    A_pad = np.ascontiguousarray(np.pad(A_prev, ((0, 0), (top, bottom), (left, right), (0, 0))))
    n_H = (n_H_prev + top + bottom - f) // stride + 1
    n_W = (n_W_prev + left + right - f) // stride + 1
    if n_H < 1 or n_W < 1:
        raise ValueError("the filter is larger than the padded input")
    return A_pad, (top, left), stride, n_H, n_W


def _chunks(m, floats_per_example):
    """Consecutive ranges of examples whose windows take about _CHUNK_FLOATS numbers."""
    step = max(1, _CHUNK_FLOATS // max(1, floats_per_example))
    return [(start, min(m, start + step)) for start in range(0, m, step)]


def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer: every window times every filter, as matrix products.

    Arguments:
    A_prev -- activations of the previous layer, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    W -- filters, numpy array of shape (f, f, n_C_prev, n_C)
    b -- biases, numpy array of shape (1, 1, 1, n_C), or None for a convolution without biases
         (like the convolutions of the course's network)
    hparameters -- dictionary with "stride" (integer) and "pad": an integer (the same on every side),
                   a pair (before, after) used for the height and for the width, or "same"
                   (the padding of same_padding(f), for stride 1)

    Returns:
    Z -- output, numpy array of shape (m, n_H, n_W, n_C), with
         n_H = (n_H_prev + before + after - f) // stride + 1, and n_W likewise
    cache -- (A_prev, W, b, hparameters, cols) for conv_backward: the cache of the first assignment,
             and cols, the windows as one row each, of shape (m * n_H * n_W, f * f * n_C_prev)
    """
    A_pad, _, stride, n_H, n_W = _geometry(A_prev, W, hparameters)
    m, f, n_C = A_prev.shape[0], W.shape[0], W.shape[3]
    K = f * f * A_prev.shape[3]                      # numbers in one window
    windows = _windows(A_pad, f, stride, n_H, n_W)
    W_matrix = W.reshape(K, n_C)                     # one column per filter, in the order of a window
    Z = np.empty((m, n_H, n_W, n_C), dtype=np.result_type(A_prev, W) if b is None else np.result_type(A_prev, W, b))
    cols = np.empty((m * n_H * n_W, K), dtype=A_prev.dtype)
    for start, stop in _chunks(m, n_H * n_W * K):
        chunk = cols[start * n_H * n_W:stop * n_H * n_W]
        np.copyto(chunk.reshape(windows[start:stop].shape), windows[start:stop])   # one row per window
        Z_rows = Z[start:stop].reshape(-1, n_C)
        np.matmul(chunk, W_matrix, out=Z_rows)       # row . column = one conv_single_step
        if b is not None:
            Z_rows += b.reshape(1, n_C)
    cache = (A_prev, W, b, hparameters, cols)
    return Z, cache


def conv_backward(dZ, cache, input_gradient=True):
    """
    Backward pass of a convolutional layer.

    Arguments:
    dZ -- gradient of the cost with respect to Z, numpy array of shape (m, n_H, n_W, n_C)
    cache -- the cache of conv_forward: (A_prev, W, b, hparameters, cols)
    input_gradient -- if False, dA_prev is not computed (None is returned in its place): the first
                      layer of a network needs no gradient for the images, and skipping it saves time

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
               (None when input_gradient is False)
    dW -- gradient with respect to W, numpy array of shape (f, f, n_C_prev, n_C)
    db -- gradient with respect to b, numpy array of shape (1, 1, 1, n_C) (None for a layer without biases)
    """
    A_prev, W, b, hparameters, cols = cache
    m, n_H_prev, n_W_prev, n_C_prev = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    stride = int(hparameters["stride"])
    (top, bottom), (left, right) = _padding(hparameters["pad"], f)
    n_H = (n_H_prev + top + bottom - f) // stride + 1
    n_W = (n_W_prev + left + right - f) // stride + 1
    if dZ.shape != (m, n_H, n_W, n_C):
        raise ValueError(f"dZ has shape {dZ.shape}, the layer's output has shape {(m, n_H, n_W, n_C)}")
    dtype = np.result_type(dZ, A_prev, W)

    # dW: every window times the gradient of its output entry, summed: one matrix product
    dZ_rows = dZ.reshape(m * n_H * n_W, n_C)
    dW = (cols.T @ dZ_rows).astype(dtype, copy=False).reshape(W.shape)
    # db: the sum of dZ over examples and positions, written as a product with a row of ones
    # (a matrix product adds up the long axis several times faster than dZ.sum does).
    db = None if b is None else (np.ones((1, dZ_rows.shape[0]), dtype=dtype) @ dZ_rows).reshape(1, 1, 1, n_C)
    if not input_gradient:
        return None, dW, db

    # dA_prev: each offset (di, dj) of every window receives dZ @ W[di, dj].T, added into the
    # strided slice of the padded gradient that holds that offset of all windows.
    dA_pad = np.zeros((m, n_H_prev + top + bottom, n_W_prev + left + right, n_C_prev), dtype=dtype)
    for di in range(f):
        rows = _offset_slice(di, stride, n_H)
        for dj in range(f):
            columns = _offset_slice(dj, stride, n_W)
            dA_pad[:, rows, columns, :] += (dZ_rows @ W[di, dj].T).reshape(m, n_H, n_W, n_C_prev)
    dA_prev = dA_pad[:, top:top + n_H_prev, left:left + n_W_prev, :]
    return dA_prev, dW, db


# ------------------------------------------------------------------------------ ReLU


def relu_forward(Z):
    """
    ReLU activation, entry by entry: A = max(Z, 0).

    Arguments:
    Z -- numpy array of any shape

    Returns:
    A -- numpy array of the shape of Z
    cache -- (Z,) for relu_backward
    """
    return np.maximum(Z, 0), (Z,)


def relu_backward(dA, cache):
    """
    Backward pass of ReLU: the gradient passes where Z > 0 and stops elsewhere.

    Arguments:
    dA -- gradient with respect to the output A, numpy array of the shape of Z
    cache -- the cache of relu_forward: (Z,)

    Returns:
    dZ -- gradient with respect to Z, numpy array of the shape of Z
    """
    (Z,) = cache
    return dA * (Z > 0)


# ------------------------------------------------------------------------------ pooling


def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer, one loop step per offset of the f x f window.

    Max pooling also records, for every output entry, which offset of its window holds the
    maximum: the first one in reading order when several tie. The backward pass sends the
    gradient there and nowhere else, as TensorFlow and PyTorch do.

    Arguments:
    A_prev -- input, numpy array of shape (m, n_H_prev, n_W_prev, n_C)
    hparameters -- dictionary with the integers "f" (window size) and "stride"
    mode -- "max" or "average"

    Returns:
    A -- output, numpy array of shape (m, n_H, n_W, n_C) with n_H = (n_H_prev - f) // stride + 1
         and n_W = (n_W_prev - f) // stride + 1 (no padding)
    cache -- (A_prev, first, hparameters) for pool_backward; first is None for average pooling
             and, for max pooling, an integer array of the shape of A: the offset di * f + dj of
             the window's maximum
    """
    f, stride = int(hparameters["f"]), int(hparameters["stride"])
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    if n_H < 1 or n_W < 1:
        raise ValueError("the pooling window is larger than the input")
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', not {mode!r}")

    A = A_prev[:, _offset_slice(0, stride, n_H), _offset_slice(0, stride, n_W), :].copy()
    first = np.zeros(A.shape, dtype=np.uint16) if mode == "max" else None
    for offset in range(1, f * f):
        di, dj = divmod(offset, f)
        view = A_prev[:, _offset_slice(di, stride, n_H), _offset_slice(dj, stride, n_W), :]
        if mode == "max":
            larger = view > A                        # strictly: on a tie the earlier offset stays
            np.copyto(A, view, where=larger)
            np.copyto(first, offset, where=larger)
        else:
            A += view
    if mode == "average":
        A /= f * f
    return A, (A_prev, first, hparameters)


def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer, one loop step per offset of the f x f window.

    Max pooling sends each output gradient to the one entry of its window that holds the maximum
    (the first one on a tie: sending it to every tied entry would count it several times, and
    the plain backgrounds of photos make ties common); average pooling shares it equally,
    dA / (f * f), over the window. Overlapping windows (stride < f) add up.

    Arguments:
    dA -- gradient with respect to the pooling output, numpy array of shape (m, n_H, n_W, n_C)
    cache -- the cache of pool_forward: (A_prev, first, hparameters)
    mode -- "max" or "average", as in the forward pass

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C)
    """
    A_prev, first, hparameters = cache
    f, stride = int(hparameters["f"]), int(hparameters["stride"])
    n_H, n_W = dA.shape[1], dA.shape[2]
    if mode not in ("max", "average"):
        raise ValueError(f"mode must be 'max' or 'average', not {mode!r}")
    if (mode == "max") != (first is not None):
        raise ValueError("pool_backward must use the mode of the forward pass")

    dtype = np.result_type(dA, A_prev)
    dA_prev = np.zeros(A_prev.shape, dtype=dtype)
    share = dA / (f * f) if mode == "average" else np.empty(dA.shape, dtype=dtype)
    for offset in range(f * f):
        di, dj = divmod(offset, f)
        if mode == "max":
            np.equal(first, offset, out=share, casting="unsafe")        # 1 where this offset holds the max
            share *= dA
        dA_prev[:, _offset_slice(di, stride, n_H), _offset_slice(dj, stride, n_W), :] += share
    return dA_prev


# ------------------------------------------------------------------------------ dense (fully connected)


def dense_forward(F, W, b):
    """
    Fully connected layer: Z = F @ W + b.

    Arguments:
    F -- input, numpy array of shape (m, n_in), one flattened example per row
    W -- weights, numpy array of shape (n_in, n_out)
    b -- biases, numpy array of shape (1, n_out)

    Returns:
    Z -- output, numpy array of shape (m, n_out)
    cache -- (F, W, b) for dense_backward
    """
    return F @ W + b, (F, W, b)


def dense_backward(dZ, cache):
    """
    Backward pass of the fully connected layer.

    Arguments:
    dZ -- gradient with respect to Z, numpy array of shape (m, n_out)
    cache -- the cache of dense_forward: (F, W, b)

    Returns:
    dF -- gradient with respect to F, numpy array of shape (m, n_in)
    dW -- gradient with respect to W, numpy array of shape (n_in, n_out)
    db -- gradient with respect to b, numpy array of shape (1, n_out)
    """
    F, W, b = cache
    return dZ @ W.T, F.T @ dZ, dZ.sum(axis=0, keepdims=True)


# ------------------------------------------------------------------------------ dropout


def dropout_forward(A, keep_prob, rng):
    """
    Inverted dropout, for training: keep each entry with probability keep_prob, zero the others,
    and divide the kept ones by keep_prob so that every entry keeps its expected value (at test
    time the layer is simply left out).

    Arguments:
    A -- input, numpy array of any shape
    keep_prob -- number in (0, 1], the probability of keeping an entry (1: the layer changes nothing)
    rng -- numpy random Generator; the mask is rng.random(A.shape) < keep_prob, one draw per call

    Returns:
    A_out -- numpy array of the shape and dtype of A: A * mask / keep_prob
    cache -- (D,) for dropout_backward, with D = mask / keep_prob in the dtype of A
    """
    if not 0 < keep_prob <= 1:
        raise ValueError(f"keep_prob must be in (0, 1], not {keep_prob}")
    D = ((rng.random(A.shape) < keep_prob) / keep_prob).astype(np.result_type(A, np.float32), copy=False)
    return A * D, (D,)


def dropout_backward(dA, cache):
    """
    Backward pass of dropout: the gradient flows through the kept entries, scaled like them.

    Arguments:
    dA -- gradient with respect to A_out, numpy array of the shape of A
    cache -- the cache of dropout_forward: (D,)

    Returns:
    dA_prev -- gradient with respect to A, numpy array of the shape of A: dA * D
    """
    (D,) = cache
    return dA * D


# ------------------------------------------------------------------------------ softmax and its loss


def softmax(Z):
    """
    Softmax of every row: the probabilities of the classes.

    Arguments:
    Z -- logits, numpy array of shape (m, n_classes)

    Returns:
    P -- numpy array of shape (m, n_classes), every row positive and summing to 1
    """
    E = np.exp(Z - Z.max(axis=1, keepdims=True))       # shifted: exp never overflows
    return E / E.sum(axis=1, keepdims=True)


def softmax_cross_entropy(Z, Y):
    """
    Cross-entropy of the softmax of the logits against one-hot labels, one value per example.

    Like tf.nn.softmax_cross_entropy_with_logits, it works on the logits (the output of the last
    layer, before any softmax), which lets it use log-softmax and stay accurate and finite for
    logits of any size. It does not average: the cost of a batch is the mean of the losses.

    Arguments:
    Z -- logits, numpy array of shape (m, n_classes)
    Y -- one-hot labels, numpy array of shape (m, n_classes)

    Returns:
    losses -- numpy array of shape (m,): losses[i] = -sum_k Y[i, k] * log(softmax(Z)[i, k])
    dZ -- numpy array of shape (m, n_classes): the gradient of losses[i] with respect to Z[i],
          softmax(Z)[i] - Y[i] (not divided by m)
    """
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_probs = shifted - log_sum
    losses = -(Y * log_probs).sum(axis=1)
    probs = np.exp(log_probs)
    # A confident network gives some classes probabilities below the smallest normal float32
    # (about 1e-38). Such "subnormal" numbers would flow into every array of the backward pass and
    # make the processor's arithmetic many times slower; they are set to 0, which changes the
    # gradient by less than 1e-30.
    probs[probs < np.finfo(probs.dtype).tiny * 1e8] = 0
    return losses, probs - Y


# ------------------------------------------------------------------------------ Adam


def adam_init(parameters):
    """
    Adam's state for a dictionary of parameters: zero moments, zero steps taken.

    Arguments:
    parameters -- dictionary name -> numpy array (e.g. "W1", "b1", ...)

    Returns:
    state -- dictionary with "t": 0 (the number of steps taken), "m" and "v": dictionaries
             name -> numpy array of zeros shaped like the parameter (first and second moments)
    """
    return {"t": 0,
            "m": {name: np.zeros_like(value) for name, value in parameters.items()},
            "v": {name: np.zeros_like(value) for name, value in parameters.items()}}


def adam_update(parameters, grads, state, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """
    One Adam step on every parameter, in place.

    With t the number of this step (1 for the first), for every parameter p with gradient g
    (grads["d" + name]):
        m = beta1 * m + (1 - beta1) * g                  (moving average of the gradients)
        v = beta2 * v + (1 - beta2) * g ** 2             (moving average of their squares)
        m_hat = m / (1 - beta1 ** t),  v_hat = v / (1 - beta2 ** t)   (bias correction)
        p = p - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Arguments:
    parameters -- dictionary name -> numpy array, updated in place
    grads -- dictionary "d" + name -> numpy array of the same shape
    state -- Adam's state from adam_init, updated in place
    learning_rate, beta1, beta2, epsilon -- Adam's hyperparameters (PyTorch's and Keras's defaults)

    Returns:
    parameters, state -- the same dictionaries, updated
    """
    state["t"] += 1
    t = state["t"]
    correction1 = 1.0 - beta1 ** t
    correction2 = 1.0 - beta2 ** t
    for name, p in parameters.items():
        g = grads["d" + name]
        m, v = state["m"][name], state["v"][name]
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * (g * g)
        step = (m / correction1) / (np.sqrt(v / correction2) + epsilon)
        p -= (learning_rate * step).astype(p.dtype, copy=False)
    return parameters, state
