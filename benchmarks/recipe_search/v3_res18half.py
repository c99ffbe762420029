# A dense-conv backbone instead of MobileNetV2: ResNet-18 at half width
# (base 32 channels), BN everywhere, plain 3x3 convs in neck and head.
_base_ = './_base_search.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        base_channels=32,
        num_stages=4,
        out_indices=(2, 3),
        norm_cfg={{_base_.norm_cfg}},
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        in_channels=(128, 256),
        out_channels=(128, 256, 256, 128, 128, 64),
        use_depthwise=False),
    bbox_head=dict(
        in_channels=(128, 256, 256, 128, 128, 64), use_depthwise=False))
