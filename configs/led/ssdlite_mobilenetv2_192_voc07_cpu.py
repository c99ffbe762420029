# CPU-sized SSD baseline: SSDLite-MobileNetV2 at 192x192 from scratch on
# VOC2007 trainval, evaluated on VOC2007 test. Same total iterations as the
# CPU LED recipe (ledlite_mobilenetv2_192_voc07_cpu.py) for a fair comparison.
_base_ = [
    './_base_/models/ssdlite_mobilenetv2_cpu.py',
    './_base_/datasets/voc07_cpu.py', 'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

max_iters = 480
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[320, 400],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)
