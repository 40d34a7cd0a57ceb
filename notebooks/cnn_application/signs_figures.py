"""Figures for the cnn_application notebook: the data, the network, the fast layers, the results.

Every ``show_*`` function draws one figure with matplotlib and returns it
(``matplotlib.figure.Figure``); nothing is shown or saved here. In the notebook, ``plt.show()``
after the call displays it.

Images are NHWC: ``images[i]`` is one picture of shape (n_H, n_W, 3), either uint8 (0 to 255) or
floats in [0, 1].
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

_INK = "#1f2933"
_MUTED = "#7b8794"
_LINE = "#9aa5b1"
_BLUE = "#2b6cb0"
_BLUE_LIGHT = "#c6dbf0"
_SAND = "#f2e6cc"
_SAND_DARK = "#c08a2e"
_RED = "#c0504d"
_GREEN = "#2f855a"
_PANEL = "#f3f5f8"


def _as_image(image: np.ndarray) -> np.ndarray:
    """An image matplotlib draws as intended: uint8 as is, floats clipped to [0, 1]."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.clip(image.astype(float), 0.0, 1.0)


def _image_grid(n: int, n_cols: int, size: float = 1.6) -> tuple[Figure, np.ndarray]:
    n_cols = max(1, min(n_cols, n))
    n_rows = int(np.ceil(n / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, (size + 0.45) * n_rows + 0.4),
                             squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    return fig, axes.ravel()


# ------------------------------------------------------------------------------ the data


def show_samples(images: np.ndarray, labels: Sequence[int], indices: Sequence[int] | None = None,
                 n_cols: int = 6, title: str | None = None) -> Figure:
    """A grid of images, each titled with its label.

    Args:
        images: array of shape (m, n_H, n_W, 3).
        labels: the m integer labels.
        indices: which images to draw (default: the first 12).
        n_cols: images per row.
        title: a title above the grid.

    Returns:
        The figure, one axes per image.
    """
    labels = np.asarray(labels).reshape(-1)
    if images.ndim != 4 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"need images (m, n_H, n_W, 3) and m labels, got {images.shape} and {labels.shape}")
    indices = list(range(min(12, images.shape[0]))) if indices is None else list(indices)
    fig, axes = _image_grid(len(indices), n_cols)
    for ax, index in zip(axes, indices):
        ax.imshow(_as_image(images[index]))
        ax.set_title(f"#{index}: y = {labels[index]}", fontsize=9, color=_INK)
    if title:
        fig.suptitle(title, fontsize=11, color=_INK)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ the network


def _stages(architecture: dict) -> list[tuple[str, str, tuple[int, ...]]]:
    """(name, details, output shape) of each stage of the network, for one example."""
    n_H, n_W, n_C = architecture["input_shape"]
    f1, c1, p1 = architecture["f1"], architecture["n_C1"], architecture["pool1"]
    f2, c2, p2 = architecture["f2"], architecture["n_C2"], architecture["pool2"]
    n_y = architecture["n_classes"]
    h1, w1 = n_H // p1, n_W // p1
    h2, w2 = h1 // p2, w1 // p2
    keep_prob = architecture.get("keep_prob", 1.0)
    dropout = [("DROPOUT", f"keeps {keep_prob:g}\n(training only)", (h2 * w2 * c2,))] if keep_prob < 1 else []
    return [
        ("input", "", (n_H, n_W, n_C)),
        ("CONV", f"{c1} filters {f1}x{f1}\nstride 1, same", (n_H, n_W, c1)),
        ("ReLU", "", (n_H, n_W, c1)),
        ("MAXPOOL", f"{p1}x{p1}, stride {p1}", (h1, w1, c1)),
        ("CONV", f"{c2} filters {f2}x{f2}\nstride 1, same", (h1, w1, c2)),
        ("ReLU", "", (h1, w1, c2)),
        ("MAXPOOL", f"{p2}x{p2}, stride {p2}", (h2, w2, c2)),
        ("FLATTEN", "", (h2 * w2 * c2,)),
        *dropout,
        ("DENSE", f"{n_y} outputs\n(logits)", (n_y,)),
    ]


def show_architecture(architecture: dict, title: str | None = None) -> Figure:
    """The network as a row of blocks, each with its output shape for one example.

    Args:
        architecture: dictionary with "input_shape", "f1", "n_C1", "pool1", "f2", "n_C2",
            "pool2" and "n_classes" (the notebook's COURSE_MODEL, for example), and optionally
            "keep_prob": below 1, a DROPOUT block after FLATTEN.
        title: a title above the blocks.

    Returns:
        The figure, with one axes.
    """
    stages = _stages(architecture)
    fig, ax = plt.subplots(figsize=(12, 2.6))
    ax.set_xlim(0, len(stages))
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    colours = {"input": _PANEL, "CONV": _BLUE_LIGHT, "ReLU": "#e2e8f0", "MAXPOOL": _SAND,
               "FLATTEN": "#e2e8f0", "DROPOUT": "#e2e8f0", "DENSE": "#c6f6d5"}
    for k, (name, details, shape) in enumerate(stages):
        ax.add_patch(FancyBboxPatch((k + 0.08, 0.38), 0.84, 0.42, boxstyle="round,pad=0.02",
                                    facecolor=colours[name], edgecolor=_LINE, linewidth=1))
        ax.text(k + 0.5, 0.66, name, ha="center", va="center", fontsize=10, fontweight="bold", color=_INK)
        if details:
            ax.text(k + 0.5, 0.49, details, ha="center", va="center", fontsize=7.5, color=_INK)
        ax.text(k + 0.5, 0.24, " x ".join(str(s) for s in shape), ha="center", va="center",
                fontsize=9, color=_BLUE, family="monospace")
        if k:
            ax.annotate("", (k + 0.08, 0.59), (k - 0.08, 0.59),
                        arrowprops={"arrowstyle": "->", "color": _MUTED, "lw": 1.2})
    ax.text(0.02, 0.05, "output shape of each block, for one example (n_H x n_W x n_C)", fontsize=8,
            color=_MUTED)
    if title:
        ax.set_title(title, fontsize=11, color=_INK)
    return fig


def show_same_padding(f: int, n: int = 6) -> Figure:
    """Where a "same" convolution with an f x f filter pads, shown on one axis of n pixels.

    Each row of the figure is one output position: the window of f cells it reads, on the
    padded axis. With an even f the padding is uneven: (f - 1) // 2 cells before the input and
    f // 2 after it (the convention of TensorFlow and PyTorch).

    Returns:
        The figure, with one axes.
    """
    if f < 1 or n < 1:
        raise ValueError("need f >= 1 and n >= 1")
    before, after = (f - 1) // 2, f // 2
    total = before + n + after
    fig, ax = plt.subplots(figsize=(0.55 * total + 2.8, 0.4 * (n + 2) + 0.5))
    ax.set_xlim(-2.6, total + 0.2)
    ax.set_ylim(n + 0.1, -1.3)
    ax.set_axis_off()
    for j in range(total):
        padding = j < before or j >= before + n
        ax.add_patch(Rectangle((j, -1), 1, 0.8, facecolor=_SAND if padding else _PANEL,
                               edgecolor=_SAND_DARK if padding else _LINE))
        ax.text(j + 0.5, -0.6, "0" if padding else f"x{j - before}", ha="center", va="center",
                fontsize=8, color=_INK)
    ax.text(-0.2, -0.6, "padded input", ha="right", va="center", fontsize=9, color=_INK)
    for h in range(n):
        ax.add_patch(Rectangle((h, h + 0.1), f, 0.7, facecolor=_BLUE_LIGHT, edgecolor=_BLUE))
        ax.text(-0.2, h + 0.45, f"output {h}", ha="right", va="center", fontsize=8, color=_INK)
    ax.set_title(f"'same' padding, f = {f}: {before} zero(s) before, {after} after, "
                 f"{n} inputs give {n} outputs", fontsize=10, color=_INK)
    return fig


def show_im2col(n_H_prev: int = 4, n_W_prev: int = 4, f: int = 2, stride: int = 1,
                offset: tuple[int, int] = (0, 1)) -> Figure:
    """How convolution becomes one matrix product: every window becomes a row of ``cols``.

    Left: a single-channel input whose cells are numbered; the windows of two output positions
    are outlined, and the cells at kernel offset ``offset`` = (di, dj) of every window are
    shaded: together they form the strided slice that ``conv_backward`` handles in one step.
    Right: the matrix ``cols``, one row per output position (h, w) and one column per offset,
    each entry naming the input cell it copies. The shaded column is the same offset.

    Returns:
        The figure, with two axes.
    """
    n_H = (n_H_prev - f) // stride + 1
    n_W = (n_W_prev - f) // stride + 1
    if n_H < 1 or n_W < 1:
        raise ValueError("the window does not fit in the input")
    di, dj = offset
    if not (0 <= di < f and 0 <= dj < f):
        raise ValueError(f"offset must lie inside the {f} x {f} window")
    number = np.arange(n_H_prev * n_W_prev).reshape(n_H_prev, n_W_prev)
    rows = n_H * n_W
    fig, (ax_in, ax_cols) = plt.subplots(1, 2, figsize=(10, max(3.6, 0.36 * rows + 1.4)),
                                         gridspec_kw={"width_ratios": [1, 1.1]})

    ax_in.set_xlim(-0.5, n_W_prev - 0.5)
    ax_in.set_ylim(n_H_prev - 0.5, -0.5)
    ax_in.set_aspect("equal")
    ax_in.set_axis_off()
    shaded = np.zeros((n_H_prev, n_W_prev), dtype=bool)
    shaded[di:di + stride * (n_H - 1) + 1:stride, dj:dj + stride * (n_W - 1) + 1:stride] = True
    for i in range(n_H_prev):
        for j in range(n_W_prev):
            ax_in.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=_SAND if shaded[i, j] else _PANEL,
                                      edgecolor=_LINE))
            ax_in.text(j, i, str(number[i, j]), ha="center", va="center", fontsize=9, color=_INK)
    for (h, w), colour, style in (((0, 0), _BLUE, "-"), ((n_H - 1, n_W - 1), _RED, "--")):
        ax_in.add_patch(Rectangle((w * stride - 0.5 + 0.06, h * stride - 0.5 + 0.06), f - 0.12, f - 0.12,
                                  facecolor="none", edgecolor=colour, linewidth=2.2, linestyle=style))
    ax_in.set_title(f"input {n_H_prev} x {n_W_prev}, f = {f}, stride = {stride}\n"
                    f"shaded: offset (di, dj) = ({di}, {dj}) of every window", fontsize=9.5, color=_INK)

    ax_cols.set_xlim(-2.2, f * f - 0.5)
    ax_cols.set_ylim(rows - 0.5, -1.3)
    ax_cols.set_axis_off()
    for k in range(f * f):
        a, c = divmod(k, f)
        ax_cols.text(k, -0.9, f"({a},{c})", ha="center", va="center", fontsize=8, color=_MUTED)
    for r in range(rows):
        h, w = divmod(r, n_W)
        colour = _BLUE if r == 0 else _RED if r == rows - 1 else _INK
        ax_cols.text(-0.7, r, f"(h={h}, w={w})", ha="right", va="center", fontsize=8, color=colour)
        for k in range(f * f):
            a, c = divmod(k, f)
            highlight = (a, c) == (di, dj)
            ax_cols.add_patch(Rectangle((k - 0.5, r - 0.5), 1, 1, facecolor=_SAND if highlight else _PANEL,
                                        edgecolor=_LINE))
            ax_cols.text(k, r, str(number[h * stride + a, w * stride + c]), ha="center", va="center",
                         fontsize=8.5, color=_INK)
    ax_cols.set_title(f"cols: {rows} windows x {f * f} offsets (one row per output position)",
                      fontsize=9.5, color=_INK)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ training and results


def show_cost_curve(costs: Sequence[float], learning_rate: float | None = None,
                    title: str | None = None) -> Figure:
    """The cost after every epoch.

    Returns:
        The figure, with one axes.
    """
    costs = np.asarray(costs, dtype=float).reshape(-1)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(np.arange(len(costs)), costs, color=_BLUE, linewidth=1.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost (mean cross-entropy)")
    if len(costs):
        ax.set_ylim(bottom=0)
    default = "cost per epoch" + (f", learning rate {learning_rate:g}" if learning_rate is not None else "")
    ax.set_title(title or default, fontsize=10, color=_INK)
    ax.grid(True, color="#e4e7eb")
    fig.tight_layout()
    return fig


def show_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str] | None = None,
                          title: str | None = None) -> Figure:
    """A confusion matrix: rows are the true classes, columns the predicted ones.

    Each cell shows its count; the diagonal holds the right answers.

    Returns:
        The figure, with one axes (and a colour bar).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {matrix.shape}")
    n = matrix.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(n))]
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    top = matrix.max() if matrix.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{matrix[i, j]:g}", ha="center", va="center", fontsize=9,
                    color="white" if top and matrix[i, j] > 0.6 * top else _INK)
    ax.set_xticks(range(n), names)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    total = matrix.sum()
    accuracy = np.trace(matrix) / total if total else 0.0
    ax.set_title(title or f"confusion matrix (accuracy {accuracy:.3f})", fontsize=10, color=_INK)
    fig.tight_layout()
    return fig


def show_misclassified(images: np.ndarray, y_true: Sequence[int], y_pred: Sequence[int],
                       max_images: int = 12, n_cols: int = 6) -> Figure:
    """The images the model got wrong, each titled with its true and predicted label.

    Returns:
        The figure, one axes per image (a single axes with a note when nothing is wrong).
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape or images.shape[0] != y_true.shape[0]:
        raise ValueError("images, y_true and y_pred must describe the same examples")
    wrong = np.flatnonzero(y_true != y_pred)
    if wrong.size == 0:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center", color=_GREEN)
        return fig
    shown = wrong[:max_images]
    fig, axes = _image_grid(len(shown), n_cols)
    for ax, index in zip(axes, shown):
        ax.imshow(_as_image(images[index]))
        ax.set_title(f"#{index}: true {y_true[index]}\npredicted {y_pred[index]}", fontsize=8.5, color=_RED)
    fig.suptitle(f"{wrong.size} misclassified of {y_true.size}" +
                 (f" (the first {len(shown)})" if wrong.size > len(shown) else ""), fontsize=10, color=_INK)
    fig.tight_layout()
    return fig


def show_filters(W: np.ndarray, title: str | None = None) -> Figure:
    """The filters of a first convolutional layer, each drawn as a small colour image.

    Args:
        W: filters of shape (f, f, 3, n_C); each filter is rescaled to [0, 1] on its own.

    Returns:
        The figure, one axes per filter.
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 4 or W.shape[2] != 3:
        raise ValueError(f"need filters of shape (f, f, 3, n_C), got {W.shape}")
    n = W.shape[3]
    fig, axes = _image_grid(n, min(n, 8), size=1.2)
    for c, ax in enumerate(axes[:n]):
        w = W[:, :, :, c]
        span = w.max() - w.min()
        ax.imshow((w - w.min()) / span if span > 0 else np.zeros_like(w) + 0.5)
        ax.set_title(f"filter {c}", fontsize=8, color=_INK)
    if title:
        fig.suptitle(title, fontsize=10, color=_INK)
    fig.tight_layout()
    return fig
