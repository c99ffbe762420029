# LED for KITTI Car at 1920x576 (LED paper 3.2, Table 3 "LED (single)"): the
# KITTI SSD with LEDHead, trained in the three steps, each lr 1e-5 for 30k
# then 1e-6 for 30k iterations, in one tools/train.py call.
_base_ = './ssd_vgg16_1920x576_180k_kitti-car.py'

model = dict(
    bbox_head=dict(
        type='LEDHead',
        le_module=dict(
            type='LEModule',
            richer_features=True,
            coarse_to_fine=True,
            branch_channels=32,
            context_channels=32,
            context_dilation=2,
            feat_channels=64),
        loss_le_coarse=dict(type='CrossEntropyLoss', loss_weight=1.0),
        loss_le_fine=dict(type='SharpL2Loss', sharp=True, loss_weight=1.0),
        alpha=1.0,
        beta=1 / 3),
    train_cfg=dict(le_mining=dict(ratios=(3, 1, 1, 1), min_per_range=16)),
    test_cfg=dict(score_mode='gaussian', loc_lambda=0.6, loc_sigma=1.0))
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='LEDPhaseHook', phases={{_base_.led_phases}})
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
