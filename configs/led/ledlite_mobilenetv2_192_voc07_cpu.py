# CPU-sized LED: the SSDLite-MobileNetV2 192x192 baseline with LEDHead,
# trained in the paper's three steps (scaled down, see
# _base_/schedules/led_3step_cpu.py). Used by `make demo` and the tests.
_base_ = './ssdlite_mobilenetv2_192_voc07_cpu.py'

model = dict(
    bbox_head=dict(
        type='LEDHead',
        le_module=dict(
            type='LEModule',
            richer_features=True,
            coarse_to_fine=True,
            branch_channels=32,
            context_channels=32,
            feat_channels=64,
            norm_cfg={{_base_.norm_cfg}},
            act_cfg=dict(type='ReLU6')),
        loss_le_coarse=dict(type='CrossEntropyLoss', loss_weight=1.0),
        loss_le_fine=dict(type='SharpL2Loss', loss_weight=1.0),
        alpha=1.0,
        beta=1 / 3),
    train_cfg=dict(le_mining=dict(ratios=(3, 1, 1, 1), min_per_range=16)),
    test_cfg=dict(score_mode='gaussian', loc_lambda=0.6, loc_sigma=1.0))
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
