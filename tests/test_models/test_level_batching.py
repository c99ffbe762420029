"""Shared convs over every pyramid level at once: the row layout, gathered
columns and per-level GroupNorm (``models/utils/level_batching.py``)."""
import pytest
import torch
import torch.nn.functional as F

from mmdet_led.models.utils.level_batching import (conv_as_matmul_weight,
                                                   gather_rows, im2col_index,
                                                   level_members,
                                                   level_offsets,
                                                   positions_major,
                                                   segment_group_norm)

SIZES = [(6, 5), (3, 3), (2, 1), (1, 1)]


def test_positions_major_lays_levels_after_one_another():
    maps = [torch.arange(12.).view(1, 2, 2, 3),
            torch.tensor([[[[7.]], [[8.]]]])]
    rows = positions_major(maps)[0]
    assert torch.equal(
        rows,
        torch.tensor([[0., 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11],
                      [7, 8], [0, 0]]))


def test_level_offsets_and_members():
    assert level_offsets([(2, 3), (1, 2)]) == [0, 6, 8]
    assert torch.equal(
        level_members([(2, 3), (1, 2)]),
        torch.tensor([[1., 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1]]))


def test_im2col_index_by_hand():
    """A 3x3 kernel on a 2x2 map (rows 0-3 after a 1x1 level at row 0):
    taps outside the map read row 5, the zero row."""
    index = im2col_index([(1, 1), (2, 2)], [1], 3)
    pad = 5
    assert torch.equal(
        index,
        torch.tensor([[pad, pad, pad, pad, 1, 2, pad, 3, 4],
                      [pad, pad, pad, 1, 2, pad, 3, 4, pad],
                      [pad, 1, 2, pad, 3, 4, pad, pad, pad],
                      [1, 2, pad, 3, 4, pad, pad, pad, pad]]))
    # dilation 2 on a 3x3 map: the corner taps of the centre reach corners
    centre = im2col_index([(3, 3)], [0], 3, dilation=2)[4]
    assert torch.equal(centre, torch.tensor([9, 9, 9, 9, 4, 9, 9, 9, 9]))
    corner = im2col_index([(3, 3)], [0], 3, dilation=2)[0]
    assert torch.equal(corner, torch.tensor([9, 9, 9, 9, 0, 2, 9, 6, 8]))


@pytest.mark.parametrize('dilation', [1, 2])
@pytest.mark.parametrize('batch', [1, 3])
def test_gathered_matmul_equals_conv_on_every_level(dilation, batch):
    torch.manual_seed(0)
    maps = [torch.randn(batch, 4, h, w) for h, w in SIZES]
    weight, bias = torch.randn(5, 4, 3, 3), torch.randn(5)
    levels = [0, 2, 3]
    index = im2col_index(SIZES, levels, 3, dilation).flatten()
    cols = gather_rows(positions_major(maps), index)
    out = cols.view(batch, -1, 36) @ conv_as_matmul_weight(weight) + bias
    start = 0
    for i in levels:
        h, w = SIZES[i]
        want = F.conv2d(maps[i], weight, bias, padding=dilation,
                        dilation=dilation)
        got = out[:, start:start + h * w].transpose(1, 2).unflatten(2, (h, w))
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
        start += h * w


def test_gather_rows_traced_keeps_the_batch_free():
    rows = torch.randn(2, 5, 3)
    index = torch.tensor([4, 0, 0, 2])
    torch.testing.assert_close(gather_rows(rows, index), rows[:, index])
    traced = torch.jit.trace(lambda r: gather_rows(r, index), rows[:1])
    torch.testing.assert_close(traced(rows), rows[:, index])


@pytest.mark.parametrize('channels,groups', [(6, 6), (8, 2)])
def test_segment_group_norm_equals_group_norm_per_level(channels, groups):
    torch.manual_seed(0)
    sizes = [(4, 3), (2, 2), (1, 2)]
    maps = [3 * torch.randn(2, channels, h, w) + 1 for h, w in sizes]
    weight, bias = torch.rand(channels) + 0.5, torch.randn(channels)
    x = positions_major(maps)[:, :-1]
    out = segment_group_norm(x, level_members(sizes), groups, weight, bias,
                             1e-5)
    offsets = level_offsets(sizes)
    for m, start, end in zip(maps, offsets, offsets[1:]):
        want = F.group_norm(m, groups, weight, bias, 1e-5)
        torch.testing.assert_close(out[:, start:end],
                                   want.flatten(2).transpose(1, 2),
                                   rtol=1e-5, atol=1e-5)
