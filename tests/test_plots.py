"""The drawing helpers of unrolled.plots: boxes, arrows between their borders, the style."""

import math

import matplotlib

matplotlib.use("Agg")  # no display needed; must come before pyplot is imported

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from unrolled.plots import BOX_PAD, STYLE, border_point, box, connect, use_style


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.mark.parametrize(
    ("toward", "expected"),
    [
        ((5.0, 0.0), (1.0, 0.0)),  # right side
        ((-5.0, 0.0), (-1.0, 0.0)),  # left side
        ((0.0, 3.0), (0.0, 0.5)),  # top
        ((0.0, -3.0), (0.0, -0.5)),  # bottom
        ((4.0, 4.0), (0.5, 0.5)),  # diagonal: leaves through the top, not the side
        ((2.0, 0.5), (1.0, 0.25)),  # shallow: leaves through the side
    ],
)
def test_border_point_lies_on_the_side_it_crosses(toward, expected):
    point = border_point((0.0, 0.0), (2.0, 1.0), toward)
    assert point == pytest.approx(expected)


def test_border_point_of_a_shifted_box():
    assert border_point((3.0, -1.0), (0.5, 0.4), (3.0, 10.0)) == pytest.approx((3.0, -0.8))


def test_border_point_needs_a_direction():
    with pytest.raises(ValueError, match="toward"):
        border_point((1.0, 1.0), (1.0, 1.0), (1.0, 1.0))


def drawn_x_range(ax):
    """Leftmost and rightmost x of the one FancyArrowPatch on ax, in data coordinates."""
    ax.set(xlim=(-1.0, 3.0), ylim=(-1.0, 1.0))
    (patch,) = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    xs = patch.get_path().vertices[:-1, 0]  # the last vertex closes the path
    return xs.min(), xs.max()


def test_connect_runs_from_border_to_border(ax):
    size = (0.6, 0.4)
    tail, head = connect(ax, (0.0, 0.0), (2.0, 0.0), size, size)
    half = 0.3 + BOX_PAD
    assert tail == pytest.approx((half, 0.0)) and head == pytest.approx((2.0 - half, 0.0))
    left, right = drawn_x_range(ax)  # the line starts at the border, the tip stops at it
    assert left == pytest.approx(half) and head[0] - 0.02 < right <= head[0]


def test_connect_offset_gives_a_parallel_lane_to_the_left(ax):
    tail, head = connect(ax, (0.0, 0.0), (2.0, 0.0), offset=0.1)  # rightwards: left is up
    back_tail, back_head = connect(ax, (2.0, 0.0), (0.0, 0.0), offset=0.1)  # leftwards: down
    half = 0.45 + BOX_PAD
    assert tail == pytest.approx((half, 0.1)) and head == pytest.approx((2.0 - half, 0.1))
    assert back_tail == pytest.approx((2.0 - half, -0.1))
    assert back_head == pytest.approx((half, -0.1))


def test_connect_diagonal_ends_on_both_borders(ax):
    start, end, size = (0.0, 0.0), (3.0, 2.0), (1.0, 0.5)
    tail, head = connect(ax, start, end, size, size)
    padded = (1.0 + 2 * BOX_PAD, 0.5 + 2 * BOX_PAD)
    for point, center in ((tail, start), (head, end)):
        dx, dy = abs(point[0] - center[0]), abs(point[1] - center[1])
        on_side = math.isclose(dx, padded[0] / 2) and dy <= padded[1] / 2 + 1e-12
        on_top = math.isclose(dy, padded[1] / 2) and dx <= padded[0] / 2 + 1e-12
        assert on_side or on_top
    assert (head[1] - tail[1]) / (head[0] - tail[0]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("end", "offset", "message"),
    [
        ((0.0, 0.0), 0.0, "end must differ"),
        ((0.5, 0.0), 0.0, "overlap"),
        ((2.0, 0.0), 0.5, "offset"),
    ],
)
def test_connect_rejects_impossible_arrows(ax, end, offset, message):
    with pytest.raises(ValueError, match=message):
        connect(ax, (0.0, 0.0), end, offset=offset)


def test_box_draws_one_labelled_patch(ax):
    box(ax, 1.0, 2.0, "$h_t$", "white", width=0.5, height=0.3, fontsize=10)
    (patch,) = ax.patches
    assert isinstance(patch, FancyBboxPatch)
    assert (patch.get_x(), patch.get_y()) == pytest.approx((0.75, 1.85))
    (text,) = ax.texts
    assert text.get_text() == "$h_t$" and text.get_fontsize() == 10


def test_use_style_is_idempotent():
    use_style()
    first = {key: matplotlib.rcParams[key] for key in STYLE}
    use_style()
    assert {key: matplotlib.rcParams[key] for key in STYLE} == first
