# LED ensemble for KITTI Car (LED paper Table 3 "LED (ensemble)"): multi-scale
# and horizontal-flip testing through MMDetection's DetTTAModel; the
# augmented detections are merged by NMS on LED's LE-based scores.
# Use: tools/test.py <this config> <checkpoint> --tta
# The anchors keep their 1920x576 strides; at the other scales the feature
# maps are larger or smaller and the anchor grid is generated for them.
_base_ = './led_vgg16_1920x576_180k_kitti-car.py'

tta_scales = [(1600, 480), (1920, 576), (2240, 672)]
tta_model = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.45), max_per_img=200))
tta_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=s, keep_ratio=False)
             for s in tta_scales],
            [
                dict(type='RandomFlip', prob=1.),
                dict(type='RandomFlip', prob=0.)
            ],
            [dict(type='LoadAnnotations', with_bbox=True)],
            [
                dict(
                    type='PackDetInputs',
                    meta_keys=('img_id', 'img_path', 'ori_shape',
                               'img_shape', 'scale_factor', 'flip',
                               'flip_direction', 'kitti_annos'))
            ]
        ])
]
