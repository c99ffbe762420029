"""The LE module's fused inference path and the weight rewrites behind it."""
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from conftest import random_norm_stats
from mmcv.cnn import ConvModule
from torch import nn

from mmdet_led.models.layers import LEModule
from mmdet_led.models.utils.conv_fusion import (block_diagonal, crop_kernel,
                                                depthwise_by_matrix,
                                                depthwise_matrix,
                                                embed_kernel, folded_conv,
                                                is_foldable,
                                                merged_group_norm,
                                                pointwise_conv, same_conv2d)


def test_embed_kernel_places_dilated_taps():
    w = torch.arange(1., 10.).reshape(1, 1, 3, 3)
    dense = embed_kernel(w, dilation=2, size=5)[0, 0]
    expected = torch.tensor([[1., 0, 2, 0, 3], [0, 0, 0, 0, 0],
                             [4, 0, 5, 0, 6], [0, 0, 0, 0, 0],
                             [7, 0, 8, 0, 9]])
    assert torch.equal(dense, expected)
    # an undilated 3x3 kernel centred in 5x5: a ring of zeros around it
    ring = embed_kernel(w, dilation=1, size=5)[0, 0]
    assert torch.equal(ring[1:4, 1:4], w[0, 0]) and ring.sum() == w.sum()
    x = torch.randn(1, 1, 7, 7)
    torch.testing.assert_close(
        F.conv2d(x, dense[None, None], padding=2),
        F.conv2d(x, w, padding=2, dilation=2))
    with pytest.raises(ValueError, match='spans 5 pixels'):
        embed_kernel(w, dilation=2, size=3)


@pytest.mark.parametrize('size', [(1, 1), (2, 3), (3, 3), (6, 5)])
@pytest.mark.parametrize('dilation,groups', [(1, 1), (2, 1), (1, 4)])
def test_same_conv2d_equals_the_padded_conv(size, dilation, groups):
    torch.manual_seed(0)
    x = torch.randn(2, 4, *size)
    w = torch.randn(6 if groups == 1 else 4, 4 // groups, 5, 5)
    b = torch.randn(w.size(0))
    torch.testing.assert_close(
        same_conv2d(x, w, b, dilation, groups),
        F.conv2d(x, w, b, padding=2 * dilation, dilation=dilation,
                 groups=groups))


def test_same_conv2d_skips_taps_that_only_read_padding():
    """On a 1x1 map only the centre tap is used: NaN elsewhere in the
    kernel cannot reach the output."""
    w = torch.full((1, 1, 3, 3), float('nan'))
    w[0, 0, 1, 1] = 2.
    out = same_conv2d(torch.full((1, 1, 1, 1), 3.), w, None)
    assert out.item() == 6.
    # with dilation 2 a 2x2 map is reached by the centre tap only too
    x = torch.arange(4.).reshape(1, 1, 2, 2)
    assert torch.equal(same_conv2d(x, w, None, dilation=2), 2 * x)


def test_crop_kernel_keeps_the_taps_that_reach_the_map():
    w = torch.arange(25.).reshape(1, 1, 5, 5)
    assert torch.equal(crop_kernel(w, (2, 2)), w[..., 1:4, 1:4])
    assert torch.equal(crop_kernel(w, (1, 4)), w[..., 2:3, :])
    assert torch.equal(crop_kernel(w, (3, 3), dilation=2), w[..., 1:4, 1:4])
    assert crop_kernel(w, (5, 6)) is w


@pytest.mark.parametrize('shape', [(1, 8, 3, 3), (1, 600, 6, 6), (3, 8, 2, 5)])
@pytest.mark.parametrize('bias', [True, False])
def test_pointwise_conv_equals_conv2d(shape, bias):
    """Below PyTorch's oneDNN threshold (batch 1, <= 20480 elements) as a
    conv, above as a batched product."""
    torch.manual_seed(0)
    x = torch.randn(*shape)
    w = torch.randn(5, shape[1], 1, 1)
    b = torch.randn(5) if bias else None
    torch.testing.assert_close(pointwise_conv(x, w, b), F.conv2d(x, w, b),
                               rtol=1e-5, atol=1e-5)


def test_depthwise_matrix_by_hand():
    """2x2 map, 3x3 kernel: each output position sees every input one,
    through the tap at their offset (positions row-major)."""
    w = torch.arange(1., 10.).reshape(1, 1, 3, 3)
    expected = torch.tensor([[5., 6, 8, 9], [4, 5, 7, 8], [2, 3, 5, 6],
                             [1, 2, 4, 5]])
    assert torch.equal(depthwise_matrix(w, (2, 2))[0], expected)
    x = torch.tensor([1., 10, 100, 1000]).view(1, 1, 2, 2)
    out = depthwise_by_matrix(x, depthwise_matrix(w, (2, 2)), torch.ones(1))
    assert torch.equal(out.flatten(), expected @ x.flatten() + 1)
    # one position (an affine map in same_conv2d) or more than the taps
    assert depthwise_matrix(w, (1, 1)) is None
    assert depthwise_matrix(w, (4, 4)) is None
    # no more positions than the taps, but over MATRIX_MAX_POSITIONS
    assert depthwise_matrix(torch.ones(1, 1, 5, 5), (5, 5)) is None
    assert depthwise_matrix(torch.ones(1, 1, 5, 5), (4, 4)).shape == (1, 16,
                                                                     16)
    assert depthwise_matrix(w, (2, 3), dilation=2) is None  # 3 taps reach


@pytest.mark.parametrize('size,k,dilation', [((3, 3), 5, 1), ((3, 3), 3, 2),
                                             ((2, 4), 3, 1)])
def test_depthwise_matrix_equals_the_conv(size, k, dilation):
    torch.manual_seed(0)
    w, b = torch.randn(6, 1, k, k), torch.randn(6)
    x = torch.randn(2, 6, *size)
    torch.testing.assert_close(
        depthwise_by_matrix(x, depthwise_matrix(w, size, dilation), b),
        F.conv2d(x, w, b, padding=dilation * (k // 2), dilation=dilation,
                 groups=6))


def test_block_diagonal_layout():
    a = torch.full((2, 1, 1, 1), 1.)
    b = torch.full((1, 2, 1, 1), 2.)
    out = block_diagonal([a, b])[..., 0, 0]
    assert torch.equal(out, torch.tensor([[1., 0, 0], [1, 0, 0], [0, 2, 2]]))


def test_folded_conv_equals_conv_bn():
    torch.manual_seed(0)
    module = ConvModule(3, 4, 3, padding=1, norm_cfg=dict(type='BN'))
    bn = module.norm
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 1.5)
    module.eval()
    weight, bias, norm = folded_conv(module)
    assert norm is None and is_foldable(module)
    x = torch.randn(2, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(
            F.relu(F.conv2d(x, weight, bias, padding=1)), module(x))
    gn = ConvModule(3, 4, 3, padding=1,
                    norm_cfg=dict(type='GN', num_groups=2))
    assert not is_foldable(gn) and is_foldable(gn, group_norm=True)
    assert folded_conv(gn)[2] is gn.norm


def test_merged_group_norm_is_exact_with_equal_group_width():
    torch.manual_seed(0)
    norms = [nn.GroupNorm(2, 4), nn.GroupNorm(1, 2)]
    for n in norms:
        n.weight.data.uniform_(0.5, 1.5)
        n.bias.data.uniform_(-1, 1)
    merged = merged_group_norm(norms)
    assert (merged.num_groups, merged.num_channels) == (3, 6)
    x = torch.randn(2, 6, 3, 3)
    torch.testing.assert_close(
        merged(x), torch.cat([norms[0](x[:, :4]), norms[1](x[:, 4:])], 1))
    assert merged_group_norm([nn.GroupNorm(2, 4), nn.GroupNorm(2, 2)]) is None
    assert merged_group_norm([nn.GroupNorm(1, 2), None]) is None


#: (LEModule options, per-level channels) of the layer layouts fused:
#: SSDLite's depthwise + BN, SSD's plain convs with unequal cls/reg widths
#: (block-diagonal), FPN heads' shared plain convs with GroupNorm
#: (grouped, norms merged), the same with the lite 1x1 prediction conv,
#: and RF off.
LAYOUTS = {
    'depthwise_bn': (dict(use_depthwise=True, norm_cfg=dict(type='BN'),
                          act_cfg=dict(type='ReLU6')), ([16, 24], [12, 12],
                                                        [8, 8], [2, 2])),
    'plain': (dict(), ([16, 24], [12, 12], [8, 8], [2, 2])),
    'shared_gn': (dict(norm_cfg=dict(type='GN', num_groups=8)),
                  (16, 16, 16, 1)),
    'shared_gn_pred1x1': (dict(norm_cfg=dict(type='GN', num_groups=8),
                               pred_kernel_size=1), (16, 16, 16, 1)),
    'no_rf': (dict(richer_features=False, norm_cfg=dict(type='BN')),
              ([16, 24], [12, 12], [8, 8], [2, 2])),
    'shared_bn_pred1x1': (dict(norm_cfg=dict(type='BN'), pred_kernel_size=1),
                          (16, 16, 16, 2)),
    'shared_no_rf_pred1x1': (dict(richer_features=False,
                                  norm_cfg=dict(type='GN', num_groups=8),
                                  pred_kernel_size=1), (16, 16, 16, 1)),
}
#: The layouts whose levels all run at once (shared convs, 1x1 prediction).
BATCHED = ('shared_gn_pred1x1', 'shared_bn_pred1x1', 'shared_no_rf_pred1x1')


def build_le(name: str) -> LEModule:
    options, (base, cls_ch, reg_ch, priors) = LAYOUTS[name]
    torch.manual_seed(0)
    module = LEModule(base, cls_ch, reg_ch, priors, branch_channels=8,
                      context_channels=8, feat_channels=16, **options)
    module.init_weights()
    random_norm_stats(module)
    return module.eval()


def le_inputs(name: str, batch: int = 2):
    """(feats, cls maps, reg maps) of two levels, 6x6 and 3x3."""
    base, cls_ch, reg_ch, _ = LAYOUTS[name][1]
    gen = torch.Generator().manual_seed(1)

    def per_level(value):
        return value if isinstance(value, list) else [value, value]

    levels = zip(per_level(base), per_level(cls_ch), per_level(reg_ch))
    maps = [[torch.randn(batch, c, size, size, generator=gen) for c in chans]
            for chans, size in zip(levels, (6, 3))]
    return tuple(zip(*maps))


@pytest.mark.parametrize('name', list(LAYOUTS))
def test_fused_inference_equals_per_branch_layers(name):
    module = build_le(name)
    feats, cls_maps, reg_maps = le_inputs(name)
    with torch.no_grad():
        module.fused_inference = False
        ref = module(feats, cls_maps, reg_maps)
        assert module._fused is None
        module.fused_inference = True
        out = module(feats, cls_maps, reg_maps)
    assert module._fused is not None
    plans = module._fused_plans()
    assert all(plan is not None for plan in plans)
    if name == 'depthwise_bn':
        # the depthwise conv on the 3x3 level as per-channel matrices, made
        # once; the 6x6 level's as a conv
        assert plans[1]['kernels'][('dw_matrix', (3, 3))].shape == (
            24 + 12 + 8, 9, 9)
        assert plans[0]['kernels'][('dw_matrix', (6, 6))] is None
    assert ('batched' in module._fused_plans()[0]) == (name in BATCHED)
    for r, o in zip(ref, out):
        torch.testing.assert_close(o, r, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('name', BATCHED)
@pytest.mark.parametrize('batch', [1, 2])
def test_batched_levels_equal_per_branch_layers(name, batch):
    """All levels at once, with RF convs as convs on the levels above
    ``batched_conv_positions`` and gathered on the others, on maps from
    10x7 to 1x2."""
    module = build_le(name)
    module.batched_conv_positions = 30
    gen = torch.Generator().manual_seed(2)
    sizes = [(10, 7), (5, 4), (3, 3), (1, 2)]
    feats, cls_maps, reg_maps = (
        [torch.randn(batch, 16, h, w, generator=gen) for h, w in sizes]
        for _ in range(3))
    with torch.no_grad():
        module.fused_inference = False
        ref = module(feats, cls_maps, reg_maps)
        module.fused_inference = True
        out = module(feats, cls_maps, reg_maps)
    if module.richer_features:
        assert module._layouts[(tuple(sizes), torch.device('cpu'),
                                30)]['small'] == [1, 2, 3]
    for r, o in zip(ref, out):
        torch.testing.assert_close(o, r, rtol=1e-5, atol=1e-5)
    module.batched_devices = ()  # the per-level fused path instead
    with torch.no_grad():
        per_level = module(feats, cls_maps, reg_maps)
    assert per_level[1].is_contiguous() and not out[1].is_contiguous()
    for r, o in zip(ref, per_level):
        torch.testing.assert_close(o, r, rtol=1e-5, atol=1e-5)
    # the maps are views of one positions-major tensor: flatten copies none
    flat = module.flatten(out[1])
    assert flat.data_ptr() == out[1].data_ptr()
    torch.testing.assert_close(flat, module.flatten(ref[1].contiguous()),
                               rtol=1e-5, atol=1e-5)


def test_fused_weights_follow_parameter_updates():
    """An in-place update or a loaded state dict rebuilds the fused
    weights; training and eval with autograd run the per-branch layers."""
    module = build_le('depthwise_bn')
    feats, cls_maps, reg_maps = le_inputs('depthwise_bn')
    with torch.no_grad():
        before = module(feats, cls_maps, reg_maps)
        module.fuse_convs[0].conv.weight.mul_(2)
        module.context_convs[1].depthwise_conv.bn.running_var.mul_(3)
        module.fused_inference = False
        ref = module(feats, cls_maps, reg_maps)
        module.fused_inference = True
        after = module(feats, cls_maps, reg_maps)
    assert not torch.allclose(before[0], after[0])
    for r, a in zip(ref, after):
        torch.testing.assert_close(a, r, rtol=1e-5, atol=1e-6)
    other = build_le('depthwise_bn')
    other.load_state_dict(module.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(other(feats, cls_maps, reg_maps)[1],
                                   after[1])
    # the state dict holds the per-branch parameters only
    assert set(module.state_dict()) == set(build_le('depthwise_bn')
                                           .state_dict())
    out = module(feats, cls_maps, reg_maps)  # autograd on: per-branch path
    assert out[0].requires_grad


def test_reset_fused_after_an_update_through_data():
    """``.data`` updates (MeanTeacherHook's) bypass the version counter:
    the fused weights stay as built until ``reset_fused``."""
    module = build_le('depthwise_bn')
    inputs = le_inputs('depthwise_bn')
    with torch.no_grad():
        before = module(*inputs)
        # the fuse conv's weight is folded with its BatchNorm into a copy
        module.fuse_convs[0].conv.weight.data.mul_(2)
        stale = module(*inputs)
        module.reset_fused()
        after = module(*inputs)
        module.fused_inference = False
        ref = module(*inputs)
    torch.testing.assert_close(stale[0], before[0], rtol=0, atol=0)
    assert not torch.allclose(after[0], before[0])
    torch.testing.assert_close(after[0], ref[0], rtol=1e-5, atol=1e-6)


def test_kernels_per_map_size_are_bounded():
    """Inputs of many sizes: each level keeps its kernel_cache_size latest
    prepared kernels and still equals the per-branch layers."""
    module = build_le('depthwise_bn')
    module.kernel_cache_size = 2
    gen = torch.Generator().manual_seed(3)
    for size in [(1, 1), (2, 2), (3, 2), (2, 3), (3, 3)]:
        inputs = [[torch.randn(1, c, *size, generator=gen) for c in chans]
                  for chans in ([16, 24], [12, 12], [8, 8])]
        with torch.no_grad():
            out = module(*inputs)
            module.fused_inference = False
            ref = module(*inputs)
            module.fused_inference = True
        for r, o in zip(ref, out):
            torch.testing.assert_close(o, r, rtol=1e-5, atol=1e-6)
    assert all(len(plan['kernels']) <= 2 for plan in module._fused_plans())


def test_unpadded_conv_is_not_foldable():
    """A conv that shrinks the map is not what same_conv2d computes."""
    assert not is_foldable(ConvModule(3, 4, 3, padding=0))


def test_pred_kernel_size_one_predicts_from_each_location_alone():
    module = build_le('shared_gn_pred1x1')
    pred = module.pred_convs[0]
    assert pred.kernel_size == (1, 1) and pred.padding == (0, 0)
    assert pred.out_channels == 1 * 3 * 8
    feats, cls_maps, reg_maps = le_inputs('shared_gn_pred1x1')
    with torch.no_grad():
        out = module(feats, cls_maps, reg_maps)
        hidden = module.fuse_convs[0](
            torch.cat([
                feats[0], module.context_convs[0](feats[0]),
                module.cls_convs[0](cls_maps[0]),
                module.reg_convs[0](reg_maps[0])
            ], 1))
    want = torch.einsum('nchw,oc->nohw', hidden, pred.weight[..., 0, 0])
    torch.testing.assert_close(
        out[0], want + pred.bias[:, None, None], rtol=1e-5, atol=1e-6)


class _LevelsAsArgs(nn.Module):
    """An LE module with its per-level maps as flat arguments (export)."""

    def __init__(self, module: LEModule) -> None:
        super().__init__()
        self.module = module

    def forward(self, *maps: torch.Tensor) -> list:
        return self.module(maps[0:2], maps[2:4], maps[4:6])


@pytest.mark.parametrize('fused_levels', [False, True])
@pytest.mark.parametrize('name', ['depthwise_bn', 'plain', *BATCHED[:1]])
def test_onnx_export_traces_per_branch_levels_and_batched_ones(
        name, fused_levels, tmp_path):
    """An ONNX export traces each level's per-branch layers (its runtime
    folds norms and activations into the convs itself), or with
    ``export_fused_levels`` the per-level fused path, and the level-batched
    path where it applies; onnxruntime gives the eager maps."""
    ort = pytest.importorskip('onnxruntime')
    module = build_le(name)
    module.export_fused_levels = fused_levels
    maps = [m for level_maps in le_inputs(name, batch=1) for m in level_maps]
    with torch.no_grad():
        ref = module(maps[0:2], maps[2:4], maps[4:6])
    onnx_file = str(tmp_path / 'le.onnx')
    names = [f'map{i}' for i in range(len(maps))]
    with mock.patch.object(module, 'forward_fused',
                           wraps=module.forward_fused) as fused, \
            mock.patch.object(module, 'forward_batched',
                              wraps=module.forward_batched) as batched, \
            torch.no_grad():
        torch.onnx.export(_LevelsAsArgs(module).eval(), tuple(maps),
                          onnx_file, input_names=names, opset_version=17,
                          dynamo=False)
    assert fused.call_count == (0 if name in BATCHED else 2 * fused_levels)
    assert batched.call_count == (name in BATCHED)
    session = ort.InferenceSession(onnx_file,
                                   providers=['CPUExecutionProvider'])
    outs = session.run(None, {n: m.numpy() for n, m in zip(names, maps)})
    for r, o in zip(ref, outs):
        torch.testing.assert_close(torch.from_numpy(o), r, rtol=1e-5,
                                   atol=1e-5)
