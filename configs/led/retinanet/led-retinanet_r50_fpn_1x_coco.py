# LED-RetinaNet R50-FPN 1x on COCO, for GPU users: MMDetection's own
# RetinaNet config (its plain twin, mmdet::retinanet/retinanet_r50_fpn_1x_coco)
# with type='LEDRetinaHead' and the LE keys. The LE module trains jointly with
# the detector from the first iteration (phase 'joint', no LEDPhaseHook), as
# IoU-aware RetinaNet trains its IoU branch; not yet run on a GPU.
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
    '../_base_/models/led_head.py'
]
custom_imports = dict(imports=['mmdet_led'], allow_failed_imports=False)

model = dict(
    bbox_head={{_base_.led_retina_head}},
    train_cfg={{_base_.led_train_cfg}},
    test_cfg={{_base_.led_test_cfg}})
# stops at the first non-finite loss, before any checkpoint is written (what
# ../_base_/default_runtime.py adds; mmdet's runtime is a base here already)
default_hooks = dict(non_finite_check=dict(type='NonFiniteCheckHook'))
