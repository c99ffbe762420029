# CPU RetinaNet of the FPN-head comparison: RetinaNet on the pretrained
# EfficientNet-Lite0 + FPN (_base_/models/retinanet_efficientnetlite0_fpn_cpu)
# with the CPU SSD/LED recipe's data (VOC2007, 192x192), iterations and
# learning rates, so that it is to LED-RetinaNet what the CPU SSD is to the
# CPU LED. The FCOS, ATSS and GFL CPU configs inherit this one.
_base_ = [
    '../_base_/models/retinanet_efficientnetlite0_fpn_cpu.py',
    '../_base_/datasets/voc07_cpu.py', '../_base_/schedules/led_3step_cpu.py',
    '../_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False,
        interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)
