# v7 with three times the learning rate (3e-3).
_base_ = './v7_adamw1e-3.py'
optim_wrapper = dict(optimizer=dict(lr=3e-3))
