# The paper's three-step schedule scaled down for CPU training (the CPU
# configs start from ImageNet backbone weights, every head layer from random
# ones): the same 120:40:80 step lengths in units of `unit` iterations (the
# paper's unit is 10k) and the same relative learning rate at the start of
# each step (1 : 0.1 : 0.1). Two departures for the CPU, both chosen on
# VOC2007 train -> val (evidence in benchmarks/HISTORY.md): AdamW
# instead of SGD, because SGD at lr 0.03-0.06 left the classifier near chance
# even on the training images; and within a step a cosine to zero instead of
# the paper's x0.1 drops. A linear warm-up over the first unit.
# unit 48 = 1152 iterations at batch 16 (~16 epochs of VOC2007 trainval), the
# evidence benchmark's length (tools/benchmark.py UNIT): long enough for the
# LE module to pay off (at unit 32 LED trailed SSD on VOC2007 val).
unit = 48
max_iters = 24 * unit
base_lr = 1e-3
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=base_lr, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
        end=unit),
    dict(
        type='CosineRestartLR',
        by_epoch=False,
        begin=unit,
        end=max_iters,
        periods=[11 * unit, 4 * unit, 8 * unit],
        restart_weights=[1, 0.1, 0.1],
        eta_min=0)
]
# LED's phases: step 1 (detector only) for 12 units, then LE and detector
# trained jointly to the end, a third departure: on VOC2007 train -> val,
# joint training from the end of step 1 beat the paper's LE-only step 2
# (detector frozen for 4 units) in mAP@0.5 and AP@0.7. The paper's three
# phases are `led_3step_phases`:
#   custom_hooks = [dict(type='LEDPhaseHook',
#                        phases={{_base_.led_3step_phases}})]
# The LR keeps its restarts at 12 and 16 units, so SSD and LED share it.
led_phases = [
    dict(name='det', end=12 * unit),
    dict(name='joint', end=24 * unit)
]
led_3step_phases = [
    dict(name='det', end=12 * unit),
    dict(name='le', end=16 * unit),
    dict(name='joint', end=24 * unit)
]
# The LE module at 10x the LR (lr_mult), a fourth departure: it starts from
# random weights when the joint phase begins, at the 0.1x restart, and at
# the base LR its losses were still falling at the end of training; on
# VOC2007 train -> val, 10x raised AP@0.7 without lowering mAP@0.5.
# paramwise_cfg reaches no parameter of the SSD, so LED's step 1 stays SSD's.
# Use as optim_wrapper = dict(paramwise_cfg={{_base_.led_paramwise}}).
led_paramwise = dict(custom_keys={'bbox_head.le_module': dict(lr_mult=10.0)})
