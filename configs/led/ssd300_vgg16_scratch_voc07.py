# SSD300-VGG16 (the paper's model) trained from scratch on VOC2007 trainval
# on a GPU, for the evidence benchmark's VGG16 pair
# (`tools/benchmark.py --registry vgg16`; its LED is
# led300_vgg16_scratch_voc07.py). No ImageNet weights can be obtained on the
# benchmark machines, so the backbone starts from MMDetection's Kaiming init
# (init_cfg=None); otherwise the model is ssd300_vgg16_voc0712.py's. The
# schedule is the CPU recipe's unit-based one (_base_/schedules/
# led_3step_cpu.py: AdamW, warm-up, cosine steps 12:4:8 units; the benchmark
# sets `unit` to what the GPU time allows) at batch 32 and a lower peak lr,
# 2e-4, for a VGG without BatchNorm; gradients clipped at norm 10 against
# the early spikes of training from scratch.
_base_ = [
    'mmdet::_base_/models/ssd300.py', './_base_/datasets/voc07_300.py',
    './_base_/schedules/led_3step_cpu.py', './_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

model = dict(
    backbone=dict(init_cfg=None),
    bbox_head=dict(
        num_classes=20,
        anchor_generator=dict(basesize_ratio_range=(0.2, 0.9))))
train_dataloader = dict(batch_size=32, num_workers=12)
val_dataloader = dict(batch_size=32, num_workers=8)
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=2e-4), clip_grad=dict(max_norm=10, norm_type=2))
env_cfg = dict(cudnn_benchmark=True)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False,
        interval={{_base_.max_iters}}))
log_processor = dict(by_epoch=False)
auto_scale_lr = dict(enable=False, base_batch_size=32)
