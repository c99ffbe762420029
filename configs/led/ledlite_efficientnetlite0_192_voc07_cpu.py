# CPU LED of the evidence benchmark and `make demo`: the pretrained
# EfficientNet-Lite0 SSDLite baseline with LEDHead (LE convs depthwise-
# separable with BN + ReLU6, like the head), on the paper's step lengths
# scaled down (_base_/schedules/led_3step_cpu.py): the detector alone, then
# detector and LE jointly, the LE module at 10x the LR.
_base_ = [
    './ssdlite_efficientnetlite0_192_voc07_cpu.py',
    './_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
optim_wrapper = dict(paramwise_cfg={{_base_.led_paramwise}})
