# FCOS R50-FPN 1x on VOC0712, the plain twin of LED-FCOS on VOC (MMDetection
# ships no VOC FCOS): the data and schedule of mmdet's VOC RetinaNet
# (mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712) with the model, warm-up
# and optimizer settings of mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.
_base_ = 'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py'

model = dict(
    type='FCOS',
    data_preprocessor=dict(
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False),
    backbone=dict(
        norm_cfg=dict(type='BN', requires_grad=False),
        style='caffe',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron/resnet50_caffe')),
    neck=dict(add_extra_convs='on_output', relu_before_extra_convs=True),
    bbox_head=dict(
        _delete_=True,
        type='FCOSHead',
        num_classes=20,
        in_channels=256,
        stacked_convs=4,
        feat_channels=256,
        strides=[8, 16, 32, 64, 128]),
    train_cfg=dict(_delete_=True))
param_scheduler = [
    dict(type='ConstantLR', factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end={{_base_.max_epochs}},
        by_epoch=True,
        milestones=[3],
        gamma=0.1)
]
optim_wrapper = dict(
    paramwise_cfg=dict(bias_lr_mult=2., bias_decay_mult=0.),
    clip_grad=dict(max_norm=35, norm_type=2))
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)
# stops at the first non-finite loss, before any checkpoint is written (what
# ../_base_/default_runtime.py adds; mmdet's runtime is a base here already)
default_hooks = dict(non_finite_check=dict(type='NonFiniteCheckHook'))
