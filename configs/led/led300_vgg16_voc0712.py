# LED300, the paper's main VOC model (LED paper Table 1, Table 2 last row):
# SSD300-VGG16 + LE module (richer features, coarse-to-fine, Sharp-L2,
# LE hard mining), LE-Gaussian scoring (lambda 0.6, sigma 1), trained in
# three steps over 240k iterations in one `tools/train.py` call.
_base_ = [
    './ssd300_vgg16_240k_voc0712.py', './_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='LEDPhaseHook', phases={{_base_.led_phases}})
]
