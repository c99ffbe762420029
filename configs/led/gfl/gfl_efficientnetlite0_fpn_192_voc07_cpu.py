# CPU GFL, a rival that puts the localization quality into the class score
# (quality focal loss) of the FPN-head comparison: the CPU RetinaNet's
# backbone, FPN, tower size, data and schedule with GFL's head, assigner and
# test settings (mmdet::gfl/gfl_r50_fpn_1x_coco.py).
_base_ = '../retinanet/retinanet_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    type='GFL',
    neck=dict(add_extra_convs='on_output'),
    bbox_head=dict(
        _delete_=True,
        type='GFLHead',
        num_classes=20,
        in_channels={{_base_.fpn_channels}},
        feat_channels={{_base_.fpn_channels}},
        stacked_convs=2,
        anchor_generator=dict(
            type='AnchorGenerator',
            ratios=[1.0],
            octave_base_scale=8,
            scales_per_octave=1,
            strides=[8, 16, 32, 64, 128]),
        loss_cls=dict(
            type='QualityFocalLoss',
            use_sigmoid=True,
            beta=2.0,
            loss_weight=1.0),
        loss_dfl=dict(type='DistributionFocalLoss', loss_weight=0.25),
        reg_max=16,
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0)),
    train_cfg=dict(
        _delete_=True,
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(nms=dict(iou_threshold=0.6)))
