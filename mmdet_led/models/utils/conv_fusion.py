"""Several convolutions as one: the same maths in fewer kernels.

Inference on small feature maps is bound by the number of ops, not by their
arithmetic. These functions rewrite the weights of convolutions that run
side by side on different inputs into the weights of a single convolution
over the concatenated inputs; :class:`~mmdet_led.models.layers.LEModule`
uses them for its inference path.
"""
import copy
from typing import Dict, Optional, Sequence, Tuple

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
        group_norm (bool): Accept a GroupNorm too (not foldable, but
            mergeable by :func:`merged_group_norm`).
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
        dict | None: ``dw``, ``ctx_pw``, ``cr_pw`` as (weight, bias),
        ``ctx_channels`` (where the depthwise output splits), ``dw_act`` and
        ``act``; None if a layer is not foldable (e.g. GroupNorm).
    """
    dws = [b.depthwise_conv for b in branches]
    pws = [b.pointwise_conv for b in branches]
    if not (all(map(is_foldable, dws + pws)) and same_activation(dws)
            and same_activation(pws)):
        return None
    size = max(2 * m.conv.padding[0] + 1 for m in dws)
    dw = [folded_conv(m)[:2] for m in dws]
    pw = [folded_conv(m)[:2] for m in pws]
    return dict(
        separable=True,
        dw=(torch.cat([
            embed_kernel(w, m.conv.dilation[0], size)
            for (w, _), m in zip(dw, dws)
        ]), torch.cat([b for _, b in dw])),
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
        dict | None: ``ctx``, ``cr`` as (weight, bias) with their conv
        keyword arguments ``ctx_args``, ``cr_args``, ``norm`` (merged
        GroupNorm or None) and ``act``; None if the layers do not allow it.
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
    is the full conv's, minus multiplications by zero. A trace (ONNX
    export) records the taps of its input's size.

    Args:
        x (Tensor): Input (N, C, H, W).
        weight (Tensor): Kernels (O, C / groups, k, k), k odd.
        bias (Tensor, optional): (O, ).
        dilation (int): Dilation of the kernel.
        groups (int): Conv groups.

    Returns:
        Tensor: (N, O, H, W).
    """
    reach = [
        min(k // 2, (int(size) - 1) // dilation)
        for k, size in zip(weight.shape[-2:], x.shape[-2:])
    ]
    if reach != [k // 2 for k in weight.shape[-2:]]:
        rows, cols = (slice(k // 2 - r, k // 2 + r + 1)
                      for k, r in zip(weight.shape[-2:], reach))
        weight = weight[..., rows, cols].contiguous()
    if reach == [0, 0] and groups == x.size(1) == weight.size(0):
        # a depthwise 1x1 conv is a per-channel affine map (and far faster
        # that way than through the grouped conv kernels on a CPU)
        scale = weight.view(1, -1, 1, 1)
        return x * scale if bias is None else torch.addcmul(
            bias.view(1, -1, 1, 1), x, scale)
    return F.conv2d(x, weight, bias,
                    padding=tuple(dilation * r for r in reach),
                    dilation=dilation, groups=groups)
