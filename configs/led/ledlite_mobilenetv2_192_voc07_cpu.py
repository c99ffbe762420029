# CPU-sized LED on MobileNetV2: the SSDLite-MobileNetV2 192x192 baseline with
# LEDHead (its LE convs depthwise-separable with BN + ReLU6, like the head),
# trained in the CPU recipe's phases (_base_/schedules/led_3step_cpu.py).
# Used by the tests; `make demo` trains the EfficientNet-Lite0 pair.
_base_ = [
    './ssdlite_mobilenetv2_192_voc07_cpu.py', './_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
