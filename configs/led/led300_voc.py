# LED300 on VOC07+12, by its short name: the paper's main VOC model, an alias
# of led300_vgg16_voc0712.py (SSD300-VGG16 + LE module, three steps over 240k
# iterations; VOC 11-point mAP@0.5 on VOC2007 test).
#   python tools/train.py configs/led/led300_voc.py
_base_ = './led300_vgg16_voc0712.py'
