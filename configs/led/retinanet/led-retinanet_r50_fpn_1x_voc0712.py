# LED-RetinaNet R50-FPN 1x on VOC0712, for GPU users: MMDetection's VOC
# RetinaNet (its plain twin, mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712)
# with type='LEDRetinaHead' and the LE keys, trained jointly from the start
# as in led-retinanet_r50_fpn_1x_coco.py; not yet run on a GPU.
_base_ = [
    'mmdet::pascal_voc/retinanet_r50_fpn_1x_voc0712.py',
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
