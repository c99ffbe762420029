"""Write the recipe-search configs (train on VOC07 train, eval on val)."""
import sys

HEAD = """_base_ = '../../configs/led/{base}'
unit = {unit}
max_iters = 24 * unit
base_lr = {lr}
train_cfg = dict(max_iters=max_iters, val_interval=10**9)
optim_wrapper = dict(optimizer=dict(lr=base_lr, weight_decay={wd}))
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
    dict(type='Expand', mean=[123.675, 116.28, 103.53], to_rgb=True, ratio_range=(1, {expand})),
    dict(type='MinIoURandomCrop', min_ious=(0.1, 0.3, 0.5, 0.7, 0.9), min_crop_size=0.3),
    dict(type='Resize', scale=({size}, {size}), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
         saturation_range=(0.5, 1.5), hue_delta=18),
    dict(type='PackDetInputs')]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=({size}, {size}), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
train_dataloader = dict(batch_size={bs}, num_workers={nw}, dataset=dict(
    data_root='{root}', ann_file='VOC2007/ImageSets/Main/train.txt', pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(
    data_root='{root}', ann_file='VOC2007/ImageSets/Main/val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
"""
RES18 = """model = dict(
    backbone=dict(_delete_=True, type='ResNet', depth=18, base_channels={bc}, num_stages=4,
                  out_indices=(2, 3), norm_cfg={{{{_base_.norm_cfg}}}}, norm_eval=False,
                  style='pytorch', init_cfg=None),
    neck=dict(in_channels=({c3}, {c4}), out_channels=({c3}, {c4}, 256, 128, 128, 64),
              use_depthwise=False),
    bbox_head=dict(in_channels=({c3}, {c4}, 256, 128, 128, 64), use_depthwise=False))
"""
ANCH = """model = dict(bbox_head=dict(anchor_generator=dict(
    strides={strides}, min_sizes={mins}, max_sizes={maxs})))
"""


def write(name, root, nw, base='ssdlite_mobilenetv2_192_voc07_cpu.py', unit=100,
          lr=0.03, wd=4e-5, expand=4, size=192, bs=16, res18=None):
    text = HEAD.format(base=base, unit=unit, lr=lr, wd=wd, expand=expand,
                       size=size, bs=bs, root=root, nw=nw)
    if res18:
        text += RES18.format(bc=res18, c3=res18 * 4, c4=res18 * 8)
    if size != 192:
        s = size / 320
        strides = [16, 32, 64, -(-size // 3), -(-size // 2), size]
        text += ANCH.format(strides=strides,
                            mins=[round(v * s) for v in (48, 100, 150, 202, 253, 304)],
                            maxs=[round(v * s) for v in (100, 150, 202, 253, 304, 320)])
    open(f'{name}.py', 'w').write(text)


if __name__ == '__main__':
    root, nw = sys.argv[1], int(sys.argv[2])
    write('v1_base', root, nw)
    write('v2_lr06', root, nw, lr=0.06)
    write('v3_expand2', root, nw, expand=2)
    write('v4_res18half', root, nw, res18=32)
    write('v5_wd5e4', root, nw, wd=5e-4)
    write('v6_lr06_expand2_wd1e4', root, nw, lr=0.06, expand=2, wd=1e-4)
    write('v7_size256', root, nw, size=256)
