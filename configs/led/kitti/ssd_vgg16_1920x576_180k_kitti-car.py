# SSD (VGG16) for KITTI Car on 1920x576 inputs (LED paper 3.2, Table 3 "SSD"):
# "Our implemented SSD and LED share the same settings except the LE module",
# so it runs LED's whole schedule, 3 x (lr 1e-5 for 30k, 1e-6 for 30k).
# SGD momentum 0.9 / weight decay 5e-4 / batch 8 are not given for KITTI in
# the paper; they follow its VOC settings (batch reduced for 1920x576).
#
# Anchors: mmdet's SSDAnchorGenerator supports only a square 300/512 input
# and always adds ratio r together with 1/r, so the head uses
# KittiSSDAnchorGenerator with explicit per-level (w, h) strides, scales and
# car-shaped aspect ratios. Feature maps of SSDVGG + SSDNeck at 1920x576
# (w x h): 240x72, 120x36, 60x18, 30x9, 28x7, 26x5, hence the strides below
# (input size / feature size; the last two levels are not integral, as
# 300/3 and 300/1 are not in SSD300's grid either). Anchor scales follow the
# SSD300-COCO rule (0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05 of the input)
# applied to the input height 576. Aspect ratios w/h in
# {1.0, 1.5, 1.8, 2.2, 2.7}: mmdet's ratios are h/w, hence the reciprocals;
# plus SSD's extra square anchor of side sqrt(min_size * max_size).
_base_ = [
    'mmdet::_base_/models/ssd300.py',
    '../_base_/datasets/kitti_car_1920x576.py',
    '../_base_/default_runtime.py'
]

car_wh_ratios = [1.0, 1.5, 1.8, 2.2, 2.7]
model = dict(
    bbox_head=dict(
        num_classes=1,
        anchor_generator=dict(
            _delete_=True,
            type='KittiSSDAnchorGenerator',
            strides=[(8, 8), (16, 16), (32, 32), (64, 64),
                     (1920 / 28, 576 / 7), (1920 / 26, 576 / 5)],
            ratios=[[1 / r for r in car_wh_ratios]] * 6,
            min_sizes=[40, 86, 190, 293, 397, 501],
            max_sizes=[86, 190, 293, 397, 501, 604])),
    test_cfg=dict(
        nms_pre=1000,
        nms=dict(type='nms', iou_threshold=0.45),
        min_bbox_size=0,
        score_thr=0.02,
        max_per_img=200))

# LED's three steps: 3 x (1e-5 for 30k, 1e-6 for 30k)
max_iters = 180000
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-5, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        milestones=[30000, 60000, 90000, 120000, 150000],
        values=[1e-5, 1e-6, 1e-5, 1e-6, 1e-5, 1e-6])
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=5000,
        max_keep_ckpts=3,
        save_best='kitti/Car_moderate_AP_R40',
        rule='greater'))
log_processor = dict(by_epoch=False)
custom_hooks = [dict(type='NumClassCheckHook')]
auto_scale_lr = dict(enable=False, base_batch_size=8)
led_phases = [
    dict(name='det', end=60000),
    dict(name='le', end=120000),
    dict(name='joint', end=180000)
]
