# LED-FCOS R50-FPN 1x on COCO, for GPU users: MMDetection's own FCOS config
# (its plain twin, mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco) with
# type='LEDFCOSHead' and the LE keys; FCOS's centerness is kept and multiplied
# in after the LE-ranked top-k (test_cfg.centerness='combine'). Trained
# jointly from the start as in led-retinanet_r50_fpn_1x_coco.py; not yet run
# on a GPU.
_base_ = [
    'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
    '../_base_/models/led_head.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

model = dict(
    bbox_head={{_base_.led_fcos_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
# stops at the first non-finite loss, before any checkpoint is written (what
# ../_base_/default_runtime.py adds; mmdet's runtime is a base here already)
default_hooks = dict(non_finite_check=dict(type='NonFiniteCheckHook'))
