"""Several convolutions as one: the same maths in fewer kernels.

Inference on small feature maps is bound by the number of ops, not by their
arithmetic. These functions rewrite the weights of convolutions that run
side by side on different inputs into the weights of a single convolution
over the concatenated inputs; :class:`~mmdet_led.models.layers.LEModule`
uses them for its inference path.
"""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, fuse_conv_bn
from torch import Tensor, nn


def is_foldable(module: ConvModule, group_norm: bool = False) -> bool:
    """Whether ``module`` is a size-preserving conv (:func:`is_same_padded`)
    -> BatchNorm (or no norm) -> activation, so that :func:`folded_conv` and
    :func:`activation_of` reproduce its eval-mode output.

    Args:
        module (ConvModule): The module.
        group_norm (bool): Accept a GroupNorm too (not foldable: merged
            by :func:`merged_group_norm`, or returned by
            :func:`folded_conv` to run after the conv).
    """
    norms = (nn.modules.batchnorm._BatchNorm, ) + ((nn.GroupNorm, )
                                                   if group_norm else ())
    conv = getattr(module, 'conv', None)
    return (isinstance(module, ConvModule)
            and tuple(module.order) == ('conv', 'norm', 'act')
            and not module.with_explicit_padding
            and type(conv) is nn.Conv2d and is_same_padded(conv)
            and (not module.with_norm or isinstance(module.norm, norms)))


def is_same_padded(conv: nn.Conv2d) -> bool:
    """Whether ``conv`` is a stride-1, zero-padded, size-preserving conv
    (padding ``dilation * (k // 2)``, k odd), as :func:`same_conv2d`
    computes it."""
    return (conv.padding_mode == 'zeros' and conv.stride == (1, 1)
            and all(k % 2 == 1 and p == d * (k // 2) for k, p, d in zip(
                conv.kernel_size, conv.padding, conv.dilation)))


def folded_conv(
        module: ConvModule) -> Tuple[Tensor, Tensor, Optional[nn.Module]]:
    """Weight and bias of ``module``'s conv with its BatchNorm folded in.

    Args:
        module (ConvModule): A module for which :func:`is_foldable` holds
            (with ``group_norm=True``); a BatchNorm's running statistics are
            used (eval mode).

    Returns:
        tuple: ``weight`` (O, I / groups, k, k) and ``bias`` (O, ),
        detached, and the norm still to apply after the conv (a GroupNorm,
        which depends on the sample) or None.
    """
    if module.with_norm and isinstance(module.norm, nn.GroupNorm):
        conv, norm = module.conv, module.norm
    else:
        conv, norm = fuse_conv_bn(copy.deepcopy(module)).conv, None
    bias = conv.bias if conv.bias is not None else conv.weight.new_zeros(
        conv.out_channels)
    return conv.weight.detach(), bias.detach(), norm


def embed_kernel(weight: Tensor, dilation: int, size: int) -> Tensor:
    """A dilated k x k kernel as a dense ``size`` x ``size`` one.

    The taps land ``dilation`` apart around the centre, zeros in between:
    with padding ``size // 2`` the dense kernel computes what the dilated
    one computes with padding ``dilation * (k // 2)``.

    Args:
        weight (Tensor): Kernels (..., k, k), k odd.
        dilation (int): Their dilation.
        size (int): Side of the dense kernel, odd, at least
            ``dilation * (k - 1) + 1``.

    Returns:
        Tensor: (..., size, size).
    """
    k = weight.size(-1)
    span = dilation * (k - 1) + 1
    if size < span or (size - span) % 2:
        raise ValueError(f'a {k}x{k} kernel with dilation {dilation} spans '
                         f'{span} pixels: it does not centre in {size}')
    out = weight.new_zeros(*weight.shape[:-2], size, size)
    first = (size - span) // 2
    taps = slice(first, first + span, dilation)
    out[..., taps, taps] = weight
    return out


def block_diagonal(weights: Sequence[Tensor]) -> Tensor:
    """Convs on separate inputs as one conv on the concatenated inputs.

    Args:
        weights (Sequence[Tensor]): Conv weights (O_i, I_i, k, k), same k.

    Returns:
        Tensor: (sum O_i, sum I_i, k, k) whose output block i sees input
        block i only (zeros elsewhere).
    """
    out = weights[0].new_zeros(
        sum(w.size(0) for w in weights), sum(w.size(1) for w in weights),
        *weights[0].shape[2:])
    row = col = 0
    for w in weights:
        out[row:row + w.size(0), col:col + w.size(1)] = w
        row, col = row + w.size(0), col + w.size(1)
    return out


def activation_of(module: ConvModule) -> nn.Module:
    """``module``'s activation layer, identity if it has none."""
    return module.activate if module.with_activation else nn.Identity()


def merged_group_norm(norms: Sequence[nn.Module]) -> Optional[nn.GroupNorm]:
    """GroupNorms of side-by-side outputs as one over their concatenation.

    Exact when every norm has the same channels per group and eps: a group
    never straddles two inputs. Affine parameters are concatenated.

    Args:
        norms (Sequence[nn.Module]): The norms, in concatenation order.

    Returns:
        nn.GroupNorm | None: The merged norm (eval copy, its tensors
        detached), None if the norms are not mergeable GroupNorms.
    """
    if not all(isinstance(n, nn.GroupNorm) and n.affine for n in norms):
        return None
    per_group = {n.num_channels // n.num_groups for n in norms}
    if len(per_group) > 1 or len({n.eps for n in norms}) > 1:
        return None
    channels = sum(n.num_channels for n in norms)
    merged = nn.GroupNorm(channels // per_group.pop(), channels, norms[0].eps)
    with torch.no_grad():
        merged.weight.copy_(torch.cat([n.weight for n in norms]))
        merged.bias.copy_(torch.cat([n.bias for n in norms]))
    return merged.to(norms[0].weight.device).requires_grad_(False)


def same_activation(modules: Sequence[ConvModule]) -> bool:
    """Whether ``modules`` apply the same activation."""
    return len({str(activation_of(m)) for m in modules}) == 1


def fuse_separable_branches(
        branches: Sequence[nn.Module]) -> Optional[Dict[str, object]]:
    """LEModule's RF branches as depthwise-separable convs (context on the
    base map, then cls and reg), fused: one depthwise conv over the
    concatenated inputs (the dilated context kernel embedded in a dense
    one), the context pointwise conv, and the cls and reg pointwise convs as
    one block-diagonal conv. BatchNorms are folded in.

    Args:
        branches (Sequence[nn.Module]): The three
            ``DepthwiseSeparableConvModule`` s.

    Returns:
        dict | None: ``separable`` (True), ``dw``, ``ctx_pw``, ``cr_pw``
        as (weight, bias), ``dw_args`` (the depthwise conv's keyword
        arguments), ``ctx_channels`` (where the depthwise output splits),
        ``dw_act`` and ``act``; None if a layer is not foldable (e.g.
        GroupNorm).
    """
    dws = [b.depthwise_conv for b in branches]
    pws = [b.pointwise_conv for b in branches]
    if not (all(map(is_foldable, dws + pws)) and same_activation(dws)
            and same_activation(pws)):
        return None
    size = max(2 * m.conv.padding[0] + 1 for m in dws)
    dw = [folded_conv(m)[:2] for m in dws]
    pw = [folded_conv(m)[:2] for m in pws]
    dw_weight = torch.cat([
        embed_kernel(w, m.conv.dilation[0], size)
        for (w, _), m in zip(dw, dws)
    ])
    return dict(
        separable=True,
        dw=(dw_weight, torch.cat([b for _, b in dw])),
        dw_args=dict(groups=dw_weight.size(0)),
        dw_act=activation_of(dws[0]),
        ctx_channels=dws[0].conv.in_channels,
        ctx_pw=pw[0],
        cr_pw=(block_diagonal([w for w, _ in pw[1:]]),
               torch.cat([b for _, b in pw[1:]])),
        act=activation_of(pws[0]))


def fuse_plain_branches(
        branches: Sequence[ConvModule]) -> Optional[Dict[str, object]]:
    """LEModule's RF branches as plain convs (context on the base map, then
    cls and reg), fused: the context conv, and the cls and reg convs as one
    conv over their concatenated inputs (grouped when the inputs are equally
    wide, block-diagonal otherwise). BatchNorms are folded in; GroupNorms of
    the three outputs become one (:func:`merged_group_norm`).

    Args:
        branches (Sequence[ConvModule]): The three branch convs.

    Returns:
        dict | None: ``separable`` (False), ``ctx``, ``cr`` as (weight,
        bias) with their conv keyword arguments ``ctx_args``, ``cr_args``,
        ``norm`` (merged GroupNorm or None) and ``act``; None if the layers
        do not allow it.
    """
    ctx, cls_conv, reg_conv = branches
    if (not all(is_foldable(m, group_norm=True) for m in branches)
            or not same_activation(branches) or any(
                getattr(cls_conv.conv, k) != getattr(reg_conv.conv, k)
                for k in ('kernel_size', 'dilation'))
            or any(len(set(m.conv.dilation)) > 1 for m in branches)):
        return None
    convs = [folded_conv(m) for m in branches]
    norm = None
    if any(n is not None for _, _, n in convs):
        norm = merged_group_norm([n for _, _, n in convs])
        if norm is None:
            return None
    groups = 2 if cls_conv.conv.in_channels == reg_conv.conv.in_channels \
        else 1
    cr_weights = [w for w, _, _ in convs[1:]]
    cr_weight = (torch.cat(cr_weights)
                 if groups == 2 else block_diagonal(cr_weights))
    return dict(
        separable=False,
        ctx=convs[0][:2],
        ctx_args=dict(dilation=ctx.conv.dilation[0]),
        cr=(cr_weight, torch.cat([b for _, b, _ in convs[1:]])),
        cr_args=dict(dilation=cls_conv.conv.dilation[0], groups=groups),
        norm=norm,
        act=activation_of(ctx))


def tap_reach(weight: Tensor, size: Sequence[int],
              dilation: int = 1) -> List[int]:
    """How many taps of a zero-padded, size-preserving conv's kernel reach
    a map of ``size`` (H, W) on each side of the centre, per dimension:
    ``k // 2`` unless the map is smaller than the kernel's span."""
    return [
        min(k // 2, (int(side) - 1) // dilation)
        for k, side in zip(weight.shape[-2:], size)
    ]


def crop_kernel(weight: Tensor, size: Sequence[int],
                dilation: int = 1) -> Tensor:
    """``weight`` without the taps that only read padding on a map of
    ``size`` (:func:`tap_reach`); ``weight`` itself if every tap reaches
    it. :func:`same_conv2d` computes the same with either."""
    reach = tap_reach(weight, size, dilation)
    if reach == [k // 2 for k in weight.shape[-2:]]:
        return weight
    rows, cols = (slice(k // 2 - r, k // 2 + r + 1)
                  for k, r in zip(weight.shape[-2:], reach))
    return weight[..., rows, cols].contiguous()


def same_conv2d(x: Tensor,
                weight: Tensor,
                bias: Optional[Tensor],
                dilation: int = 1,
                groups: int = 1) -> Tensor:
    """A zero-padded, size-preserving conv (padding ``dilation * (k // 2)``)
    with only the taps that can reach ``x``.

    On a map of height H a tap ``a * dilation`` rows from the centre
    reads padding for every output once ``|a| * dilation > H - 1``; such
    taps are cropped (same per width), so a 3x3 conv on a 1x1 map runs as
    a 1x1 conv, and a depthwise one as a per-channel affine map. The result
    is the full conv's, minus multiplications by zero; an ungrouped 1x1 one
    runs through :func:`pointwise_conv`. A trace (ONNX export) records the
    taps of its input's size.

    Args:
        x (Tensor): Input (N, C, H, W).
        weight (Tensor): Kernels (O, C / groups, k, k), k odd.
        bias (Tensor, optional): (O, ).
        dilation (int): Dilation of the kernel.
        groups (int): Conv groups.

    Returns:
        Tensor: (N, O, H, W).
    """
    weight = crop_kernel(weight, x.shape[-2:], dilation)
    reach = [k // 2 for k in weight.shape[-2:]]
    if reach == [0, 0] and groups == x.size(1) == weight.size(0):
        # a depthwise 1x1 conv is a per-channel affine map (and far faster
        # that way than through the grouped conv kernels on a CPU)
        scale = weight.view(1, -1, 1, 1)
        return x * scale if bias is None else torch.addcmul(
            bias.view(1, -1, 1, 1), x, scale)
    if reach == [0, 0] and groups == 1:
        return pointwise_conv(x, weight, bias)
    return F.conv2d(x, weight, bias,
                    padding=tuple(dilation * r for r in reach),
                    dilation=dilation, groups=groups)


#: The largest map (in positions) :func:`depthwise_matrix` makes matrices for.
MATRIX_MAX_POSITIONS = 16


def depthwise_matrix(weight: Tensor,
                     size: Tuple[int, int],
                     dilation: int = 1) -> Optional[Tensor]:
    """A zero-padded, size-preserving depthwise conv on an H x W map as one
    (HW x HW) matrix per channel, where that is faster.

    Per channel the conv is a linear map of the map's HW values; its matrix
    has HW * HW entries against HW * taps multiplications for the conv (the
    taps that reach the map, :func:`tap_reach`). On maps of 2 to taps
    positions the matrix is no more arithmetic, and one batched product
    instead of a grouped conv call, which on a CPU costs tens of
    microseconds whatever the map (SSDLite's LE depthwise conv on 2x2 and
    3x3 maps: 80-130 us through oneDNN, 20-30 us as matrices, 2 threads).
    Above :data:`MATRIX_MAX_POSITIONS` positions the matrices outgrow the
    caches and the conv is as fast (5x5 maps, 1430 channels: 3.5 MB of
    matrices, 126 us against 99 us for the conv; 4x4, 662 channels: 49
    against 80 us).

    Args:
        weight (Tensor): Depthwise kernels (C, 1, k, k), k odd.
        size (tuple[int, int]): The map's (H, W).
        dilation (int): Dilation of the kernels.

    Returns:
        Tensor | None: (C, HW, HW) with ``out[c, p] = sum_q M[c, p, q] *
        x[c, q]`` (positions row-major), the kernel's taps copied exactly;
        None where the map has one position (:func:`same_conv2d` runs that
        as a per-channel affine map), more than the taps or more than
        :data:`MATRIX_MAX_POSITIONS`.
    """
    h, w = size
    taps = math.prod(2 * r + 1 for r in tap_reach(weight, size, dilation))
    if not 1 < h * w <= min(taps, MATRIX_MAX_POSITIONS):
        return None
    channels, positions = weight.size(0), h * w
    # the conv's response to a unit impulse at each position q
    impulses = torch.eye(positions, dtype=weight.dtype,
                         device=weight.device).view(positions, 1, h, w)
    responses = same_conv2d(
        impulses.expand(-1, channels, -1, -1), weight, None, dilation,
        groups=channels)
    return responses.flatten(2).permute(1, 2, 0).contiguous()


def depthwise_by_matrix(x: Tensor, matrix: Tensor,
                        bias: Optional[Tensor]) -> Tensor:
    """A depthwise conv through its :func:`depthwise_matrix`.

    Args:
        x (Tensor): Input (N, C, H, W).
        matrix (Tensor): (C, HW, HW) for this H x W.
        bias (Tensor, optional): (C, ).

    Returns:
        Tensor: (N, C, H, W).
    """
    columns = x.flatten(2).transpose(0, 1)  # (C, N, HW)
    matrix = matrix.transpose(1, 2)
    out = torch.bmm(columns, matrix) if bias is None else torch.baddbmm(
        bias.view(-1, 1, 1), columns, matrix)
    return out.transpose(0, 1).unflatten(-1, x.shape[-2:])


def pointwise_conv(x: Tensor, weight: Tensor,
                   bias: Optional[Tensor]) -> Tensor:
    """A 1x1 conv, as a batched matrix product where PyTorch's CPU conv
    would hand it to oneDNN.

    PyTorch runs a CPU float 1x1 conv through oneDNN when the batch is
    larger than 1 or the input has more than 20480 elements, and its own
    GEMM otherwise. On the LE module's small maps oneDNN costs far more
    per call than the arithmetic (SSDLite's fuse conv, 1376 -> 64 channels
    on 6x6 at batch 1: about 130 us against 65 us as a product, 340 us
    against 230 us at batch 8, 2 threads); below the threshold PyTorch's
    GEMM is the faster of the two, so it keeps it.

    Args:
        x (Tensor): Input (N, C, H, W).
        weight (Tensor): (O, C, 1, 1).
        bias (Tensor, optional): (O, ).

    Returns:
        Tensor: (N, O, H, W), equal to ``F.conv2d(x, weight, bias)`` up to
        float rounding.
    """
    if x.device.type != 'cpu' or (x.size(0) == 1 and x.numel() <= 20480):
        return F.conv2d(x, weight, bias)
    rows = x.flatten(2)
    matrix = weight.flatten(1).expand(x.size(0), -1, -1)
    out = torch.bmm(matrix, rows) if bias is None else torch.baddbmm(
        bias.view(1, -1, 1), matrix, rows)
    return out.unflatten(-1, x.shape[-2:])
