# CPU-sized SSD baseline: SSDLite-MobileNetV2 at 192x192 from scratch on
# VOC2007 trainval, evaluated on VOC2007 test. Same iterations and learning
# rates as the CPU LED recipe (ledlite_mobilenetv2_192_voc07_cpu.py), like
# SSD300_240k is to LED300.
_base_ = [
    './_base_/models/ssdlite_mobilenetv2_cpu.py',
    './_base_/datasets/voc07_cpu.py', './_base_/schedules/led_3step_cpu.py',
    './_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False,
        interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=16)
