# Recipe search protocol: train on VOC2007 train (754 images), evaluate on
# val (427); the test split is never used for choices. The CPU SSD baseline
# (three-step-length schedule, SSD head only) with a 30-minute budget on this
# 2-core machine: unit = 100 -> 2400 iterations at batch 16.
_base_ = '../../configs/led/ssdlite_mobilenetv2_192_voc07_cpu.py'

unit = 100
max_iters = 24 * unit
base_lr = 0.03
input_size = 192
train_cfg = dict(max_iters=max_iters, val_interval=10**9)
optim_wrapper = dict(optimizer=dict(lr=base_lr))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=2 * unit),
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        begin=2 * unit,
        milestones=[m * unit for m in (8, 10, 12, 14, 16, 20)],
        values=[base_lr * f for f in (1, 0.1, 0.01, 0.1, 0.01, 0.1, 0.01)])
]
default_hooks = dict(
    checkpoint=dict(interval=6 * unit, save_optimizer=False),
    logger=dict(interval=50))
train_dataloader = dict(
    dataset=dict(ann_file='VOC2007/ImageSets/Main/train.txt'))
val_dataloader = dict(dataset=dict(ann_file='VOC2007/ImageSets/Main/val.txt'))
test_dataloader = val_dataloader
