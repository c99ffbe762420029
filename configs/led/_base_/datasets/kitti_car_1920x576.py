# KITTI object benchmark, 2D Car boxes, images resized to 1920x576 (w x h).
# Layout (official): data/kitti/training/{image_2,label_2}/<id>.{png,txt} and
# the id lists data/kitti/ImageSets/{train,val}.txt written by
# tools/kitti_split.py (or a published split passed to it).
# Ground truth for the metric: KittiDataset keeps every label line of an
# image (with truncation/occlusion) in `kitti_annos`, which PackDetInputs
# passes on as a meta key; KittiMetric applies the official difficulty rules
# and reports AP|R40 and AP|R11 for easy/moderate/hard.
# DontCare regions and Vans are loaded as ignored instances
# (data_sample.ignored_instances), as the official evaluation ignores them.
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

dataset_type = 'KittiDataset'
data_root = 'data/kitti/'
classes = ('Car', )
img_scale = (1920, 576)  # (w, h)
img_mean = [123.675, 116.28, 103.53]
backend_args = None

# SSD's augmentation (Liu et al. 2016): zoom out, IoU-constrained crop,
# resize, flip, photometric distortion.
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Expand', mean=img_mean, to_rgb=True, ratio_range=(1, 4)),
    dict(
        type='MinIoURandomCrop',
        min_ious=(0.1, 0.3, 0.5, 0.7, 0.9),
        min_crop_size=0.3),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor', 'kitti_annos'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/train.txt',
        data_prefix=dict(img='training/image_2', ann='training/label_2'),
        metainfo=dict(classes=classes),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/val.txt',
        data_prefix=dict(img='training/image_2', ann='training/label_2'),
        metainfo=dict(classes=classes),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
# outfile_prefix='work_dirs/kitti_results' also writes KITTI result files,
# to be re-evaluated with tools/eval_kitti.py or the official devkit.
val_evaluator = dict(type='KittiMetric')
test_evaluator = val_evaluator
