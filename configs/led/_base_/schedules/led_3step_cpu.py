# The paper's three-step schedule scaled down for CPU training from scratch:
# same 120:40:80 step lengths and the same relative learning rates
# (1 : 0.1 : 0.01) in units of `unit` iterations (the paper's unit is 10k),
# a higher base lr for the BN model, and a linear warm-up.
unit = 20
max_iters = 24 * unit
base_lr = 0.03
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=4e-5))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=2 * unit),
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        begin=2 * unit,
        milestones=[m * unit for m in (8, 10, 12, 14, 16, 20)],
        values=[
            base_lr * f for f in (1, 0.1, 0.01, 0.1, 0.01, 0.1, 0.01)
        ])
]
led_phases = [
    dict(name='det', end=12 * unit),
    dict(name='le', end=16 * unit),
    dict(name='joint', end=24 * unit)
]
