"""Features at a predicted box's points, on maps whose values say where
they were read."""
import torch

from mmdet_led.models.utils.box_sampling import (NUM_BOX_POINTS, box_points,
                                                 box_point_features)


def test_box_points_row_by_row():
    points = box_points(torch.tensor([[0., 10., 4., 20.]]))
    assert points.shape == (1, NUM_BOX_POINTS, 2)
    assert points[0].tolist() == [[0, 10], [2, 10], [4, 10], [0, 15],
                                  [2, 15], [4, 15], [0, 20], [2, 20],
                                  [4, 20]]


def xy_map():
    """(1, 2, 3, 4) map: channel 0 holds x, channel 1 holds y."""
    ys, xs = torch.meshgrid(torch.arange(3.), torch.arange(4.),
                            indexing='ij')
    return torch.stack([xs, ys])[None]


def test_points_read_where_the_box_lies():
    # stride (8, 8), location (0, 0) at pixel (4, 4): pixel p is map
    # coordinate (p - 4) / 8. Location (1, 1)'s box (4, 4)-(20, 12) has x
    # at 0, 1, 2 and y at 0, 0.5, 1 on the map: bilinear reads of x and y.
    boxes = torch.zeros(1, 12, 4)
    boxes[0, 5] = torch.tensor([4., 4., 20., 12.])
    out = box_point_features(xy_map(), boxes, (8., 8.), (4., 4.))
    assert out.shape == (1, 2 * NUM_BOX_POINTS, 3, 4)
    read = out[0, :, 1, 1].reshape(NUM_BOX_POINTS, 2)
    torch.testing.assert_close(
        read,
        torch.tensor([[0., 0.], [1., 0.], [2., 0.], [0., .5], [1., .5],
                      [2., .5], [0., 1.], [1., 1.], [2., 1.]]))


def test_zero_outside_the_map():
    # a box over the right edge (stride 1, origin 0): x = 3 is the last
    # column, x = 3.5 reads half of it and half of the zero padding, x = 4
    # only padding
    boxes = torch.zeros(1, 12, 4)
    boxes[0, 0] = torch.tensor([3., 0., 4., 0.])
    out = box_point_features(xy_map(), boxes, (1., 1.))
    read = out[0, :, 0, 0].reshape(NUM_BOX_POINTS, 2)
    torch.testing.assert_close(read[:3, 0], torch.tensor([3., 1.5, 0.]))
