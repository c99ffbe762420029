"""LED's loc-quality estimation module and its fused inference path."""
import operator
from typing import (Any, Callable, Dict, Hashable, List, Optional, Sequence,
                    Tuple, Union)

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from ..task_modules.loc_quality import (C2F_BIN_ANCHORS, C2F_BIN_SCALES,
                                        c2f_decode)
from ..utils.conv_fusion import (activation_of, crop_kernel,
                                 depthwise_by_matrix, depthwise_matrix,
                                 folded_conv, fuse_plain_branches,
                                 fuse_separable_branches, is_foldable,
                                 is_same_padded, pointwise_conv, same_conv2d)
from ..utils.level_batching import (conv_as_matmul_weight, gather_rows,
                                    im2col_index, level_members,
                                    level_offsets, positions_major,
                                    segment_group_norm)


_version = operator.attrgetter('_version')


def fused_key(tensors: Sequence[Tensor]) -> tuple:
    """What changes when a tensor is updated in place (its version
    counter) or gets new storage (``load_state_dict`` copies in place;
    ``.to(device)`` moves).

    Read once per fused forward, right after the backbone has evicted the
    tensors from the caches: on SSDLite's LE module (222 tensors) about
    170 us with ``map``, 250 us as a Python loop over all 264 (with
    BatchNorm's ``num_batches_tracked``, which inference never reads).
    An update through ``.data`` (``p.data.copy_(...)``) goes
    to a tensor with a version counter of its own and is not seen
    (:meth:`LEModule.reset_fused`).
    """
    return (tuple(map(_version, tensors)),
            tuple(map(Tensor.data_ptr, tensors)))


def cached(cache: dict, key: Hashable, make: Callable[[], Any],
           limit: int) -> Any:
    """``cache[key]``, made by ``make()`` when absent; once ``limit``
    entries are kept the oldest is dropped for a new one."""
    if key not in cache:
        if len(cache) >= limit:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


@MODELS.register_module()
class LEModule(BaseModule):
    """Loc-quality estimation (LE) module of LED (paper section 2.3, Fig. 3).

    On every prediction level it predicts, for each anchor, the IoU, IoD and
    IoG of the anchor's detection with its nearest object, class-agnostic.

    Richer features (RF): a 3x3 conv on the level's classification map and
    one on its box-regression map (so the LE loss back-propagates into both
    branches), a dilated 3x3 conv on the base feature map for context, all
    concatenated with the base feature map itself. A 1x1 conv fuses the
    concatenation into ``feat_channels`` channels; a 3x3 conv (the paper's;
    ``pred_kernel_size``) then predicts
    per anchor and per quality either 4 coarse logits + 4 fine offsets
    (coarse-to-fine, C2F) or the value itself (direct regression). With RF
    off the fuse conv sees the base feature map alone.

    The 1x1 fuse keeps the cost small: it touches the wide base map once,
    with ``feat_channels`` outputs, instead of running 3x3 convs over it.

    **Fused inference.** In eval mode without autograd (``model.predict``,
    ``tools/test.py``) the same maths runs in fewer, larger kernels, since
    small maps make inference op-bound rather than arithmetic-bound (an
    ONNX export keeps only the level batching below,
    :attr:`export_fused_levels`): BatchNorm is folded into the convs; the
    three RF branches' depthwise convs become one (the dilated context kernel
    embedded in a dense one) over the concatenated inputs; the cls and reg
    branch convs become one block-diagonal conv (grouped when their inputs
    are equally wide), with their GroupNorms merged into one when they
    have the same channels per group. Per level: 11 ops instead of 23 for
    SSDLite's depthwise/BN convs, 9 instead of 10 for plain convs, 11
    instead of 14 for plain convs with GroupNorm. The kernels are picked for
    these shapes: 1x1 convs run as matrix products where PyTorch's CPU conv
    would call oneDNN, depthwise convs on the smallest maps as per-channel
    matrices (kept per map size), kernels cropped once per map size
    (:mod:`~mmdet_led.models.utils.conv_fusion`). With convs shared across
    levels and a 1x1 prediction conv (the lite LE of the FPN heads) all
    levels run at once on a CPU (:meth:`forward_batched`,
    :attr:`batched_devices`): one call per layer
    instead of one per layer and level, where on 2x2-12x12 maps a conv
    call costs far more in overhead than in arithmetic. The fused
    weights are built from the module's parameters on first use and rebuilt
    whenever a parameter or buffer changes (new storage or an in-place
    update); training, and any forward with autograd on, runs the per-branch
    layers. ``fused_inference=False`` switches the fused path off. Updates
    through ``.data`` change no version counter (mmdet's ``MeanTeacherHook``
    updates its teacher that way): call :meth:`reset_fused` after them.

    The module knows nothing of the head it serves: it is given, per level,
    a base feature map, a map from the classification branch and one from
    the regression branch, with their channel counts. With one sequence
    entry per level each level has its own convs (SSD's levels differ in
    width); with plain ints one set of convs serves every level, like the
    shared towers of RetinaNet or FCOS heads on an FPN.

    Args:
        in_channels (int | Sequence[int]): Channels of each level's base
            feature; an int shares the convs across levels.
        cls_channels (int | Sequence[int]): Channels of each level's map
            from the classification branch (e.g. SSD's anchors x (classes +
            1) scores, or a shared tower's last feature).
        reg_channels (int | Sequence[int]): Channels of each level's map
            from the regression branch.
        num_base_priors (int | Sequence[int]): Priors (anchors or points)
            per location of each level.
        richer_features (bool): Use RF. Defaults to True.
        coarse_to_fine (bool): Use C2F prediction, else direct regression.
            Defaults to True.
        branch_channels (int): Width of the 3x3 convs on the cls/reg maps.
        context_channels (int): Width of the dilated context conv.
        context_dilation (int): Dilation of the context conv.
        feat_channels (int): Width of the fused feature map.
        pred_kernel_size (int): Kernel of the prediction conv. Defaults to
            3 (the paper's); 1 cuts its arithmetic by 9x, which matters where
            it has many outputs (anchors x 3 qualities x 8 C2F values) on
            slim heads.
        use_depthwise (bool): Depthwise-separable 3x3 convs, as in SSDLite.
            :class:`~mmdet_led.models.dense_heads.LEHeadMixin` (every LED
            head) passes its head's ``use_depthwise`` unless set.
        conv_cfg, norm_cfg, act_cfg: Of the hidden convs (the prediction conv
            has neither norm nor activation).
        fused_inference (bool): Use the fused inference path (see above)
            when the layers allow it. Defaults to True.
        detach_inputs (bool): Stop the LE loss at the module's inputs, so
            that the host head and its backbone train on their own losses
            alone, as in the plain twin. The paper lets it reach them (the
            RF branches read the cls/reg maps). Defaults to False.
        init_cfg: Initialization config. Defaults to Xavier like SSD's head.
    """

    num_qualities = 3  # IoU, IoD, IoG
    num_bins = len(C2F_BIN_ANCHORS)
    #: Levels with more positions run the RF convs of
    #: :meth:`forward_batched` as convs, smaller ones as gathered matmuls.
    batched_conv_positions = 1024
    #: Devices that run :meth:`forward_batched`: on a CPU it saves time
    #: (each conv call on a small map costs tens of microseconds), but it
    #: has more ops per image than the per-level path (its per-level
    #: GroupNorm is ten small ops instead of one per level), and ops are
    #: what a GPU's batch-1 time follows.
    batched_devices = ('cpu', )
    #: Kernels prepared per map size (cropped, or depthwise matrices) that
    #: each level's fused weights keep, the oldest dropped first when inputs
    #: of many sizes pass.
    kernel_cache_size = 32
    #: Whether an ONNX export traces the per-level fused convs; it traces
    #: the per-branch layers instead (the level-batched path is exported
    #: either way). The exported graph's runtime folds BatchNorm and
    #: activations into the convs itself (onnxruntime's graph optimizer),
    #: so the per-level fusion saves it no calls, and what the fusion
    #: merges can cost it arithmetic: SSDLite's three depthwise convs run
    #: as one whose every channel gets the dense kernel that the dilated
    #: context kernel is embedded in. On onnxruntime (2 CPU threads) the
    #: trained SSDLite pair's LED/plain network ratio is 1.19-1.20
    #: per-branch against 1.34-1.35 fused; SSD300-VGG16 and the FPN heads
    #: take the same time either way.
    export_fused_levels = False

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 cls_channels: Union[int, Sequence[int]],
                 reg_channels: Union[int, Sequence[int]],
                 num_base_priors: Union[int, Sequence[int]],
                 richer_features: bool = True,
                 coarse_to_fine: bool = True,
                 branch_channels: int = 32,
                 context_channels: int = 32,
                 context_dilation: int = 2,
                 feat_channels: int = 64,
                 pred_kernel_size: int = 3,
                 use_depthwise: bool = False,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: OptConfigType = None,
                 act_cfg: ConfigType = dict(type='ReLU'),
                 fused_inference: bool = True,
                 detach_inputs: bool = False,
                 init_cfg: OptMultiConfig = dict(
                     type='Xavier',
                     layer='Conv2d',
                     distribution='uniform',
                     bias=0)) -> None:
        super().__init__(init_cfg=init_cfg)
        self.richer_features = richer_features
        self.coarse_to_fine = coarse_to_fine
        self.fused_inference = fused_inference
        self.detach_inputs = detach_inputs
        # (the parameters and buffers the fused weights were built from,
        # their key, one plan per set of level convs)
        self._fused: Optional[Tuple[list, tuple, List[Optional[dict]]]] = None
        # forward_batched's row layout per level sizes
        self._layouts: Dict[tuple, dict] = {}
        per_level = [in_channels, cls_channels, reg_channels, num_base_priors]
        self.shared_levels = isinstance(in_channels, int)
        if self.shared_levels:
            if not all(isinstance(v, int) for v in per_level):
                raise TypeError('shared levels (int in_channels) need int '
                                'cls_channels, reg_channels and '
                                'num_base_priors')
            per_level = [[v] for v in per_level]
        in_channels, cls_channels, reg_channels, num_base_priors = per_level
        # per anchor and quality: B coarse logits + B fine offsets, or 1 value
        self.pred_size = 2 * self.num_bins if coarse_to_fine else 1

        def conv(cin: int, cout: int, k: int, dilation: int = 1) -> nn.Module:
            separable = use_depthwise and k > 1
            return (DepthwiseSeparableConvModule if separable else ConvModule)(
                cin,
                cout,
                k,
                padding=dilation * (k // 2),
                dilation=dilation,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)

        self.cls_convs = nn.ModuleList()
        self.reg_convs = nn.ModuleList()
        self.context_convs = nn.ModuleList()
        self.fuse_convs = nn.ModuleList()
        self.pred_convs = nn.ModuleList()
        for base, cls_ch, reg_ch, priors in zip(in_channels, cls_channels,
                                                reg_channels,
                                                num_base_priors):
            fused = base
            if richer_features:
                self.cls_convs.append(conv(cls_ch, branch_channels, 3))
                self.reg_convs.append(conv(reg_ch, branch_channels, 3))
                self.context_convs.append(
                    conv(base, context_channels, 3, context_dilation))
                fused += 2 * branch_channels + context_channels
            self.fuse_convs.append(conv(fused, feat_channels, 1))
            self.pred_convs.append(
                nn.Conv2d(
                    feat_channels,
                    priors * self.num_qualities * self.pred_size,
                    pred_kernel_size,
                    padding=pred_kernel_size // 2))

    def forward_single(self, level: int, feat: Tensor, cls_score: Tensor,
                       bbox_pred: Tensor) -> Tensor:
        """LE prediction map of one level, shape (N, A * 3 * K, H, W)."""
        if self.shared_levels:
            level = 0
        if self.richer_features:
            feat = torch.cat([
                feat, self.context_convs[level](feat),
                self.cls_convs[level](cls_score),
                self.reg_convs[level](bbox_pred)
            ], 1)
        return self.pred_convs[level](self.fuse_convs[level](feat))

    def forward(self, feats: Sequence[Tensor], cls_scores: Sequence[Tensor],
                bbox_preds: Sequence[Tensor]) -> List[Tensor]:
        """LE prediction maps of all levels.

        Args:
            feats (Sequence[Tensor]): Base feature map of each level.
            cls_scores (Sequence[Tensor]): Map of the classification branch
                of each level.
            bbox_preds (Sequence[Tensor]): Map of the regression branch of
                each level.

        Returns:
            list[Tensor]: Per level (N, A * 3 * K, H, W), channel order
            (anchor, quality, K) with K = 8 (4 coarse logits then 4 fine
            offsets) for C2F, K = 1 for direct regression.
        """
        if self.detach_inputs and torch.is_grad_enabled():
            feats, cls_scores, bbox_preds = ([t.detach() for t in maps]
                                             for maps in (feats, cls_scores,
                                                          bbox_preds))
        plans = self._fused_plans() if self._use_fused() else None
        if (plans and plans[0] is not None and 'batched' in plans[0]
                and feats[0].device.type in self.batched_devices):
            return self.forward_batched(plans[0], feats, cls_scores,
                                        bbox_preds)
        if torch.onnx.is_in_onnx_export() and not self.export_fused_levels:
            plans = None
        outs = []
        for i, (f, c, b) in enumerate(zip(feats, cls_scores, bbox_preds)):
            plan = plans[0 if self.shared_levels else i] if plans else None
            outs.append(
                self.forward_single(i, f, c, b) if plan is None else self.
                forward_fused(plan, f, c, b))
        return outs

    def _use_fused(self) -> bool:
        """Fused path: eval mode, autograd off, switched on."""
        return (self.fused_inference and not self.training
                and not torch.is_grad_enabled())

    def reset_fused(self) -> None:
        """Drop the fused weights: the next fused forward rebuilds them.
        Needed only after updates the version counters miss (through
        ``.data``)."""
        self._fused = None

    def _fused_plans(self) -> List[Optional[dict]]:
        """Fused weights per set of level convs (one with shared levels;
        None where the layers do not allow fusing), rebuilt when the
        parameters changed."""
        if self._fused is not None:
            if torch.compiler.is_compiling():
                return self._fused[2]
            tensors, key = self._fused[:2]
            if fused_key(tensors) == key:
                return self._fused[2]
        tensors = [*self.parameters()] + [
            b for name, b in self.named_buffers()
            if not name.endswith('num_batches_tracked')
        ]
        self._fused = (tensors, fused_key(tensors), [
            self._fuse_level(i) for i in range(len(self.fuse_convs))
        ])
        return self._fused[2]

    def _fuse_level(self, level: int) -> Optional[dict]:
        """The fused weights of one level (see the class docstring), None
        if its layers do not allow fusing."""
        fuse, pred = self.fuse_convs[level], self.pred_convs[level]
        if not (is_foldable(fuse, group_norm=True) and is_same_padded(pred)
                and fuse.conv.groups == pred.groups == 1):
            return None
        plan = dict(
            fuse=folded_conv(fuse),
            fuse_act=activation_of(fuse),
            pred=(pred.weight.detach(), pred.bias.detach()),
            kernels={})
        if self.richer_features:
            branches = [
                self.context_convs[level], self.cls_convs[level],
                self.reg_convs[level]
            ]
            if isinstance(branches[0], DepthwiseSeparableConvModule):
                rf = fuse_separable_branches(branches)
            else:
                rf = fuse_plain_branches(branches)
            if rf is None:
                return None
            plan.update(rf)
        if (self.shared_levels and pred.kernel_size == (1, 1)
                and not plan.get('separable', False)):
            plan['batched'] = self._batched_weights(plan)
        return plan

    def _batched_weights(self, plan: dict) -> dict:
        """The shared convs of a fused ``plan`` as matrices for
        :meth:`forward_batched`: the RF branches' k x k kernels for columns
        gathered by ``im2col_index``, the 1x1 fuse and prediction convs for
        ``F.linear``."""
        weights = dict(
            fuse=plan['fuse'][0].flatten(1),
            pred=(plan['pred'][0].flatten(1), plan['pred'][1]))
        if self.richer_features:
            convs = (self.context_convs[0], self.cls_convs[0],
                     self.reg_convs[0])
            branches = [folded_conv(m)[:2] for m in convs]
            weights['branches'] = [
                (conv_as_matmul_weight(w), m.conv.dilation[0],
                 m.conv.kernel_size[0]) for (w, _), m in zip(branches, convs)
            ]
            weights['rf_bias'] = torch.cat([b for _, b in branches])
        return weights

    def forward_fused(self, plan: dict, feat: Tensor, cls_score: Tensor,
                      bbox_pred: Tensor) -> Tensor:
        """One level's LE map through the fused weights of ``plan``; equal
        to :meth:`forward_single` up to float rounding. Taps that only
        read padding on this map size are skipped
        (:func:`~mmdet_led.models.utils.conv_fusion.same_conv2d`)."""
        if self.richer_features:
            if plan['separable']:
                x = torch.cat([feat, cls_score, bbox_pred], 1)
                x = plan['dw_act'](self._depthwise(plan, x))
                split = plan['ctx_channels']
                rf = torch.cat([
                    pointwise_conv(x[:, :split], *plan['ctx_pw']),
                    pointwise_conv(x[:, split:], *plan['cr_pw'])
                ], 1)
            else:
                rf = self._rf_conv(plan, feat, cls_score, bbox_pred)
                if plan['norm'] is not None:
                    rf = plan['norm'](rf)
            feat = torch.cat([feat, plan['act'](rf)], 1)
        weight, bias, norm = plan['fuse']
        x = same_conv2d(feat, weight, bias)
        if norm is not None:
            x = norm(x)
        return self._same_conv(plan, 'pred', plan['fuse_act'](x))

    def forward_batched(self, plan: dict, feats: Sequence[Tensor],
                        cls_scores: Sequence[Tensor],
                        bbox_preds: Sequence[Tensor]) -> List[Tensor]:
        """Every level's LE map through the shared fused weights of
        ``plan``, all levels at once; equal to :meth:`forward_single` per
        level up to float rounding.

        The levels' positions are laid one after another, positions-major
        (:mod:`~mmdet_led.models.utils.level_batching`): the 1x1 fuse and
        prediction convs run once over all of them, GroupNorm keeps each
        level's statistics. The RF branches' k x k convs run as convs on
        the levels of more than ``batched_conv_positions`` positions and
        as one gathered matmul per branch on the smaller ones. The returned
        maps are views into one (N, S, A * 3 * K) tensor, so
        :meth:`flatten` needs no copy.
        """
        weights = plan['batched']
        n = feats[0].size(0)
        sizes = [tuple(f.shape[-2:]) for f in feats]
        layout = self._level_layout(sizes, feats[0].device,
                                    weights.get('branches', []))
        offsets, members = layout['offsets'], layout['members']
        feat_rows = positions_major(feats)
        x = feat_rows[:, :offsets[-1]]
        if self.richer_features:
            small = layout['small']
            pieces = {
                i: self._rf_conv(plan, feats[i], cls_scores[i],
                                 bbox_preds[i]).flatten(2).transpose(1, 2)
                for i in range(len(sizes)) if i not in small
            }
            if small:
                cols = [
                    gather_rows(rows, layout[(k, dilation)]).view(
                        n, -1, matrix.size(0)) @ matrix
                    for rows, (matrix, dilation, k) in zip((
                        feat_rows, positions_major(cls_scores),
                        positions_major(bbox_preds)), weights['branches'])
                ]
                rf_small = torch.cat(cols, -1) + weights['rf_bias']
                start = 0
                for i in small:
                    count = offsets[i + 1] - offsets[i]
                    pieces[i] = rf_small[:, start:start + count]
                    start += count
            rf = torch.cat([pieces[i] for i in range(len(sizes))], 1)
            if plan['norm'] is not None:
                rf = self._level_norm(rf, plan['norm'], members)
            x = torch.cat([x, plan['act'](rf)], -1)
        x = F.linear(x, weights['fuse'], plan['fuse'][1])
        if plan['fuse'][2] is not None:
            x = self._level_norm(x, plan['fuse'][2], members)
        out = F.linear(plan['fuse_act'](x), *weights['pred'])
        return [
            out[:, start:end].unflatten(1, size).permute(0, 3, 1, 2)
            for start, end, size in zip(offsets, offsets[1:], sizes)
        ]

    def _level_layout(self, sizes: List[Tuple[int, int]],
                      device: torch.device, branches: list) -> dict:
        """Where each level's rows are for :meth:`forward_batched`:
        ``offsets``, one-hot ``members``, the ``small`` levels whose RF
        convs run as gathered matmuls and, per (kernel, dilation) of the RF
        branches, the rows their columns gather (flat). Cached per level
        sizes."""
        key = (tuple(sizes), device, self.batched_conv_positions)
        return cached(self._layouts, key,
                      lambda: self._make_layout(sizes, device, branches), 8)

    def _make_layout(self, sizes: List[Tuple[int, int]],
                     device: torch.device, branches: list) -> dict:
        """:meth:`_level_layout`, computed."""
        small = [
            i for i, (h, w) in enumerate(sizes)
            if h * w <= self.batched_conv_positions
        ]
        layout = dict(
            offsets=level_offsets(sizes),
            members=level_members(sizes, device),
            small=small)
        if small:
            for _, dilation, k in branches:
                layout[(k, dilation)] = im2col_index(sizes, small, k,
                                                     dilation,
                                                     device).flatten()
        return layout

    @staticmethod
    def _level_norm(x: Tensor, norm: nn.GroupNorm, members: Tensor) -> Tensor:
        """``norm`` of each level of positions-major ``x``."""
        return segment_group_norm(x, members, norm.num_groups, norm.weight,
                                  norm.bias, norm.eps)

    def _same_conv(self, plan: dict, name: str, x: Tensor) -> Tensor:
        """:func:`~mmdet_led.models.utils.conv_fusion.same_conv2d` of ``x``
        with the conv ``plan[name]`` (weight, bias, ...) and its keyword
        arguments ``plan[name + '_args']``, the kernel cropped to ``x``'s map
        size once per size."""
        weight, bias = plan[name][:2]
        args = plan.get(name + '_args', {})
        kernel = self._kernel(
            plan, name, tuple(x.shape[-2:]),
            lambda size: crop_kernel(weight, size, args.get('dilation', 1)))
        return same_conv2d(x, weight if kernel is None else kernel, bias,
                           **args)

    def _depthwise(self, plan: dict, x: Tensor) -> Tensor:
        """The fused RF depthwise conv of separable ``plan`` on ``x``: as
        per-channel matrices on the small maps where
        :func:`~mmdet_led.models.utils.conv_fusion.depthwise_matrix` gives
        one (made once per map size), else as a conv."""
        weight, bias = plan['dw']
        matrix = self._kernel(plan, 'dw_matrix', tuple(x.shape[-2:]),
                              lambda size: depthwise_matrix(weight, size))
        if matrix is None:
            return self._same_conv(plan, 'dw', x)
        return depthwise_by_matrix(x, matrix, bias)

    def _kernel(self, plan: dict, name: str, size: Tuple[int, int],
                make: Callable[[Tuple[int, int]], Optional[Tensor]]
                ) -> Optional[Tensor]:
        """``make(size)``, kept in ``plan`` per (name, map size), the
        ``kernel_cache_size`` latest; None while compiling if not made
        before (a compiled graph does not write to the plan)."""
        kernels = plan['kernels']
        if (name, size) not in kernels and torch.compiler.is_compiling():
            return None
        return cached(kernels, (name, size), lambda: make(size),
                      self.kernel_cache_size)

    def _rf_conv(self, plan: dict, feat: Tensor, cls_score: Tensor,
                 bbox_pred: Tensor) -> Tensor:
        """One level's RF branch outputs (context, cls, reg), before
        their norm, through the fused plain convs of ``plan``."""
        cls_reg = torch.cat([cls_score, bbox_pred], 1)
        return torch.cat([
            self._same_conv(plan, 'ctx', feat),
            self._same_conv(plan, 'cr', cls_reg)
        ], 1)

    def flatten(self, le_pred: Tensor) -> Tensor:
        """(N, A*3*K, H, W) or (A*3*K, H, W) -> (N, H*W*A, 3, K) / (H*W*A, 3, K).

        The prior order matches mmdet heads' flattening of cls/reg maps.
        """
        if le_pred.dim() == 3:
            return self.flatten(le_pred[None])[0]
        # no reshape to a batch size read from the tensor: an ONNX trace
        # would keep it as a constant
        return le_pred.permute(0, 2, 3, 1).unflatten(
            -1, (-1, self.num_qualities, self.pred_size)).flatten(1, 3)

    def decode(self, le_pred: Tensor) -> Tensor:
        """Loc-quality values from flattened predictions (..., 3, K) -> (..., 3).

        C2F values follow paper eq. 1 (see
        :func:`~mmdet_led.models.task_modules.c2f_decode`); direct ones are
        the regressed values. Both are clamped to [0, 1].
        """
        if self.coarse_to_fine:
            values = c2f_decode(le_pred[..., :self.num_bins],
                                le_pred[..., self.num_bins:], C2F_BIN_ANCHORS,
                                C2F_BIN_SCALES)
        else:
            values = le_pred[..., 0]
        return values.clamp(0, 1)

