"""Teaching figures for the CNN layers assignment.

Every public function draws one figure with matplotlib and returns the
``matplotlib.figure.Figure``; nothing is shown or saved here.  In a
notebook, a returned figure is displayed when it is the last expression
of a cell (or pass it to ``display``).

A 2-D grid ``x[row, col]`` is one channel of one example: rows run
downwards (the ``h`` direction) and columns to the right (``w``).
"""

from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import ConnectionPatch, Rectangle

# A small, calm palette shared by every figure.
_TEXT = "#1f2933"
_GRID = "#8a96a3"
_CELL = "#f3f5f8"
_ACCENT = "#2b6cb0"  # window / highlighted cell outline
_ACCENT_FILL = "#c6dbf0"  # window / highlighted cell fill
_PAD_FILL = "#f2e6cc"  # padding cells
_PAD_EDGE = "#c08a2e"  # outline of the original region, padding edges
_WARN = "#c0504d"  # a window that does not fit


# ----------------------------------------------------------------------
# private helpers
# ----------------------------------------------------------------------
def _out_size(n_prev: int, f: int, pad: int, stride: int) -> int:
    """Output length along one axis: floor((n_prev - f + 2*pad) / stride) + 1."""
    return (n_prev - f + 2 * pad) // stride + 1


def _check_window(n_prev: int, f: int, pad: int, stride: int, name: str) -> None:
    """Raise ValueError if the window, stride or padding do not make sense."""
    if f < 1 or stride < 1 or pad < 0:
        raise ValueError("need f >= 1, stride >= 1 and pad >= 0, got "
                         f"f={f}, stride={stride}, pad={pad}")
    if f > n_prev + 2 * pad:
        raise ValueError(f"the window (f={f}) is larger than the {name} "
                         f"({n_prev} + 2*{pad} = {n_prev + 2 * pad} cells)")


def _number_format(values: np.ndarray, n_cells: int) -> str:
    """Integers stay integers; other numbers get 2 (or 1 for big grids) decimals."""
    if np.all(np.isfinite(values)) and np.allclose(values, np.round(values)):
        return "{:.0f}"
    return "{:.2f}" if n_cells <= 7 else "{:.1f}"


def _number_size(n_cells: int) -> float:
    """Font size for numbers written inside the cells of a grid."""
    if n_cells <= 4:
        return 10.0
    return 9.0 if n_cells <= 7 else 7.5


def _index_labels(ax: Axes, n_rows: int, n_cols: int, offset: tuple[int, int],
                  sides: tuple[str, str]) -> None:
    """Write row/column indices next to a grid.

    ``sides`` is (side for column indices: "top"/"bottom",
    side for row indices: "left"/"right").
    """
    r0, c0 = offset
    col_side, row_side = sides
    style = {"fontsize": 8, "color": _GRID, "textcoords": "offset points",
             "annotation_clip": False}
    step_c = 1 if n_cols <= 16 else int(np.ceil(n_cols / 8))
    step_r = 1 if n_rows <= 16 else int(np.ceil(n_rows / 8))
    for j in range(0, n_cols, step_c):
        if col_side == "top":
            ax.annotate(str(j), (c0 + j, r0 - 0.5), xytext=(0, 3),
                        ha="center", va="bottom", **style)
        else:
            ax.annotate(str(j), (c0 + j, r0 + n_rows - 0.5), xytext=(0, -3),
                        ha="center", va="top", **style)
    for i in range(0, n_rows, step_r):
        if row_side == "right":
            ax.annotate(str(i), (c0 + n_cols - 0.5, r0 + i), xytext=(4, 0),
                        ha="left", va="center", **style)
        else:
            ax.annotate(str(i), (c0 - 0.5, r0 + i), xytext=(-4, 0),
                        ha="right", va="center", **style)


def _grid_frame(ax: Axes, n_rows: int, n_cols: int,
                offset: tuple[int, int] = (0, 0),
                box: tuple[float, float] | None = None,
                sides: tuple[str, str] = ("bottom", "left")) -> None:
    """Cell borders, index labels, equal aspect and limits for a grid.

    The grid's top-left cell is centred at ``offset`` (row, col); the axes
    limits span ``box`` (rows, cols) cells, by default just the grid.
    """
    r0, c0 = offset
    box_rows, box_cols = box if box else (n_rows, n_cols)
    ax.set_xlim(-0.5, box_cols - 0.5)
    ax.set_ylim(box_rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.hlines(r0 + np.arange(n_rows + 1) - 0.5, c0 - 0.5, c0 + n_cols - 0.5,
              colors=_GRID, linewidth=0.8)
    ax.vlines(c0 + np.arange(n_cols + 1) - 0.5, r0 - 0.5, r0 + n_rows - 0.5,
              colors=_GRID, linewidth=0.8)
    ax.set_axis_off()
    _index_labels(ax, n_rows, n_cols, offset, sides)


def _value_grid(ax: Axes, values: np.ndarray, title: str, cmap: str,
                vmin: float, vmax: float, annotate: bool = True,
                offset: tuple[int, int] = (0, 0),
                box: tuple[float, float] | None = None) -> None:
    """Draw a 2-D array as coloured cells, optionally writing each value.

    ``offset`` and ``box`` place the grid inside larger limits (see
    `_grid_frame`).
    """
    n_rows, n_cols = values.shape
    r0, c0 = offset
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest",
                      extent=(c0 - 0.5, c0 + n_cols - 0.5,
                              r0 + n_rows - 0.5, r0 - 0.5))
    _grid_frame(ax, n_rows, n_cols, offset=offset, box=box)
    ax.set_title(title, fontsize=10, color=_TEXT)
    if not annotate:
        return
    size = max(n_rows, n_cols)
    fmt = _number_format(values, size)
    rgba = image.cmap(image.norm(values))
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    for i in range(n_rows):
        for j in range(n_cols):
            colour = "white" if luminance[i, j] < 0.5 else _TEXT
            ax.text(c0 + j, r0 + i, fmt.format(values[i, j]), ha="center",
                    va="center", fontsize=_number_size(size), color=colour)


def _blank_grid(ax: Axes, n_rows: int, n_cols: int,
                box: tuple[float, float] | None = None,
                sides: tuple[str, str] = ("bottom", "left")) -> None:
    """Draw an empty grid of light cells with its top-left cell at (0, 0)."""
    ax.add_patch(Rectangle((-0.5, -0.5), n_cols, n_rows, facecolor=_CELL,
                           edgecolor="none", zorder=0))
    _grid_frame(ax, n_rows, n_cols, box=box, sides=sides)


def _outline(ax: Axes, row: float, col: float, height: float, width: float,
             colour: str = _ACCENT, fill: str | None = None,
             linewidth: float = 2.5, linestyle: str = "-") -> None:
    """Outline (and optionally fill) the block of cells from (row, col)."""
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), width, height,
                           facecolor=fill or "none", edgecolor=colour,
                           linewidth=linewidth, linestyle=linestyle, zorder=3))


def _caption(ax: Axes, text: str, points_below: float = 16, **kwargs) -> None:
    """Write a short caption centred under an axes (below its index labels)."""
    ax.annotate(text, (0.5, 0), xycoords="axes fraction",
                xytext=(0, -points_below), textcoords="offset points",
                ha="center", va="top", fontsize=9, color=_TEXT, **kwargs)


# ----------------------------------------------------------------------
# public figures
# ----------------------------------------------------------------------
def show_zero_padding(image: np.ndarray, padded: np.ndarray, pad: int) -> Figure:
    """Draw one channel before and after zero padding, side by side.

    Both panels share one grey scale and one cell size; the original
    region is outlined inside the padded image.

    Args:
        image: the channel before padding, shape (n_H, n_W).
        padded: the channel after padding, shape (n_H + 2*pad, n_W + 2*pad).
        pad: number of zero rows/columns added on each side.

    Returns:
        The figure, with two axes (before, after).
    """
    image = np.asarray(image, dtype=float)
    padded = np.asarray(padded, dtype=float)
    if image.ndim != 2 or padded.ndim != 2:
        raise ValueError("image and padded must be 2-D (one channel of one "
                         f"example), got shapes {image.shape} and {padded.shape}")
    n_H, n_W = image.shape
    shape_pad = (n_H + 2 * pad, n_W + 2 * pad)
    if pad < 0 or padded.shape != shape_pad:
        raise ValueError(f"with pad={pad}, padded should have shape "
                         f"{shape_pad}, got {padded.shape}")

    vmin = min(image.min(), padded.min())
    vmax = max(image.max(), padded.max())
    annotate = max(shape_pad) <= 10

    fig, (ax_x, ax_pad) = plt.subplots(1, 2, figsize=(9, 4.2))
    fig.subplots_adjust(left=0.04, right=0.98, top=0.91, bottom=0.11,
                        wspace=0.12)
    # The left panel keeps the padded extent, so the cells match in size.
    _value_grid(ax_x, image, f"x: {n_H} x {n_W}", "gray", vmin, vmax,
                annotate, offset=(pad, pad), box=shape_pad)
    _value_grid(ax_pad, padded,
                f"x_pad: {shape_pad[0]} x {shape_pad[1]} (pad = {pad})",
                "gray", vmin, vmax, annotate)
    _outline(ax_pad, pad, pad, n_H, n_W, colour=_PAD_EDGE, linewidth=3)
    _caption(ax_pad, "outlined: the original x;  around it: the added zeros")
    return fig


def show_conv_step(a_slice: np.ndarray, W: np.ndarray, b: float) -> Figure:
    """Draw one convolution step on one channel: window ⊙ filter, sum, + b.

    Args:
        a_slice: the input window, shape (f, f).
        W: the filter weights, shape (f, f).
        b: the bias, a number (a one-element array is accepted too).

    Returns:
        The figure, with four axes (window, filter, products, result).
    """
    a_slice = np.asarray(a_slice, dtype=float)
    W = np.asarray(W, dtype=float)
    if a_slice.ndim != 2 or a_slice.shape != W.shape:
        raise ValueError("a_slice and W must be 2-D with the same shape, got "
                         f"{a_slice.shape} and {W.shape}")
    b = float(np.asarray(b, dtype=float).reshape(-1)[0])
    products = a_slice * W
    total = float(products.sum())
    Z = total + b

    fig, axes = plt.subplots(1, 4, figsize=(10, 3.2))
    fig.subplots_adjust(left=0.03, right=0.99, top=0.88, bottom=0.08,
                        wspace=0.5)
    panels = [(a_slice, "window (a_slice)"), (W, "filter (W)"),
              (products, "products")]
    for ax, (values, title) in zip(axes, panels):
        # A widened range around 0 keeps the colours light and 0 white.
        top = 1.6 * max(float(np.abs(values).max()), 1e-12)
        _value_grid(ax, values, title, "RdBu_r", -top, top)

    # Result panel: the same square box as the grids, so titles line up.
    ax_res = axes[3]
    ax_res.set_xlim(0, 1)
    ax_res.set_ylim(0, 1)
    ax_res.set_aspect("equal")
    ax_res.set_axis_off()
    ax_res.set_title("result", fontsize=10, color=_TEXT)
    ax_res.text(0.5, 0.85, f"sum = {total:.2f}", ha="center", va="center",
                fontsize=11, color=_TEXT)
    ax_res.text(0.5, 0.62, f"+ b = {b:+.2f}", ha="center", va="center",
                fontsize=11, color=_TEXT)
    ax_res.text(0.5, 0.3, f"Z = {Z:.2f}", ha="center", va="center",
                fontsize=13, fontweight="bold", color=_ACCENT,
                bbox={"boxstyle": "round,pad=0.5", "facecolor": _ACCENT_FILL,
                      "edgecolor": _ACCENT})

    # Operators centred in the gaps between the (aspect-adjusted) panels.
    for ax in axes:
        ax.apply_aspect()
    for left, right, symbol in zip(axes[:-1], axes[1:], ["⊙", "=", "→"]):
        p, q = left.get_position(), right.get_position()
        fig.text((p.x1 + q.x0) / 2, (p.y0 + p.y1) / 2, symbol, ha="center",
                 va="center", fontsize=20, color=_TEXT)
    return fig


def show_window_corners(n_H_prev: int, n_W_prev: int, f: int, stride: int,
                        h: int, w: int, pad: int = 0) -> Figure:
    """Draw where the window for output position (h, w) sits in the input.

    Left: the padded input grid (the input itself outlined, dashed, when
    pad > 0) with the window highlighted and vert_start, vert_end,
    horiz_start, horiz_end marked on its edges.
    Right: the output grid, sized with the floor formula, with cell (h, w)
    highlighted, and the formulas with the numbers filled in.

    Args:
        n_H_prev: number of input rows, before padding.
        n_W_prev: number of input columns, before padding.
        f: filter (window) size.
        stride: step between neighbouring windows.
        h: output row, 0 <= h < n_H.
        w: output column, 0 <= w < n_W.
        pad: zero rows and columns added on each side.

    Returns:
        The figure, with two axes (input, output).

    Raises:
        ValueError: if (h, w) is outside the output grid.
    """
    _check_window(n_H_prev, f, pad, stride, "input height")
    _check_window(n_W_prev, f, pad, stride, "input width")
    n_H = _out_size(n_H_prev, f, pad, stride)
    n_W = _out_size(n_W_prev, f, pad, stride)
    rows, cols = n_H_prev, n_W_prev           # the input as the formulas see it
    n_H_prev, n_W_prev = n_H_prev + 2 * pad, n_W_prev + 2 * pad   # the grid drawn
    if not (0 <= h < n_H and 0 <= w < n_W):
        raise ValueError(
            f"(h, w) = ({h}, {w}) is outside the {n_H} x {n_W} output grid: "
            f"need 0 <= h < {n_H} and 0 <= w < {n_W}")

    vert_start = h * stride
    vert_end = vert_start + f
    horiz_start = w * stride
    horiz_end = horiz_start + f

    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(10, 4.5), gridspec_kw={"width_ratios": [1.15, 1]})
    fig.subplots_adjust(left=0.13, right=0.98, top=0.8, bottom=0.1,
                        wspace=0.2)

    # Input grid with the window; its edges are labelled with arrows
    # (rows on the left, columns above the grid).
    _blank_grid(ax_in, n_H_prev, n_W_prev)
    if pad:
        _outline(ax_in, pad, pad, rows, cols, colour=_TEXT, linewidth=1.2,
                 linestyle="--")
    _outline(ax_in, vert_start, horiz_start, f, f, fill=_ACCENT_FILL)
    title = (f"input {rows} x {cols}, padded by {pad}: {n_H_prev} x {n_W_prev}"
             if pad else f"input: {n_H_prev} x {n_W_prev} (no padding)")
    ax_in.set_title(title, fontsize=10, color=_TEXT, pad=32)
    _caption(ax_in, f"a_slice = a_prev_pad[{vert_start}:{vert_end}, "
                    f"{horiz_start}:{horiz_end}, :]", family="monospace")
    label = {"fontsize": 8.5, "color": _ACCENT, "textcoords": "offset points",
             "annotation_clip": False,
             "arrowprops": {"arrowstyle": "->", "color": _ACCENT, "lw": 1.2}}
    ax_in.annotate(f"vert_start = {vert_start}", (-0.5, vert_start - 0.5),
                   xytext=(-24, 0), ha="right", va="center", **label)
    ax_in.annotate(f"vert_end = {vert_end}", (-0.5, vert_end - 0.5),
                   xytext=(-24, 0), ha="right", va="center", **label)
    ax_in.annotate(f"horiz_start = {horiz_start}", (horiz_start - 0.5, -0.5),
                   xytext=(-4, 18), ha="right", va="bottom", **label)
    ax_in.annotate(f"horiz_end = {horiz_end}", (horiz_end - 0.5, -0.5),
                   xytext=(4, 18), ha="left", va="bottom", **label)

    # Output grid: same cell size as the input where possible, with room
    # under it for the formulas (about 40% of the panel height).
    box = (max(n_H_prev, (n_H + 0.6) / 0.6), max(n_W_prev, n_W))
    _blank_grid(ax_out, n_H, n_W, box=box, sides=("top", "right"))
    _outline(ax_out, h, w, 1, 1, fill=_ACCENT_FILL)
    if max(n_H_prev, n_W_prev) <= 12:  # cells big enough for a label
        ax_out.text(w, h, f"({h},{w})", ha="center", va="center",
                    fontsize=8, color=_ACCENT, zorder=4)
    ax_out.set_title(f"output: {n_H} x {n_W}", fontsize=10, color=_TEXT,
                     pad=32)
    formulas = "\n".join([
        f"n_H = floor(({rows} - {f} + 2 * {pad}) / {stride}) + 1 = {n_H}",
        f"n_W = floor(({cols} - {f} + 2 * {pad}) / {stride}) + 1 = {n_W}",
        "",
        f"vert_start  = h * stride      = {h} * {stride} = {vert_start}",
        f"vert_end    = vert_start + f  = {vert_start} + {f} = {vert_end}",
        f"horiz_start = w * stride      = {w} * {stride} = {horiz_start}",
        f"horiz_end   = horiz_start + f = {horiz_start} + {f} = {horiz_end}",
    ])
    # Indented a little, so the arrow below never runs through the text.
    ax_out.annotate(formulas, (-0.5, n_H - 0.5), xytext=(14, -14),
                    textcoords="offset points", ha="left", va="top",
                    family="monospace", fontsize=8.5, color=_TEXT,
                    annotation_clip=False)

    # Dashed arrow from the window to the output cell it produces.
    fig.add_artist(ConnectionPatch(
        xyA=(horiz_end - 0.5, (vert_start + vert_end - 1) / 2),
        coordsA=ax_in.transData, xyB=(w - 0.5, h), coordsB=ax_out.transData,
        arrowstyle="->", color=_ACCENT, lw=1.2, linestyle="--"))
    return fig


def show_pooling(x: np.ndarray, f: int, stride: int) -> Figure:
    """Draw max pooling and average pooling of one channel.

    Left: the input with the first window outlined (the others dashed).
    Middle and right: the max-pooled and average-pooled outputs, of size
    floor((n_H_prev - f) / stride) + 1 by floor((n_W_prev - f) / stride) + 1.

    Args:
        x: one channel of one example, shape (n_H_prev, n_W_prev).
        f: pooling window size.
        stride: step between neighbouring windows.

    Returns:
        The figure, with three axes (input, max pooling, average pooling).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (n_H_prev, n_W_prev), got {x.shape}")
    n_H_prev, n_W_prev = x.shape
    _check_window(n_H_prev, f, 0, stride, "input height")
    _check_window(n_W_prev, f, 0, stride, "input width")
    n_H = _out_size(n_H_prev, f, 0, stride)
    n_W = _out_size(n_W_prev, f, 0, stride)

    max_out = np.zeros((n_H, n_W))
    avg_out = np.zeros((n_H, n_W))
    for i in range(n_H):
        for j in range(n_W):
            window = x[i * stride:i * stride + f, j * stride:j * stride + f]
            max_out[i, j] = window.max()
            avg_out[i, j] = window.mean()

    # One colour range for all panels, widened at the top to stay light.
    low, high = float(x.min()), float(x.max())
    high += 0.4 * max(high - low, 1e-12)
    out_ratio = max(n_W, 0.55 * n_W_prev)
    fig, (ax_x, ax_max, ax_avg) = plt.subplots(
        1, 3, figsize=(10, 3.8),
        gridspec_kw={"width_ratios": [n_W_prev, out_ratio, out_ratio]})
    fig.subplots_adjust(left=0.03, right=0.99, top=0.9, bottom=0.12,
                        wspace=0.2)

    _value_grid(ax_x, x, "input", "Blues", low, high)
    for i in range(n_H):
        for j in range(n_W):
            if i or j:
                _outline(ax_x, i * stride, j * stride, f, f, colour=_GRID,
                         linewidth=1.2, linestyle="--")
    _outline(ax_x, 0, 0, f, f)
    _caption(ax_x, "solid: the first window;  dashed: the others")

    _value_grid(ax_max, max_out, f"max pooling (f={f}, stride={stride})",
                "Blues", low, high)
    _value_grid(ax_avg, avg_out, "average pooling", "Blues", low, high)
    for ax in (ax_max, ax_avg):
        _outline(ax, 0, 0, 1, 1)
        _caption(ax, f"output: {n_H} x {n_W}")
    return fig


def show_conv_output_sizes(n_H_prev: int, f: int, pad: int, stride: int) -> Figure:
    """Draw every window position along one axis of a convolution.

    The top row shows the n_H_prev input cells with ``pad`` zero cells on
    each side; each row below is one window position.  A dashed red bar
    shows the next position, which does not fit: this is why
    n_H = floor((n_H_prev - f + 2*pad) / stride) + 1 rounds down.

    Args:
        n_H_prev: number of input cells along the axis, before padding.
        f: filter (window) size.
        pad: number of zero cells added on each side.
        stride: step between neighbouring windows.

    Returns:
        The figure, with one axes.
    """
    _check_window(n_H_prev, f, pad, stride, "padded input")
    total = n_H_prev + 2 * pad
    n_H = _out_size(n_H_prev, f, pad, stride)

    height = float(np.clip(1.9 + 0.3 * (n_H + 2), 3.0, 4.5))
    fig, ax = plt.subplots(figsize=(10, height))
    fig.subplots_adjust(left=0.1, right=0.99, top=1 - 0.6 / height,
                        bottom=0.55 / height)

    # Top row: padding cells (sand) and input cells (labelled by index).
    wide = total > 16  # narrow cells: shorter labels, smaller font
    for k in range(total):
        is_pad = k < pad or k >= pad + n_H_prev
        ax.add_patch(Rectangle((k - 0.5, -0.4), 1, 0.8, linewidth=0.8,
                               facecolor=_PAD_FILL if is_pad else _CELL,
                               edgecolor=_PAD_EDGE if is_pad else _GRID))
        text = ("0" if wide else "pad") if is_pad else str(k - pad)
        ax.text(k, 0, text, ha="center", va="center",
                fontsize=6.5 if wide else 8,
                color=_PAD_EDGE if is_pad else _TEXT)

    # Cells at the end that no window reaches.
    end_used = (n_H - 1) * stride + f
    if end_used < total:
        ax.add_patch(Rectangle((end_used - 0.5, -0.4), total - end_used, 0.8,
                               facecolor="none", edgecolor=_WARN,
                               linewidth=1.5, linestyle="--"))

    # One bar per window position, then the next one, which does not fit.
    for i in range(n_H + 1):
        fits = i < n_H
        ax.add_patch(Rectangle((i * stride - 0.5, i + 0.75), f, 0.5,
                               facecolor=_ACCENT_FILL if fits else "none",
                               edgecolor=_ACCENT if fits else _WARN,
                               linewidth=1.2, linestyle="-" if fits else "--"))
    start = n_H * stride
    note = (f"would need cells {start}..{start + f - 1}, "
            f"but the last cell is {total - 1}")
    if end_used < total:
        unused = (f"cell {end_used} is" if end_used == total - 1
                  else f"cells {end_used}..{total - 1} are")
        note += f"\n({unused} never covered)"
    # The note goes left of the dashed bar if there is room, else right
    # (rough width: 0.09 inch per character on an axes about 8.9 inch wide).
    x_max = max(total, start + f) + 0.4
    chars = max(len(line) for line in note.split("\n"))
    note_cells = 0.09 * chars * (x_max + 0.9) / 8.9
    if start - 1 >= note_cells:
        ax.text(start - 0.9, n_H + 1, note, ha="right", va="center",
                fontsize=8, color=_WARN)
    else:
        ax.text(start + f - 0.2, n_H + 1, note, ha="left", va="center",
                fontsize=8, color=_WARN)
        x_max += note_cells

    ax.set_xlim(-0.9, x_max)
    ax.set_ylim(n_H + 1.6, -0.7)
    step = 1 if n_H <= 12 else int(np.ceil(n_H / 10))
    rows = [0] + [i + 1 for i in range(0, n_H, step)] + [n_H + 1]
    ax.set_yticks(rows, ["padded input"]
                  + [f"h = {i}" for i in range(0, n_H, step)] + [f"h = {n_H}?"])
    ax.set_xticks(range(0, total, 1 if total <= 24 else 2))
    ax.tick_params(length=0, labelsize=8, colors=_GRID)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("position in the padded input (top row: index in the "
                  "original input; sand cells are zero padding)", fontsize=9,
                  color=_TEXT)
    ax.set_title(
        "n_H = floor((n_H_prev - f + 2*pad) / stride) + 1\n"
        f"= floor(({n_H_prev} - {f} + 2*{pad}) / {stride}) + 1 "
        f"= floor({n_H_prev - f + 2 * pad} / {stride}) + 1 = {n_H}",
        fontsize=10, color=_TEXT)
    return fig
