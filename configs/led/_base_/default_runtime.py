# MMDetection's default runtime plus mmdet-led's NonFiniteCheckHook: training
# stops at the first iteration whose loss is NaN or infinite (on any rank),
# naming the iteration, the loss terms and the batch's images, and no
# checkpoint with non-finite weights is ever written or named by
# last_checkpoint. It sits in default_hooks (a dict, merged by every config
# that inherits this file) rather than in custom_hooks (a list, replaced by
# any config that sets its own).
_base_ = 'mmdet::_base_/default_runtime.py'

default_hooks = dict(non_finite_check=dict(type='NonFiniteCheckHook'))
