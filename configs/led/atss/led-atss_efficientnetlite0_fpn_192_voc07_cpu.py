# CPU LED-ATSS: the CPU ATSS with LEDATSSHead (one type= change plus the LE
# keys, the LE module sized for its slim head), trained like the CPU LED;
# ATSS's centerness is kept and multiplied in after the LE-ranked top-k
# (test_cfg.centerness='combine').
_base_ = [
    './atss_efficientnetlite0_fpn_192_voc07_cpu.py',
    '../_base_/models/led_head.py'
]

model = dict(
    bbox_head={{_base_.led_atss_head_lite}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
custom_hooks = [dict(type='LEDPhaseHook', phases={{_base_.led_phases}})]
optim_wrapper = dict(paramwise_cfg={{_base_.led_paramwise}})
