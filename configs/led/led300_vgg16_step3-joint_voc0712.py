# LED300 step 3 alone: everything trainable, L = L_cls + L_reg + L_LE / 3;
# lr 1e-4 for 40k then 1e-5 for 40k iterations, from step 2's checkpoint:
#   tools/train.py configs/led/led300_vgg16_step3-joint_voc0712.py \
#       --cfg-options load_from=work_dirs/led300_vgg16_step2-le_voc0712/iter_40000.pth
_base_ = './led300_vgg16_voc0712.py'

load_from = 'work_dirs/led300_vgg16_step2-le_voc0712/iter_40000.pth'
train_cfg = dict(max_iters=80000)
param_scheduler = [
    dict(
        type='PiecewiseConstantLR',
        by_epoch=False,
        milestones=[40000],
        values=[1e-4, 1e-5])
]
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='LEDPhaseHook', phases=[dict(name='joint', end=80000)])
]
