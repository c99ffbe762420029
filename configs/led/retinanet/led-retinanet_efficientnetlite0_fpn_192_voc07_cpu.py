# CPU LED-RetinaNet: the CPU RetinaNet with LEDRetinaHead (one type= change
# plus the LE keys, the LE module sized for its slim head), trained like the
# CPU LED: the detector alone, then detector and LE jointly, the LE module at
# 10x the LR.
_base_ = [
    './retinanet_efficientnetlite0_fpn_192_voc07_cpu.py',
    '../_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_retina_head_lite}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
optim_wrapper = dict(paramwise_cfg={{_base_.led_paramwise}})
