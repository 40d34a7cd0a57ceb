"""The figures of cnn_application (notebooks/cnn_application/signs_figures.py) draw what they say."""
from __future__ import annotations

import io
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from tests.conftest import REPO  # noqa: E402

sys.path.insert(0, str(REPO / "notebooks" / "cnn_application"))
import signs_figures as sf  # noqa: E402

COURSE = {"input_shape": (64, 64, 3), "f1": 4, "n_C1": 8, "pool1": 8, "f2": 2, "n_C2": 16, "pool2": 4, "n_classes": 6}


def rendered(fig: Figure) -> Figure:
    """The figure renders to a PNG of some substance; closed afterwards."""
    try:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n" and len(buffer.getvalue()) > 2000
        return fig
    finally:
        plt.close(fig)


def texts(fig: Figure) -> str:
    return " | ".join([t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]
                      + ([fig._suptitle.get_text()] if fig._suptitle else []))


def test_samples_show_each_image_with_its_label():
    images = np.random.default_rng(0).integers(0, 256, (8, 6, 6, 3), dtype=np.uint8)
    fig = rendered(sf.show_samples(images, np.arange(8) % 6, indices=[1, 7], n_cols=2, title="two"))
    assert [ax.get_title() for ax in fig.axes] == ["#1: y = 1", "#7: y = 1"]
    with pytest.raises(ValueError):
        sf.show_samples(images, np.arange(7))


def test_architecture_shows_the_shape_after_every_block():
    fig = rendered(sf.show_architecture(COURSE))
    shown = texts(fig)
    for shape in ("64 x 64 x 3", "64 x 64 x 8", "8 x 8 x 8", "8 x 8 x 16", "2 x 2 x 16", "64", "6"):
        assert shape in shown
    bigger = dict(COURSE, f1=3, n_C1=16, pool1=2, f2=3, n_C2=32)
    assert "8 x 8 x 32" in texts(rendered(sf.show_architecture(bigger))) and "2048" in texts(sf.show_architecture(bigger))
    assert "DROPOUT" not in texts(fig)
    with_dropout = texts(rendered(sf.show_architecture(dict(bigger, keep_prob=0.5))))
    assert "DROPOUT" in with_dropout and "keeps 0.5\n(training only)" in with_dropout
    plt.close("all")


@pytest.mark.parametrize("f, before, after", [(4, 1, 2), (2, 0, 1), (3, 1, 1)])
def test_same_padding_counts_the_zeros_on_each_side(f, before, after):
    fig = rendered(sf.show_same_padding(f, n=5))
    zeros = [t for t in fig.axes[0].texts if t.get_text() == "0"]
    assert len(zeros) == before + after
    assert f"{before} zero(s) before, {after} after" in fig.axes[0].get_title()


def test_im2col_lists_every_window_as_a_row():
    fig = rendered(sf.show_im2col(n_H_prev=4, n_W_prev=5, f=2, stride=1, offset=(1, 0)))
    cells = [t.get_text() for t in fig.axes[1].texts]
    assert cells.count("(h=0, w=0)") == 1 and "(h=2, w=3)" in cells           # 3 x 4 windows
    assert "cols: 12 windows x 4 offsets" in fig.axes[1].get_title()
    with pytest.raises(ValueError):
        sf.show_im2col(offset=(2, 0))


def test_cost_curve_confusion_matrix_misclassified_and_filters():
    fig = rendered(sf.show_cost_curve(np.linspace(1.8, 0.3, 100), learning_rate=0.009))
    assert "learning rate 0.009" in fig.axes[0].get_title()
    matrix = np.array([[3, 1], [0, 4]])
    fig = rendered(sf.show_confusion_matrix(matrix))
    assert "accuracy 0.875" in fig.axes[0].get_title() and fig.axes[0].get_ylabel() == "true label"
    images = np.random.default_rng(1).random((5, 4, 4, 3))
    fig = rendered(sf.show_misclassified(images, [0, 1, 2, 3, 4], [0, 2, 2, 3, 1]))
    assert "2 misclassified of 5" in texts(fig) and len([ax for ax in fig.axes if ax.images]) == 2
    assert "no misclassified" in texts(sf.show_misclassified(images, [1] * 5, [1] * 5))
    fig = rendered(sf.show_filters(np.random.default_rng(2).standard_normal((4, 4, 3, 8))))
    assert len([ax for ax in fig.axes if ax.images]) == 8
    plt.close("all")
