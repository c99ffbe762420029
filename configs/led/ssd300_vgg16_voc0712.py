# SSD300 with the paper's settings (LED paper 3.1): 300x300 input, batch 28 on
# one device, SGD momentum 0.9, weight decay 5e-4, 120k iterations, lr 1e-3,
# 1e-4 from 80k, 1e-5 from 100k; VOC07+12 trainval, VOC 11-point mAP@0.5 on
# VOC2007 test. The backbone keeps MMDetection's ImageNet-pretrained VGG16
# init_cfg (tests and CPU runs override it with random init).
_base_ = 'mmdet::pascal_voc/ssd300_voc0712.py'
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

max_iters = 120000
# ValidatedVOCDataset: mmdet's VOCDataset with every box checked when the
# XML is read (a zero-width box would turn the model into NaN); its
# invalid_boxes='clip' or 'drop' instead of the default 'error' keeps going
# on a data set with broken boxes.
train_dataloader = dict(
    batch_size=28,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        times=1,
        dataset=dict(datasets=[
            dict(
                type='ValidatedVOCDataset',
                data_root={{_base_.data_root}},
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline={{_base_.train_pipeline}}) for year in (2007, 2012)
        ])))
val_dataloader = dict(dataset=dict(type='ValidatedVOCDataset'))
test_dataloader = val_dataloader
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=10000)
param_scheduler = [
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[80000, 100000],
        gamma=0.1)
]
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4))
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000, max_keep_ckpts=3),
    # stops at the first non-finite loss, before any checkpoint is written
    # (mmdet's CheckInvalidLossHook, dropped below, runs after CheckpointHook)
    non_finite_check=dict(type='NonFiniteCheckHook'))
custom_hooks = [dict(type='NumClassCheckHook')]
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=28)
