# SSD300_240k (LED paper Table 2, last row): SSD trained for the same 240k
# iterations and learning rates as LED300's three steps, without any LE part,
# so that LED's gain is not just longer training. LED300 inherits this file.
#   step 1 'det'  (SSD only):             1e-3 80k, 1e-4 20k, 1e-5 20k
#   step 2 'le'   (LE only, rest frozen): 1e-4 20k, 1e-5 20k
#   step 3 'joint' (all, joint loss):     1e-4 40k, 1e-5 40k
_base_ = './ssd300_vgg16_voc0712.py'

max_iters = 240000
train_cfg = dict(max_iters=max_iters)
param_scheduler = [
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        milestones=[80000, 100000, 120000, 140000, 160000, 200000],
        values=[1e-3, 1e-4, 1e-5, 1e-4, 1e-5, 1e-4, 1e-5])
]
led_phases = [
    dict(name='det', end=120000),
    dict(name='le', end=160000),
    dict(name='joint', end=240000)
]
