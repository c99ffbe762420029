"""Convs shared by every level of a feature pyramid, run on all levels at once.

A head whose convs are shared across levels runs each of them once per
level: on the small levels of a 192 px input (12x12 down to 2x2) each call
costs far more in fixed overhead than in arithmetic. With the levels'
positions laid one after another in a positions-major tensor (N, S, C), a
1x1 conv over every level is one ``F.linear``; a k x k conv is one
``matmul`` over the columns gathered by :func:`im2col_index`; a per-level
GroupNorm is :func:`segment_group_norm`. Level i owns rows
``offsets[i]:offsets[i + 1]``, its positions in row-major order, which is
the order in which mmdet heads flatten their maps.
"""
from typing import List, Sequence, Tuple

import torch
from torch import Tensor


def level_offsets(sizes: Sequence[Tuple[int, int]]) -> List[int]:
    """First row of each level and the number of rows, ``[0, ..., S]``."""
    offsets = [0]
    for h, w in sizes:
        offsets.append(offsets[-1] + h * w)
    return offsets


def positions_major(maps: Sequence[Tensor]) -> Tensor:
    """(N, C, H_i, W_i) maps -> (N, S + 1, C): every level's positions one
    after another, then a row of zeros (the row :func:`im2col_index` reads
    for padding)."""
    first = maps[0]
    return torch.cat([m.flatten(2).transpose(1, 2) for m in maps] +
                     [first.new_zeros(first.size(0), 1, first.size(1))], 1)


def level_members(sizes: Sequence[Tuple[int, int]],
                  device: torch.device = None) -> Tensor:
    """One-hot (L, S): ``members[i, s]`` is 1 where row s belongs to level i.
    """
    offsets = level_offsets(sizes)
    members = torch.zeros(len(sizes), offsets[-1], device=device)
    for i, (start, end) in enumerate(zip(offsets, offsets[1:])):
        members[i, start:end] = 1
    return members


def im2col_index(sizes: Sequence[Tuple[int, int]],
                 levels: Sequence[int],
                 kernel_size: int,
                 dilation: int = 1,
                 device: torch.device = None) -> Tensor:
    """Rows read by each tap of a zero-padded, size-preserving k x k conv.

    Args:
        sizes (Sequence[tuple[int, int]]): (H, W) of every level.
        levels (Sequence[int]): Levels whose output positions are wanted,
            in this order.
        kernel_size (int): k, odd.
        dilation (int): Dilation of the kernel.
        device (torch.device, optional): Device of the index.

    Returns:
        Tensor: Long (P, k * k), P the positions of ``levels``: for each
        output position and tap (row-major over the kernel), the row of the
        positions-major input it reads, or ``S`` (one past the last row,
        where the caller keeps a row of zeros) where it reads padding.
    """
    offsets = level_offsets(sizes)
    reach = torch.arange(kernel_size, device=device) - kernel_size // 2
    dy = (reach * dilation).repeat_interleave(kernel_size)
    dx = (reach * dilation).repeat(kernel_size)
    index = []
    for i in levels:
        h, w = sizes[i]
        y = torch.arange(h, device=device).repeat_interleave(w)[:, None] + dy
        x = torch.arange(w, device=device).repeat(h)[:, None] + dx
        inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        index.append(
            torch.where(inside, offsets[i] + y * w + x,
                        torch.full_like(y, offsets[-1])))
    return torch.cat(index)


def gather_rows(rows: Tensor, index: Tensor) -> Tensor:
    """``rows[:, index]``: (N, R, C) -> (N, P, C) for a long (P, ) index.

    Gathers from the batch flattened to (N * R, C), which is faster on a
    CPU than along dim 1; a trace (ONNX export) gathers along dim 1, so
    that the batch stays free.
    """
    if torch.jit.is_tracing():
        return rows.index_select(1, index)
    n, r, c = rows.shape
    if n > 1:
        index = (index + r * torch.arange(n, device=index.device)[:, None])
    return rows.flatten(0, 1).index_select(0, index.flatten()).view(n, -1, c)


def conv_as_matmul_weight(weight: Tensor) -> Tensor:
    """Conv kernels (O, C, k, k) as the (k * k * C, O) matrix that
    multiplies columns gathered with :func:`im2col_index` (tap-major,
    then channel)."""
    return weight.permute(2, 3, 1, 0).reshape(-1, weight.size(0))


def segment_group_norm(x: Tensor, members: Tensor, num_groups: int,
                       weight: Tensor, bias: Tensor, eps: float) -> Tensor:
    """``F.group_norm`` of each level of a positions-major tensor.

    The statistics of each sample, level and group are taken over that
    level's rows alone, as a GroupNorm on the level's own map takes them
    (two-pass: mean, then the mean square of the centred values).

    Args:
        x (Tensor): (N, S, C), levels one after another along S.
        members (Tensor): (L, S) one-hot level of each row
            (:func:`level_members`).
        num_groups (int): Groups of the GroupNorm.
        weight (Tensor): (C, ) scale.
        bias (Tensor): (C, ) shift.
        eps (float): Added to the variance.

    Returns:
        Tensor: (N, S, C).
    """
    n, _, c = x.shape
    per_group = c // num_groups
    average = members / (members.sum(1, keepdim=True) * per_group)

    def group_mean(t: Tensor) -> Tensor:
        """(N, S, C) -> (N, L, C): mean over a level's rows and a group's
        channels, repeated for every channel of the group."""
        mean = average @ t
        if per_group == 1:
            return mean
        mean = mean.view(n, -1, num_groups, per_group).sum(-1, keepdim=True)
        return mean.expand(-1, -1, -1, per_group).reshape(n, -1, c)

    spread = members.t()
    centred = x - spread @ group_mean(x)
    scale = weight * (group_mean(centred * centred) + eps).rsqrt()
    return torch.addcmul(bias, centred, spread @ scale)
