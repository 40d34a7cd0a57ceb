"""Mutants and alternatives of the cnn_layers assignment, for tests/mutation/test_mutants.py.

``MUTANTS``: realistic WRONG answers, name -> (function, answer). Each must lose points on its
own function (and nowhere else, since the grader checks other functions with the reference).
``ALTERNATIVES``: RIGHT answers written differently, name -> {function: answer, ...}. Each must
get full marks everywhere.

An answer is a list of ``(old, new)`` edits of the reference answer cell as students see it
(``coursekit.samples.student_view``), or a string with a whole answer cell (see
coursekit/samples.py).
"""
from __future__ import annotations

from coursekit.samples import Answer

# ------------------------------------------------------------------------------------------
# Whole-cell wrong answers
# ------------------------------------------------------------------------------------------

# zero_pad computes the padded batch but never returns it.
_ZERO_PAD_NO_RETURN = '''
def zero_pad(X, pad):
    """
    Pad every image of a batch with zeros on its height and width.
    """
    # Pad axes 1 and 2 only (≈ 1 line)
    ### START CODE HERE ###
    X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)
    ### END CODE HERE ###
'''

# The argmax turned into (row, column) with the number of ROWS instead of the number of columns.
_MASK_ARGMAX_UNRAVEL_BY_ROWS = '''
def create_mask_from_window(x):
    """
    Mark the position of the maximum of a window.
    """
    # (≈ 1 line)
    ### START CODE HERE ###
    mask = np.zeros(x.shape, dtype=bool)
    k = np.argmax(x)
    mask[k // x.shape[0], k % x.shape[0]] = True
    ### END CODE HERE ###

    return mask
'''

# The flat argmax index used as a row index: marks a whole row (or fails).
_MASK_ARGMAX_AS_ROW = '''
def create_mask_from_window(x):
    """
    Mark the position of the maximum of a window.
    """
    # (≈ 1 line)
    ### START CODE HERE ###
    mask = np.zeros(x.shape)
    mask[np.argmax(x)] = 1
    ### END CODE HERE ###

    return mask
'''

# ------------------------------------------------------------------------------------------
# MUTANTS
# ------------------------------------------------------------------------------------------

_ZP = 'X_pad = np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=0)'

MUTANTS: dict[str, tuple[str, Answer]] = {
    # ---------------------------------------------------------------- zero_pad
    # np.pad(X, pad): pads all four axes, batch and channels included.
    "zero_pad_pads_every_axis": ("zero_pad", [(_ZP, 'X_pad = np.pad(X, pad, mode="constant", constant_values=0)')]),
    # The pad pairs shifted by one axis: batch and height padded, width not.
    "zero_pad_pads_batch_axis": ("zero_pad", [(_ZP, 'X_pad = np.pad(X, ((pad, pad), (pad, pad), (0, 0), (0, 0)), mode="constant", constant_values=0)')]),
    # Width and channel axes padded instead of height and width.
    "zero_pad_pads_channel_axis": ("zero_pad", [(_ZP, 'X_pad = np.pad(X, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant", constant_values=0)')]),
    # Padding with ones.
    "zero_pad_pads_with_ones": ("zero_pad", [("constant_values=0)", "constant_values=1)")]),
    # Only the height is padded.
    "zero_pad_height_only": ("zero_pad", [("(pad, pad), (pad, pad), (0, 0)", "(pad, pad), (0, 0), (0, 0)")]),
    # 2 * pad on each side (the total taken for one side).
    "zero_pad_double_pad": ("zero_pad", [("(pad, pad), (pad, pad)", "(2 * pad, 2 * pad), (2 * pad, 2 * pad)")]),
    # Edge padding (repeats the border) instead of zeros.
    "zero_pad_edge_mode": ("zero_pad", [('mode="constant", constant_values=0', 'mode="edge"')]),
    # No return statement: the function returns None.
    "zero_pad_no_return": ("zero_pad", _ZERO_PAD_NO_RETURN),

    # ---------------------------------------------------------------- conv_single_step
    # float(b) on a (1, 1, 1) array: TypeError with NumPy 2.
    "css_float_of_b": ("conv_single_step", [("Z = Z + b.item()", "Z = Z + float(b)")]),
    # Bias added as an array: returns a (1, 1, 1) array instead of a number.
    "css_returns_array": ("conv_single_step", [("Z = Z + b.item()", "Z = Z + b")]),
    # Bias forgotten.
    "css_no_bias": ("conv_single_step", [("Z = Z + b.item()", "Z = Z")]),
    # Bias added to every product (f * f * n_C times), then once more.
    "css_bias_in_every_product": ("conv_single_step", [("s = np.multiply(a_slice_prev, W)", "s = np.multiply(a_slice_prev, W) + b")]),
    # Mean instead of sum.
    "css_mean_instead_of_sum": ("conv_single_step", [("Z = np.sum(s)", "Z = np.mean(s)")]),
    # Bias multiplied instead of added.
    "css_bias_multiplied": ("conv_single_step", [("Z = Z + b.item()", "Z = Z * b.item()")]),
    # np.dot instead of the element-wise product.
    "css_dot_product": ("conv_single_step", [("s = np.multiply(a_slice_prev, W)", "s = np.dot(a_slice_prev, W)")]),
    # Summed over the spatial axes only: one value per channel.
    "css_sum_spatial_axes_only": ("conv_single_step", [("Z = np.sum(s)", "Z = np.sum(s, axis=(0, 1))")]),

    # ---------------------------------------------------------------- conv_forward
    # Stride forgotten in both directions.
    "cf_no_stride": ("conv_forward", [("vert_start = h * stride", "vert_start = h"),
                                      ("horiz_start = w * stride", "horiz_start = w")]),
    # Stride forgotten vertically.
    "cf_no_vertical_stride": ("conv_forward", [("vert_start = h * stride", "vert_start = h")]),
    # Stride forgotten horizontally.
    "cf_no_horizontal_stride": ("conv_forward", [("horiz_start = w * stride", "horiz_start = w")]),
    # Window one row and one column too small (end - 1).
    "cf_window_too_small": ("conv_forward", [("vert_end = vert_start + f", "vert_end = vert_start + f - 1"),
                                             ("horiz_end = horiz_start + f", "horiz_end = horiz_start + f - 1")]),
    # Window one row and one column too large (end + 1).
    "cf_window_too_large": ("conv_forward", [("vert_end = vert_start + f", "vert_end = vert_start + f + 1"),
                                             ("horiz_end = horiz_start + f", "horiz_end = horiz_start + f + 1")]),
    # Output size rounded up (ceil) instead of down.
    "cf_ceil_output_size": ("conv_forward", [
        ("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = int(np.ceil((n_H_prev - f + 2 * pad) / stride)) + 1"),
        ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = int(np.ceil((n_W_prev - f + 2 * pad) / stride)) + 1")]),
    # Output size rounded to the nearest integer.
    "cf_round_output_size": ("conv_forward", [
        ("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = int(round((n_H_prev - f + 2 * pad) / stride)) + 1"),
        ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = int(round((n_W_prev - f + 2 * pad) / stride)) + 1")]),
    # The output width computed from the input height.
    "cf_width_from_height": ("conv_forward", [("n_W = (n_W_prev - f + 2 * pad) // stride + 1",
                                               "n_W = (n_H_prev - f + 2 * pad) // stride + 1")]),
    # Padding left out of the output-size formula.
    "cf_size_without_pad": ("conv_forward", [("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = (n_H_prev - f) // stride + 1"),
                                             ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = (n_W_prev - f) // stride + 1")]),
    # Padding counted once instead of twice in the output size.
    "cf_size_with_single_pad": ("conv_forward", [("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = (n_H_prev - f + pad) // stride + 1"),
                                                 ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = (n_W_prev - f + pad) // stride + 1")]),
    # Bias forgotten: the window and filter summed by hand.
    "cf_no_bias": ("conv_forward", [("Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)",
                                     "Z[i, h, w, c] = np.sum(a_slice_prev * weights)")]),
    # Bias added again after conv_single_step already added it.
    "cf_bias_twice": ("conv_forward", [("Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases)",
                                        "Z[i, h, w, c] = conv_single_step(a_slice_prev, weights, biases) + biases.item()")]),
    # The bias of filter 0 used for every filter.
    "cf_first_bias_for_all": ("conv_forward", [("biases = b[:, :, :, c]", "biases = b[:, :, :, 0]")]),
    # The weights of filter 0 used for every filter.
    "cf_first_filter_for_all": ("conv_forward", [("weights = W[:, :, :, c]", "weights = W[:, :, :, 0]")]),
    # Padding computed but the unpadded input used.
    "cf_padding_ignored": ("conv_forward", [("A_prev_pad = zero_pad(A_prev, pad)", "A_prev_pad = A_prev")]),
    # Window cut from channel c only, as in pooling.
    "cf_window_one_channel": ("conv_forward", [("horiz_start:horiz_end, :]", "horiz_start:horiz_end, c]")]),
    # Rows and columns of the window swapped.
    "cf_window_rows_cols_swapped": ("conv_forward", [("a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
                                                      "a_prev_pad[horiz_start:horiz_end, vert_start:vert_end, :]")]),
    # The padded batch stored in the cache.
    "cf_cache_holds_padded_input": ("conv_forward", [("cache = (A_prev, W, b, hparameters)",
                                                      "cache = (A_prev_pad, W, b, hparameters)")]),

    # ---------------------------------------------------------------- pool_forward
    # min instead of max.
    "pf_min_instead_of_max": ("pool_forward", [("A[i, h, w, c] = np.max(a_prev_slice)", "A[i, h, w, c] = np.min(a_prev_slice)")]),
    # Average computed as a sum.
    "pf_average_is_sum": ("pool_forward", [("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.sum(a_prev_slice)")]),
    # Average divided by f instead of f * f.
    "pf_average_divided_by_f": ("pool_forward", [("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.sum(a_prev_slice) / f")]),
    # Pooling across all channels of the window.
    "pf_across_channels": ("pool_forward", [("horiz_start:horiz_end, c]", "horiz_start:horiz_end, :]")]),
    # Mode string "avg": average pooling leaves zeros.
    "pf_mode_avg_string": ("pool_forward", [('elif mode == "average":', 'elif mode == "avg":')]),
    # Mode string "Max": max pooling leaves zeros.
    "pf_mode_Max_string": ("pool_forward", [('if mode == "max":', 'if mode == "Max":')]),
    # Stride forgotten.
    "pf_no_stride": ("pool_forward", [("vert_start = h * stride", "vert_start = h"),
                                      ("horiz_start = w * stride", "horiz_start = w")]),
    # Output size rounded up.
    "pf_ceil_output_size": ("pool_forward", [
        ("n_H = (n_H_prev - f) // stride + 1", "n_H = int(np.ceil((n_H_prev - f) / stride)) + 1"),
        ("n_W = (n_W_prev - f) // stride + 1", "n_W = int(np.ceil((n_W_prev - f) / stride)) + 1")]),
    # Output width from the input height.
    "pf_width_from_height": ("pool_forward", [("n_W = (n_W_prev - f) // stride + 1", "n_W = (n_H_prev - f) // stride + 1")]),
    # Window one row and one column too small.
    "pf_window_too_small": ("pool_forward", [("vert_end = vert_start + f", "vert_end = vert_start + f - 1"),
                                             ("horiz_end = horiz_start + f", "horiz_end = horiz_start + f - 1")]),

    # ---------------------------------------------------------------- conv_backward
    # Unpadding with [pad:-pad]: empty when pad == 0.
    "cb_unpad_minus_pad": ("conv_backward", [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
                                              "da_prev_pad[pad:-pad, pad:-pad, :]")]),
    # Unpadding that forgets to shift the end by pad.
    "cb_unpad_end_not_shifted": ("conv_backward", [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
                                                    "da_prev_pad[pad:n_H_prev, pad:n_W_prev, :]")]),
    # Unpadding off by one (starts one row/column late).
    "cb_unpad_off_by_one": ("conv_backward", [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
                                               "da_prev_pad[pad + 1:pad + 1 + n_H_prev, pad + 1:pad + 1 + n_W_prev, :]")]),
    # Stride forgotten.
    "cb_no_stride": ("conv_backward", [("vert_start = h * stride", "vert_start = h"),
                                       ("horiz_start = w * stride", "horiz_start = w")]),
    # Stride forgotten vertically only.
    "cb_no_vertical_stride": ("conv_backward", [("vert_start = h * stride", "vert_start = h")]),
    # Window one row and column too small.
    "cb_window_too_small": ("conv_backward", [("vert_end = vert_start + f", "vert_end = vert_start + f - 1"),
                                              ("horiz_end = horiz_start + f", "horiz_end = horiz_start + f - 1")]),
    # `=` instead of `+=` for dA_prev.
    "cb_dA_assigned": ("conv_backward", [("horiz_start:horiz_end, :] += W[:, :, :, c]", "horiz_start:horiz_end, :] = W[:, :, :, c]")]),
    # `=` instead of `+=` for dW.
    "cb_dW_assigned": ("conv_backward", [("dW[:, :, :, c] += a_slice", "dW[:, :, :, c] = a_slice")]),
    # `=` instead of `+=` for db.
    "cb_db_assigned": ("conv_backward", [("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] = dZ[i, h, w, c]")]),
    # dW without the dZ factor.
    "cb_dW_missing_dZ": ("conv_backward", [("dW[:, :, :, c] += a_slice * dZ[i, h, w, c]", "dW[:, :, :, c] += a_slice")]),
    # dA_prev built with the weights of filter 0 for every filter.
    "cb_dA_first_filter": ("conv_backward", [("+= W[:, :, :, c] * dZ[i, h, w, c]", "+= W[:, :, :, 0] * dZ[i, h, w, c]")]),
    # db summed over the positions of the current example only (overwritten per example).
    "cb_db_not_summed_over_examples": ("conv_backward", [("db[:, :, :, c] += dZ[i, h, w, c]",
                                                          "db[:, :, :, c] = np.sum(dZ[i, :, :, c])")]),
    # db averaged over the batch (1/m habit from dense layers).
    "cb_db_divided_by_m": ("conv_backward", [("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] += dZ[i, h, w, c] / m")]),
    # db returned with shape (n_C,).
    "cb_db_wrong_shape": ("conv_backward", [("return dA_prev, dW, db", "return dA_prev, dW, np.sum(dZ, axis=(0, 1, 2))")]),
    # dW starts from random numbers.
    "cb_dW_random_init": ("conv_backward", [("dW = np.zeros((f, f, n_C_prev, n_C))", "dW = np.random.randn(f, f, n_C_prev, n_C)")]),
    # db starts from ones.
    "cb_db_ones_init": ("conv_backward", [("db = np.zeros((1, 1, 1, n_C))", "db = np.ones((1, 1, 1, n_C))")]),
    # The padded gradient starts from the padded input (copy-paste).
    "cb_dA_pad_from_A": ("conv_backward", [("dA_prev_pad = zero_pad(dA_prev, pad)", "dA_prev_pad = zero_pad(A_prev, pad)")]),
    # dW's window cut from the unpadded input.
    "cb_slice_from_unpadded_input": ("conv_backward", [("a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]",
                                                        "a_slice = A_prev[i, vert_start:vert_end, horiz_start:horiz_end, :]")]),

    # db averaged over the examples and positions instead of summed (issue 24: costs db's points only).
    "cb_db_averaged": ("conv_backward", [("db[:, :, :, c] += dZ[i, h, w, c]",
                                          "db[:, :, :, c] += dZ[i, h, w, c] / (m * n_H * n_W)")]),

    # ---------------------------------------------------------------- create_mask_from_window
    # Everything within 0.5 of the maximum (issue 24: once full marks, windows now have near-ties).
    "mask_shifted_max": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = x >= np.max(x) - 0.5")]),
    # Everything within a hair of the maximum.
    "mask_nearly_max": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = np.isclose(x, np.max(x), atol=1e-2)")]),
    # Positive entries instead of the maximum.
    "mask_positive_entries": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (x > 0)")]),
    # Entries at or above the mean.
    "mask_above_mean": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (x >= np.mean(x))")]),
    # Maximum of each column.
    "mask_column_max": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (x == np.max(x, axis=0))")]),
    # Minimum instead of maximum.
    "mask_min": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (x == np.min(x))")]),
    # Largest absolute value.
    "mask_abs_max": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (np.abs(x) == np.max(np.abs(x)))")]),
    # Values compared with the argmax index.
    "mask_equals_argmax_index": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = (x == np.argmax(x))")]),
    # Flat argmax unravelled with the number of rows.
    "mask_argmax_unravel_by_rows": ("create_mask_from_window", _MASK_ARGMAX_UNRAVEL_BY_ROWS),
    # Flat argmax used as a row index.
    "mask_argmax_as_row": ("create_mask_from_window", _MASK_ARGMAX_AS_ROW),
    # Keeps the maximum's value instead of marking it: np.where(x == max, x, 0).
    "mask_holds_max_value": ("create_mask_from_window", [("mask = (x == np.max(x))", "mask = np.where(x == np.max(x), x, 0)")]),

    # ---------------------------------------------------------------- distribute_value
    # dz not divided.
    "dv_not_divided": ("distribute_value", [("average = dz / (n_rows * n_cols)", "average = dz")]),
    # Integer division.
    "dv_integer_division": ("distribute_value", [("average = dz / (n_rows * n_cols)", "average = dz // (n_rows * n_cols)")]),
    # Shape swapped: (n_W, n_H).
    "dv_shape_swapped": ("distribute_value", [("a = np.ones(shape) * average", "a = np.ones((n_cols, n_rows)) * average")]),
    # Divided by n_H + n_W.
    "dv_divided_by_sum": ("distribute_value", [("average = dz / (n_rows * n_cols)", "average = dz / (n_rows + n_cols)")]),
    # Operator precedence: dz / n_H * n_W.
    "dv_precedence_error": ("distribute_value", [("average = dz / (n_rows * n_cols)", "average = dz / n_rows * n_cols")]),
    # Divided by n_H squared (square windows assumed).
    "dv_divided_by_height_squared": ("distribute_value", [("average = dz / (n_rows * n_cols)", "average = dz / (n_rows * n_rows)")]),

    # ---------------------------------------------------------------- pool_backward
    # `=` instead of `+=` in both modes.
    "pb_assigned_both_modes": ("pool_backward", [("horiz_start:horiz_end, c] +=", "horiz_start:horiz_end, c] =")]),
    # `=` instead of `+=` in max mode.
    "pb_assigned_max": ("pool_backward", [("horiz_start:horiz_end, c] += mask", "horiz_start:horiz_end, c] = mask")]),
    # `=` instead of `+=` in average mode.
    "pb_assigned_average": ("pool_backward", [("horiz_start:horiz_end, c] += distribute_value",
                                               "horiz_start:horiz_end, c] = distribute_value")]),
    # Stride ignored.
    "pb_no_stride": ("pool_backward", [("vert_start = h * stride", "vert_start = h"),
                                       ("horiz_start = w * stride", "horiz_start = w")]),
    # Stride ignored horizontally.
    "pb_no_horizontal_stride": ("pool_backward", [("horiz_start = w * stride", "horiz_start = w")]),
    # Mask built from the window of dA (the output side) instead of A_prev.
    "pb_mask_from_dA": ("pool_backward", [("a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]",
                                           "a_prev_slice = dA[i, vert_start:vert_end, horiz_start:horiz_end, c]")]),
    # Mask built from the window over all channels.
    "pb_mask_across_channels": ("pool_backward", [("a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]",
                                                   "a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, :]")]),
    # Mask built from channel 0 for every channel.
    "pb_mask_first_channel": ("pool_backward", [("a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]",
                                                 "a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, 0]")]),
    # Average mode shares over (n_H, n_W) of dA instead of (f, f).
    "pb_average_shape_of_dA": ("pool_backward", [("distribute_value(da, (f, f))", "distribute_value(da, (n_H, n_W))")]),
    # Mode string "avg".
    "pb_mode_avg_string": ("pool_backward", [('elif mode == "average":', 'elif mode == "avg":')]),
    # Mode string "Max".
    "pb_mode_Max_string": ("pool_backward", [('if mode == "max":', 'if mode == "Max":')]),
    # Max mode without the mask: the whole window gets the gradient.
    "pb_max_without_mask": ("pool_backward", [("c] += mask * dA[i, h, w, c]", "c] += dA[i, h, w, c]")]),
    # Average mode without sharing: every entry gets the whole gradient.
    "pb_average_not_shared": ("pool_backward", [("c] += distribute_value(da, (f, f))", "c] += da")]),
    # Gradient starts from ones.
    "pb_ones_init": ("pool_backward", [("dA_prev = np.zeros(A_prev.shape)", "dA_prev = np.ones(A_prev.shape)")]),
    # Gradient starts from random numbers.
    "pb_random_init": ("pool_backward", [("dA_prev = np.zeros(A_prev.shape)", "dA_prev = np.random.randn(*A_prev.shape)")]),
    # Window one row and one column too small.
    "pb_window_too_small": ("pool_backward", [("vert_end = vert_start + f", "vert_end = vert_start + f - 1"),
                                              ("horiz_end = horiz_start + f", "horiz_end = horiz_start + f - 1")]),
}

# ------------------------------------------------------------------------------------------
# ALTERNATIVES (right answers written differently)
# ------------------------------------------------------------------------------------------

_ZERO_PAD_SLICE = '''
def zero_pad(X, pad):
    """
    Pad every image of a batch with zeros: a zero array, the batch copied into its middle.
    """
    ### START CODE HERE ###
    m, n_H, n_W, n_C = X.shape
    X_pad = np.zeros((m, n_H + 2 * pad, n_W + 2 * pad, n_C), dtype=X.dtype)
    X_pad[:, pad:pad + n_H, pad:pad + n_W, :] = X
    ### END CODE HERE ###

    return X_pad
'''

_ZERO_PAD_SHORT_SPEC = '''
def zero_pad(X, pad):
    """
    Pad every image of a batch with zeros (one-number pad spec per axis).
    """
    ### START CODE HERE ###
    X_pad = np.pad(X, ((0,), (pad,), (pad,), (0,)), "constant", constant_values=0.0)
    ### END CODE HERE ###

    return X_pad
'''

_CSS_FLOAT = '''
def conv_single_step(a_slice_prev, W, b):
    """
    One step of convolution, returned as a Python float.
    """
    ### START CODE HERE ###
    Z = float(np.sum(a_slice_prev * W) + b.item())
    ### END CODE HERE ###

    return Z
'''

_CSS_SQUEEZE = '''
def conv_single_step(a_slice_prev, W, b):
    """
    One step of convolution: a 0-d result after squeezing the bias away.
    """
    ### START CODE HERE ###
    Z = np.squeeze(np.sum(a_slice_prev * W) + b)
    ### END CODE HERE ###

    return Z
'''

_CSS_EINSUM = '''
def conv_single_step(a_slice_prev, W, b):
    """
    One step of convolution with einsum and the bias read by index.
    """
    ### START CODE HERE ###
    Z = np.einsum("ijk,ijk->", a_slice_prev, W) + b[0, 0, 0]
    ### END CODE HERE ###

    return Z
'''

_CF_SLIDING = '''
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer: all windows at once with sliding_window_view.
    """
    ### START CODE HERE ###
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    f, _, n_C_prev, n_C = W.shape
    A_prev_pad = zero_pad(A_prev, pad)
    # (m, positions along H, positions along W, n_C_prev, f, f), keeping every stride-th position
    windows = np.lib.stride_tricks.sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    Z = np.einsum("mhwcij,ijcn->mhwn", windows, W) + b.reshape(1, 1, 1, n_C)
    ### END CODE HERE ###

    cache = (A_prev, W, b, hparameters)
    return Z, cache
'''

_CF_TENSORDOT = '''
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer: one tensordot per output position, over the batch.
    """
    ### START CODE HERE ###
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    stride, pad = hparameters["stride"], hparameters["pad"]
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    A_pad = np.pad(A_prev, [(0, 0), (pad, pad), (pad, pad), (0, 0)])
    Z = np.empty((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_pad[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            Z[:, h, w, :] = np.tensordot(window, W, axes=([1, 2, 3], [0, 1, 2]))
    Z += b[0, 0, 0]
    ### END CODE HERE ###

    cache = (A_prev, W, b, hparameters)
    return Z, cache
'''

_CF_IM2COL = '''
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer: im2col, then a single matrix product.
    """
    ### START CODE HERE ###
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    A_prev_pad = zero_pad(A_prev, pad)
    cols = np.empty((m, n_H, n_W, f * f * n_C_prev), dtype=A_prev_pad.dtype)
    for h in range(n_H):
        for w in range(n_W):
            patch = A_prev_pad[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            cols[:, h, w, :] = patch.reshape(m, -1)
    Z = cols.reshape(m * n_H * n_W, -1) @ W.reshape(f * f * n_C_prev, n_C)
    Z = Z.reshape(m, n_H, n_W, n_C) + b.reshape(1, 1, 1, n_C)
    ### END CODE HERE ###

    cache = (A_prev, W, b, hparameters)
    return Z, cache
'''

_CF_RANGE_LOOPS = '''
def conv_forward(A_prev, W, b, hparameters):
    """
    Forward pass of a convolutional layer: filters outermost, window corners from strided ranges.
    """
    ### START CODE HERE ###
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_prev_pad = zero_pad(A_prev, pad)
    for c in range(n_C):
        for h, top in enumerate(range(0, n_H_prev + 2 * pad - f + 1, stride)):
            for w, left in enumerate(range(0, n_W_prev + 2 * pad - f + 1, stride)):
                for i in range(m):
                    Z[i, h, w, c] = conv_single_step(A_prev_pad[i, top:top + f, left:left + f, :],
                                                     W[..., c], b[..., c])
    ### END CODE HERE ###

    cache = (A_prev, W, b, hparameters)
    return Z, cache
'''

_PF_SLIDING = '''
def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer: all windows at once with sliding_window_view.
    """
    ### START CODE HERE ###
    f = hparameters["f"]
    stride = hparameters["stride"]
    windows = np.lib.stride_tricks.sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    if mode == "max":
        A = windows.max(axis=(-2, -1))
    elif mode == "average":
        A = windows.mean(axis=(-2, -1))
    ### END CODE HERE ###

    cache = (A_prev, hparameters)
    return A, cache
'''

_PF_POSITIONS = '''
def pool_forward(A_prev, hparameters, mode="max"):
    """
    Forward pass of a pooling layer: a loop over output positions, vectorised over the batch
    and the channels, the reduction picked from a dictionary.
    """
    ### START CODE HERE ###
    (m, n_H_prev, n_W_prev, n_C) = A_prev.shape
    f, stride = hparameters["f"], hparameters["stride"]
    n_H = 1 + (n_H_prev - f) // stride
    n_W = 1 + (n_W_prev - f) // stride
    reduce = {"max": np.max, "average": np.mean}[mode]
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            A[:, h, w, :] = reduce(A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :], axis=(1, 2))
    ### END CODE HERE ###

    cache = (A_prev, hparameters)
    return A, cache
'''

_CB_OFFSETS = '''
def conv_backward(dZ, cache):
    """
    Backward pass of a convolutional layer: one einsum per kernel offset over strided slices.
    """
    ### START CODE HERE ###
    (A_prev, W, b, hparameters) = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    (m, n_H, n_W, n_C) = dZ.shape
    n_H_prev, n_W_prev = A_prev.shape[1], A_prev.shape[2]
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dA_pad = np.zeros(A_pad.shape)
    dW = np.zeros(W.shape)
    for di in range(f):
        for dj in range(f):
            rows = slice(di, di + stride * (n_H - 1) + 1, stride)
            cols = slice(dj, dj + stride * (n_W - 1) + 1, stride)
            dA_pad[:, rows, cols, :] += np.einsum("mhwn,cn->mhwc", dZ, W[di, dj])
            dW[di, dj] = np.einsum("mhwc,mhwn->cn", A_pad[:, rows, cols, :], dZ)
    db = np.sum(dZ, axis=(0, 1, 2), keepdims=True)
    dA_prev = dA_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    ### END CODE HERE ###

    return dA_prev, dW, db
'''

_CB_POSITIONS = '''
def conv_backward(dZ, cache):
    """
    Backward pass of a convolutional layer: a loop over output positions, tensordot over the
    batch and the filters; unpadding with [pad:-pad] only when there is a padding.
    """
    ### START CODE HERE ###
    (A_prev, W, b, hparameters) = cache
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    f = W.shape[0]
    (m, n_H, n_W, n_C) = dZ.shape
    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = np.zeros(A_prev_pad.shape)
    dW = np.zeros(W.shape)
    for h in range(n_H):
        for w in range(n_W):
            top, left = h * stride, w * stride
            dz = dZ[:, h, w, :]                                                    # (m, n_C)
            dA_prev_pad[:, top:top + f, left:left + f, :] += np.tensordot(dz, W, axes=([1], [3]))
            dW += np.tensordot(A_prev_pad[:, top:top + f, left:left + f, :], dz, axes=([0], [0]))
    db = dZ.sum(axis=(0, 1, 2)).reshape(1, 1, 1, n_C)
    dA_prev = dA_prev_pad[:, pad:-pad, pad:-pad, :] if pad > 0 else dA_prev_pad
    ### END CODE HERE ###

    return dA_prev, dW, db
'''

_MASK_INT = '''
def create_mask_from_window(x):
    """
    Mark the position of the maximum of a window, as 1/0 integers.
    """
    ### START CODE HERE ###
    mask = (x == x.max()).astype(int)
    ### END CODE HERE ###

    return mask
'''

_MASK_ARGMAX = '''
def create_mask_from_window(x):
    """
    Mark the position of the maximum of a window with argmax and unravel_index.
    """
    ### START CODE HERE ###
    mask = np.zeros(x.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(x), x.shape)] = True
    ### END CODE HERE ###

    return mask
'''

_DV_FULL = '''
def distribute_value(dz, shape):
    """
    Share a gradient equally over a window, with np.full.
    """
    ### START CODE HERE ###
    (n_H, n_W) = shape
    a = np.full((n_H, n_W), dz / (n_H * n_W))
    ### END CODE HERE ###

    return a
'''

_DV_PROD = '''
def distribute_value(dz, shape):
    """
    Share a gradient equally over a window: ones times dz over the number of entries.
    """
    ### START CODE HERE ###
    a = np.ones(shape) * dz / np.prod(shape)
    ### END CODE HERE ###

    return a
'''

_PB_OFFSETS = '''
def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer: a loop over the f x f offsets, strided slices over
    every window at once.
    """
    ### START CODE HERE ###
    (A_prev, hparameters) = cache
    f, stride = hparameters["f"], hparameters["stride"]
    (m, n_H, n_W, n_C) = dA.shape
    spans = [(slice(di, di + stride * (n_H - 1) + 1, stride), slice(dj, dj + stride * (n_W - 1) + 1, stride))
             for di in range(f) for dj in range(f)]
    dA_prev = np.zeros(A_prev.shape)
    if mode == "max":
        out = np.max([A_prev[:, rows, cols, :] for rows, cols in spans], axis=0)
        for rows, cols in spans:
            dA_prev[:, rows, cols, :] += dA * (A_prev[:, rows, cols, :] == out)
    elif mode == "average":
        for rows, cols in spans:
            dA_prev[:, rows, cols, :] += dA / (f * f)
    ### END CODE HERE ###

    return dA_prev
'''

_PB_POSITIONS = '''
def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer: a loop over output positions, vectorised over the
    batch and the channels.
    """
    ### START CODE HERE ###
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for h in range(n_H):
        for w in range(n_W):
            rows = slice(h * stride, h * stride + f)
            cols = slice(w * stride, w * stride + f)
            grad = dA[:, h, w, :][:, None, None, :]                 # (m, 1, 1, n_C)
            if mode == "max":
                window = A_prev[:, rows, cols, :]
                mask = window == window.max(axis=(1, 2), keepdims=True)
                dA_prev[:, rows, cols, :] += mask * grad
            elif mode == "average":
                dA_prev[:, rows, cols, :] += grad / (f * f)
    ### END CODE HERE ###

    return dA_prev
'''

_PB_LOOPS_HELPERS = '''
def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer: the lecture's loops, channels outermost, corners from
    strided ranges, and the notebook's helpers.
    """
    ### START CODE HERE ###
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    n_H, n_W = dA.shape[1], dA.shape[2]
    dA_prev = np.zeros_like(A_prev, dtype=float)
    for c in range(A_prev.shape[3]):
        for i in range(A_prev.shape[0]):
            for h, top in enumerate(range(0, stride * n_H, stride)):
                for w, left in enumerate(range(0, stride * n_W, stride)):
                    if mode == "max":
                        mask = create_mask_from_window(A_prev[i, top:top + f, left:left + f, c])
                        dA_prev[i, top:top + f, left:left + f, c] += np.multiply(mask, dA[i, h, w, c])
                    elif mode == "average":
                        dA_prev[i, top:top + f, left:left + f, c] += distribute_value(dA[i, h, w, c], (f, f))
    ### END CODE HERE ###

    return dA_prev
'''

ALTERNATIVES: dict[str, dict[str, Answer]] = {
    "zero_pad_zeros_and_slice": {"zero_pad": _ZERO_PAD_SLICE},
    "zero_pad_short_pad_spec": {"zero_pad": _ZERO_PAD_SHORT_SPEC},
    "css_python_float": {"conv_single_step": _CSS_FLOAT},
    "css_squeeze": {"conv_single_step": _CSS_SQUEEZE},
    "css_einsum": {"conv_single_step": _CSS_EINSUM},
    "cf_sliding_window_einsum": {"conv_forward": _CF_SLIDING},
    "cf_tensordot_per_position": {"conv_forward": _CF_TENSORDOT},
    "cf_im2col_matmul": {"conv_forward": _CF_IM2COL},
    "cf_range_loops_filters_first": {"conv_forward": _CF_RANGE_LOOPS},
    "pf_sliding_window": {"pool_forward": _PF_SLIDING},
    "pf_positions_vectorised": {"pool_forward": _PF_POSITIONS},
    "cb_kernel_offsets_einsum": {"conv_backward": _CB_OFFSETS},
    "cb_positions_tensordot": {"conv_backward": _CB_POSITIONS},
    "mask_int_zero_one": {"create_mask_from_window": _MASK_INT},
    "mask_argmax_unravel": {"create_mask_from_window": _MASK_ARGMAX},
    "dv_full": {"distribute_value": _DV_FULL},
    "dv_prod_of_shape": {"distribute_value": _DV_PROD},
    "pb_kernel_offsets": {"pool_backward": _PB_OFFSETS},
    "pb_positions_vectorised": {"pool_backward": _PB_POSITIONS},
    "pb_loops_channels_first": {"pool_backward": _PB_LOOPS_HELPERS},
    # Several functions at once: a fully vectorised student.
    "vectorised_everything": {"zero_pad": _ZERO_PAD_SLICE, "conv_single_step": _CSS_EINSUM,
                              "conv_forward": _CF_IM2COL, "pool_forward": _PF_SLIDING,
                              "conv_backward": _CB_OFFSETS, "create_mask_from_window": _MASK_INT,
                              "distribute_value": _DV_FULL, "pool_backward": _PB_OFFSETS},
    # Another mix of styles.
    "mixed_styles": {"zero_pad": _ZERO_PAD_SHORT_SPEC, "conv_single_step": _CSS_FLOAT,
                     "conv_forward": _CF_TENSORDOT, "pool_forward": _PF_POSITIONS,
                     "conv_backward": _CB_POSITIONS, "create_mask_from_window": _MASK_ARGMAX,
                     "distribute_value": _DV_PROD, "pool_backward": _PB_POSITIONS},
}
