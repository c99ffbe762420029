# CPU LED-FCOS: the CPU FCOS with LEDFCOSHead (one type= change plus the LE
# keys, the LE module sized for its slim head), trained like the CPU LED: the
# detector alone, then detector and LE jointly, the LE module at 10x the LR.
# FCOS's centerness stays and is multiplied in after the LE-ranked top-k
# (test_cfg.centerness='combine').
_base_ = [
    './fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
    '../_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_fcos_head_lite}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
optim_wrapper = dict(paramwise_cfg={{_base_.led_paramwise}})
