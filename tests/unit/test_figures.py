"""Smoke and correctness tests for notebooks/cnn_layers/cnn_figures.py."""

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "notebooks" / "cnn_layers"))

import cnn_figures as cf  # noqa: E402


def _render_and_close(fig: Figure, n_axes: int) -> None:
    """The figure has the expected panels and renders to a non-empty PNG."""
    try:
        assert isinstance(fig, Figure)
        assert len(fig.axes) == n_axes
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(buffer.getvalue()) > 1000
    finally:
        plt.close(fig)


def test_zero_padding():
    image = np.arange(9, dtype=float).reshape(3, 3)
    fig = cf.show_zero_padding(image, np.pad(image, 2), 2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["x: 3 x 3", "x_pad: 7 x 7 (pad = 2)"]
    _render_and_close(fig, 2)


def test_zero_padding_rejects_wrong_shape():
    image = np.zeros((3, 3))
    with pytest.raises(ValueError):
        cf.show_zero_padding(image, np.pad(image, 1), 2)


def test_conv_step():
    a_slice = np.array([[1.0, 2.0], [3.0, 4.0]])
    W = np.array([[0.5, -1.0], [0.0, 2.0]])
    fig = cf.show_conv_step(a_slice, W, -0.5)
    texts = [t.get_text() for t in fig.axes[3].texts]
    # sum = 0.5 - 2 + 0 + 8 = 6.5; Z = 6.5 - 0.5 = 6.0
    assert "sum = 6.50" in texts
    assert "Z = 6.00" in texts
    _render_and_close(fig, 4)


def test_window_corners():
    fig = cf.show_window_corners(7, 7, 3, 2, 1, 0)
    ax_in, ax_out = fig.axes
    labels = [t.get_text() for t in ax_in.texts]
    assert "vert_start = 2" in labels and "vert_end = 5" in labels
    assert "horiz_start = 0" in labels and "horiz_end = 3" in labels
    assert ax_out.get_title() == "output: 3 x 3"
    formulas = "\n".join(t.get_text() for t in ax_out.texts)
    assert "vert_start  = h * stride      = 1 * 2 = 2" in formulas
    _render_and_close(fig, 2)


def test_window_corners_output_size_uses_floor():
    # (6 - 3) / 2 = 1.5: floor gives a 2 x 2 output, ceil would give 3 x 3.
    fig = cf.show_window_corners(6, 6, 3, 2, 1, 1)
    assert fig.axes[1].get_title() == "output: 2 x 2"
    plt.close(fig)
    with pytest.raises(ValueError):
        cf.show_window_corners(6, 6, 3, 2, 2, 0)


def test_window_corners_with_padding_draws_the_padded_input_and_the_2_pad_term():
    fig = cf.show_window_corners(5, 5, 3, 2, 1, 2, pad=1)
    ax_in, ax_out = fig.axes
    assert ax_in.get_title() == "input 5 x 5, padded by 1: 7 x 7"
    assert ax_out.get_title() == "output: 3 x 3"
    formulas = "\n".join(t.get_text() for t in ax_out.texts)
    assert "n_H = floor((5 - 3 + 2 * 1) / 2) + 1 = 3" in formulas
    assert cf.show_window_corners(7, 7, 3, 2, 1, 0).axes[0].get_title() == "input: 7 x 7 (no padding)"
    plt.close("all")


@pytest.mark.parametrize("h, w", [(3, 0), (0, 3), (-1, 0)])
def test_window_corners_rejects_out_of_range(h, w):
    with pytest.raises(ValueError, match="outside the 3 x 3 output grid"):
        cf.show_window_corners(7, 7, 3, 2, h, w)


def test_pooling_values_and_floor_size():
    # 5 x 5 input, f = 2, stride = 2: floor gives 2 x 2 (ceil would give 3 x 3).
    x = np.arange(25, dtype=float).reshape(5, 5)
    fig = cf.show_pooling(x, 2, 2)
    ax_x, ax_max, ax_avg = fig.axes
    assert ax_x.get_title() == "input"
    assert ax_max.get_title() == "max pooling (f=2, stride=2)"
    assert ax_avg.get_title() == "average pooling"
    max_out = np.asarray(ax_max.images[0].get_array())
    avg_out = np.asarray(ax_avg.images[0].get_array())
    np.testing.assert_allclose(max_out, [[6, 8], [16, 18]])
    np.testing.assert_allclose(avg_out, [[3, 5], [13, 15]])
    _render_and_close(fig, 3)


def test_pooling_overlapping_windows():
    x = np.random.default_rng(0).standard_normal((4, 4))
    fig = cf.show_pooling(x, 3, 1)
    assert len(fig.axes) == 3
    assert np.asarray(fig.axes[1].images[0].get_array()).shape == (2, 2)
    plt.close(fig)


def test_conv_output_sizes():
    fig = cf.show_conv_output_sizes(7, 3, 1, 2)
    assert fig.axes[0].get_title().endswith("floor(6 / 2) + 1 = 4")
    _render_and_close(fig, 1)


@pytest.mark.parametrize("n_H_prev, f, pad, stride, n_H",
                         [(6, 3, 0, 2, 2), (5, 5, 0, 1, 1), (8, 3, 1, 3, 3)])
def test_conv_output_sizes_uses_floor(n_H_prev, f, pad, stride, n_H):
    fig = cf.show_conv_output_sizes(n_H_prev, f, pad, stride)
    assert fig.axes[0].get_title().endswith(f"+ 1 = {n_H}")
    plt.close(fig)
