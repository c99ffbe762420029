# LED300 step 2 alone (for training step by step): LE module only, everything
# else frozen, L = L_LE; lr 1e-4 for 20k then 1e-5 for 20k iterations.
# Step 1 is configs/led/ssd300_vgg16_voc0712.py (plain SSD300, 120k); start
# from its final checkpoint:
#   tools/train.py configs/led/led300_vgg16_step2-le_voc0712.py \
#       --cfg-options load_from=work_dirs/ssd300_vgg16_voc0712/iter_120000.pth
# (the LE module, absent from an SSD checkpoint, starts from its init).
_base_ = './led300_vgg16_voc0712.py'

load_from = 'work_dirs/ssd300_vgg16_voc0712/iter_120000.pth'
train_cfg = dict(max_iters=40000)
param_scheduler = [
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        milestones=[20000],
        values=[1e-4, 1e-5])
]
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='LEDPhaseHook', phases=[dict(name='le', end=40000)])
]
