# LED for KITTI Car at 1920x576 (LED paper 3.2, Table 3 "LED (single)"): the
# KITTI SSD with LEDHead, trained in the three steps, each lr 1e-5 for 30k
# then 1e-6 for 30k iterations, in one tools/train.py call.
_base_ = [
    './ssd_vgg16_1920x576_180k_kitti-car.py', '../_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='LEDPhaseHook', phases={{_base_.led_phases}})
]
