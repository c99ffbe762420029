# LED300 (the paper's full LED: RF, C2F, Sharp-L2, LE hard mining, Gaussian
# scoring) on ssd300_vgg16_scratch_voc07.py: from scratch on VOC2007
# trainval with the same iterations and learning rates as that SSD, LED's
# phases as the CPU recipe's (detector alone for 12 units, then LE and
# detector jointly). The GPU pair of `tools/benchmark.py --registry vgg16`.
_base_ = [
    './ssd300_vgg16_scratch_voc07.py', './_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
