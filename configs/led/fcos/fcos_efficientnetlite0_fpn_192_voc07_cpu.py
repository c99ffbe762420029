# CPU FCOS of the FPN-head comparison: the CPU RetinaNet's backbone, FPN,
# tower size, data and schedule with FCOS's head (FCOSHead's defaults: focal
# loss, IoU loss, centerness, GN; mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_
# coco.py) and FCOS's extra FPN levels (P6 from P5, ReLU before).
_base_ = '../retinanet/retinanet_efficientnetlite0_fpn_192_voc07_cpu.py'

model = dict(
    type='FCOS',
    neck=dict(add_extra_convs='on_output', relu_before_extra_convs=True),
    bbox_head=dict(
        _delete_=True,
        type='FCOSHead',
        num_classes=20,
        in_channels={{_base_.fpn_channels}},
        feat_channels={{_base_.fpn_channels}},
        stacked_convs=2,
        strides=[8, 16, 32, 64, 128]),
    train_cfg=dict(_delete_=True))
