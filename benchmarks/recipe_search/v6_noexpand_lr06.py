# v5 with twice the learning rate (0.06) and weight decay 1e-4.
_base_ = './v5_noexpand_cosine.py'
optim_wrapper = dict(optimizer=dict(lr=0.06, weight_decay=1e-4))
