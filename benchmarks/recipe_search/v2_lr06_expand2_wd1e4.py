# Twice the learning rate, zoom-out only up to 2x (objects stay larger at
# 192x192), weight decay 1e-4.
_base_ = './_base_search.py'
base_lr = 0.06
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=200),
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        begin=200,
        milestones=[800, 1000, 1200, 1400, 1600, 2000],
        values=[base_lr * f for f in (1, 0.1, 0.01, 0.1, 0.01, 0.1, 0.01)])
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean={{_base_.mean}}, to_rgb=True,
         ratio_range=(1, 2)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9),
         min_crop_size=0.3),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', brightness_delta=32,
         contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=18),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
