_base_ = '../../configs/led/ssdlite_mobilenetv2_192_voc07_cpu.py'
unit = 100
max_iters = 24 * unit
base_lr = 0.03
train_cfg = dict(max_iters=max_iters, val_interval=10**9)
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay=4e-05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=2 * unit),
    dict(type='PiecewiseConstantLR', by_epoch=False, begin=2 * unit,
         milestones=[m * unit for m in (8, 10, 12, 14, 16, 20)],
         values=[base_lr * f for f in (1, 0.1, 0.01, 0.1, 0.01, 0.1, 0.01)])]
default_hooks = dict(checkpoint=dict(interval=6 * unit, save_optimizer=False),
                     logger=dict(interval=50))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, 4)),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
         saturation_range=(0.5, 1.5), hue_delta=18),
    dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 192), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size=16, num_workers=2, dataset=dict(
    data_root='data/VOCdevkit/', ann_file='VOC2007/ImageSets/Main/train.txt', pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(
    data_root='data/VOCdevkit/', ann_file='VOC2007/ImageSets/Main/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
