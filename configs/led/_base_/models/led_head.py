# The LED parts shared by every LED config: the LE module (richer features,
# coarse-to-fine), Sharp-L2, LE hard mining (LocQualitySampler) and
# LE-Gaussian scoring (LED paper 2.3-2.5), on SSD (led_head) or on
# MMDetection's FPN heads (led_retina_head, led_fcos_head, led_atss_head).
# Use as
#   model = dict(bbox_head={{_base_.led_head}},
#                train_cfg={{_base_.led_train_cfg}},
#                test_cfg={{_base_.led_test_cfg}})
# The LE convs take the head's use_depthwise/norm_cfg/act_cfg.
le_keys = dict(
    le_module=dict(
        type='LEModule',
        richer_features=True,
        coarse_to_fine=True,
        branch_channels=32,
        context_channels=32,
        context_dilation=2,
        feat_channels=64),
    loss_le_coarse=dict(type='CrossEntropyLoss', loss_weight=1.0),
    loss_le_fine=dict(type='SharpL2Loss', sharp=True, loss_weight=1.0),
    alpha=1.0,
    beta=1 / 3)
led_head = dict(type='LEDHead', **le_keys)
# RetinaNet's towers have no normalization, so its LE convs get GroupNorm:
# without it a freshly initialized LE module reads their raw features and
# starts with Sharp-L2 fine losses of 120-170 (CPU LED-RetinaNet at the start
# of its joint phase; 0.3-0.4 with GroupNorm), whose gradients through the
# shared towers set the detector back.
led_retina_head = dict(
    type='LEDRetinaHead',
    **dict(
        le_keys,
        le_module=dict(
            le_keys['le_module'],
            norm_cfg=dict(type='GN', num_groups=32, requires_grad=True))))
led_fcos_head = dict(type='LEDFCOSHead', **le_keys)
led_atss_head = dict(type='LEDATSSHead', **le_keys)
# The LE module sized for slim FPN heads (the CPU configs' 64-channel, 2-conv
# towers over five levels), where the paper's widths cost 14-28% of the
# detector's arithmetic (RetinaNet's 3x3 prediction conv, 9 anchors x 3
# qualities x 8 values, is two thirds of it): 16-channel RF branches and a
# 1x1 prediction conv bring it to 6-7% (LE cost benchmark). Its convs use
# GroupNorm with 16 groups on every head (32 do not divide 16 channels).
le_module_lite = dict(
    le_keys['le_module'],
    branch_channels=16,
    context_channels=16,
    pred_kernel_size=1,
    norm_cfg=dict(type='GN', num_groups=16, requires_grad=True))
led_retina_head_lite = dict(led_retina_head, le_module=le_module_lite)
led_fcos_head_lite = dict(led_retina_head_lite, type='LEDFCOSHead')
led_atss_head_lite = dict(led_retina_head_lite, type='LEDATSSHead')
led_train_cfg = dict(
    le_sampler=dict(
        type='LocQualitySampler', ratios=(3, 1, 1, 1), min_per_range=16))
# score_thr compares with the class confidence, so LE ranking re-orders the
# same candidates cls ranking keeps (chosen on VOC2007 val: with the
# threshold on the combined confidence, product and sharp gaussians lose
# their low-score tail).
led_test_cfg = dict(
    score_mode='gaussian', loc_lambda=0.6, loc_sigma=1.0, score_thr_on='cls')
# Distributed training (DDP): the LE module gets no gradient in the 'det'
# phase and everything outside it none in 'le', so DDP must look for unused
# parameters; a static graph cannot serve three phases that use different
# parameter sets.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
