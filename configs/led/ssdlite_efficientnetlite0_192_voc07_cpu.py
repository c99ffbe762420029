# CPU SSD baseline of the evidence benchmark: SSDLite on an ImageNet-pretrained
# EfficientNet-Lite0 at 192x192, fine-tuned on VOC2007 trainval and evaluated
# on VOC2007 test, with the same iterations and learning rates as its LED
# (ledlite_efficientnetlite0_192_voc07_cpu.py), like SSD300_240k is to LED300.
_base_ = [
    './_base_/models/ssdlite_efficientnetlite0.py',
    './_base_/datasets/voc07_cpu.py', './_base_/schedules/led_3step_cpu.py',
    'mmdet::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False,
        interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)
