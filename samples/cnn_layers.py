"""The sample class of cnn_layers: what the main job grades out of the box.

Each student's answers are edits of the reference answers (see coursekit/samples.py): a list of
(old, new) replacements, a whole answer cell, or None for a cell left as released. A function
not listed keeps the reference answer. `coursekit build` writes them to submitted/.
The mistakes are the ones students make; `tests/integration/test_samples.py` states what each
one should cost, function by function.
"""

# A correct solution written the vectorised way: same results, no Python loop over positions.
ELI_CONV_FORWARD = '''
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer over a batch (vectorised over positions).
    """
    ### START CODE HERE ###
    stride, pad = hparameters["stride"], hparameters["pad"]
    f, _, _, n_C = W.shape
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    m, H, W_in, _ = A_pad.shape
    n_H = (H - f) // stride + 1
    n_W = (W_in - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    for di in range(f):
        for dj in range(f):
            window = A_pad[:, di:di + stride * (n_H - 1) + 1:stride, dj:dj + stride * (n_W - 1) + 1:stride, :]
            Z += np.einsum("mhwc,cn->mhwn", window, W[di, dj])
    Z = Z + b.reshape(1, 1, 1, n_C)
    ### END CODE HERE ###
    cache = (A_prev, W, b, hparameters)
    return Z, cache
'''

ELI_POOL_FORWARD = '''
def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer over a batch (vectorised over positions).
    """
    ### START CODE HERE ###
    f, stride = hparameters["f"], hparameters["stride"]
    m, H, W_in, n_C = A_prev.shape
    n_H = (H - f) // stride + 1
    n_W = (W_in - f) // stride + 1
    views = [A_prev[:, i:i + stride * (n_H - 1) + 1:stride, j:j + stride * (n_W - 1) + 1:stride, :]
             for i in range(f) for j in range(f)]
    A = np.max(views, axis=0) if mode == "max" else np.mean(views, axis=0)
    ### END CODE HERE ###
    cache = (A_prev, hparameters)
    return A, cache
'''

STUDENTS = {
    # The instructor's answers, as a student would have typed them: full marks.
    "reference": {},
    # The notebook as released, nothing written: zero, with every test cell scored.
    "untouched": "untouched",
    # Forgot the stride when placing windows in conv_forward; `=` instead of `+=` in pool_backward.
    "ada": {
        "conv_forward": [("vert_start = h * stride", "vert_start = h"),
                         ("horiz_start = w * stride", "horiz_start = w")],
        "pool_backward": [("horiz_end, c] += mask", "horiz_end, c] = mask"),
                          ("horiz_end, c] += distribute_value", "horiz_end, c] = distribute_value")],
    },
    # float(b) in conv_single_step (rejected by NumPy 2) but a right conv_forward; pooling output
    # size rounded up instead of down.
    "ben": {
        "conv_single_step": [("Z = Z + b.item()", "Z = Z + float(b)")],
        "pool_forward": [("n_H = (n_H_prev - f) // stride + 1", "n_H = int(np.ceil((n_H_prev - f) / stride)) + 1"),
                         ("n_W = (n_W_prev - f) // stride + 1", "n_W = int(np.ceil((n_W_prev - f) / stride)) + 1")],
    },
    # Left the bias out of conv_single_step; unpadded with [pad:-pad] (empty when pad == 0);
    # shared dz without dividing it.
    "chloe": {
        "conv_single_step": [("Z = Z + b.item()", "Z = Z")],
        "conv_backward": [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[pad:-pad, pad:-pad, :]")],
        "distribute_value": [("average = dz / (n_rows * n_cols)", "average = dz")],
    },
    # Used the input's width for the output height (and height for width); took the maximum of
    # each column for the mask; did not get to the backward passes of conv and pool.
    "dev": {
        "conv_forward": [("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = (n_W_prev - f + 2 * pad) // stride + 1"),
                         ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = (n_H_prev - f + 2 * pad) // stride + 1")],
        "create_mask_from_window": [("mask = (x == np.max(x))", "mask = (x == np.max(x, axis=0))")],
        "conv_backward": None,
        "pool_backward": None,
    },
    # Everything right, forward passes vectorised: full marks however it is written.
    "eli": {"conv_forward": ELI_CONV_FORWARD, "pool_forward": ELI_POOL_FORWARD},
}
