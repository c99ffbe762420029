# LED300, the paper's main VOC model (LED paper Table 1, Table 2 last row):
# SSD300-VGG16 + LE module (richer features, coarse-to-fine, Sharp-L2,
# LE hard mining), LE-Gaussian scoring (lambda 0.6, sigma 1), trained in
# three steps over 240k iterations in one `tools/train.py` call.
_base_ = './ssd300_vgg16_240k_voc0712.py'

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
# LE parameters get no gradient in step 1, frozen ones none in step 2.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
