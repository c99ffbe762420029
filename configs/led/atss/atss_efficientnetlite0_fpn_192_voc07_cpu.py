# CPU ATSS, a rival quality head (centerness on the reg tower) of the FPN-head
# comparison: the CPU RetinaNet's backbone, FPN, tower size, data and schedule
# with ATSS's head, assigner and test settings (mmdet::atss/atss_r50_fpn_1x_
# coco.py).
_base_ = '../retinanet/retinanet_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    type='ATSS',
    neck=dict(add_extra_convs='on_output'),
    bbox_head=dict(
        _delete_=True,
        type='ATSSHead',
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
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[.0, .0, .0, .0],
            target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(
            type='FocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=2.0),
        loss_centerness=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)),
    train_cfg=dict(
        _delete_=True,
        assigner=dict(type='ATSSAssigner', topk=9),
        allowed_border=-1,
        pos_weight=-1,
        debug=False),
    test_cfg=dict(nms=dict(iou_threshold=0.6)))
