"""Seeds needed for a t-interval half-width or a paired t-test's power."""
import math

import pytest

from mmdet_led.evaluation.functional import (paired_t_power, sd_upper_bound,
                                             seeds_for_half_width,
                                             seeds_for_power, t_half_width)


def test_half_width_from_the_t_table():
    # t(0.975, 2) = 4.3027 and t(0.975, 3) = 3.1824 (any t table)
    assert t_half_width(1.0, 3) == pytest.approx(4.3027 / math.sqrt(3),
                                                 abs=1e-4)
    assert t_half_width(2.0, 4) == pytest.approx(2 * 3.1824 / 2, abs=1e-4)
    assert t_half_width(1.0, 3, level=0.9) == pytest.approx(
        2.9200 / math.sqrt(3), abs=1e-4)


def test_seeds_for_half_width_at_the_boundary():
    # n = 2: 12.706 / 1.414 = 8.98; n = 3: 2.484; n = 4: 1.591
    assert seeds_for_half_width(1.0, 2.5) == 3
    assert seeds_for_half_width(1.0, 2.48) == 4
    assert seeds_for_half_width(1.0, 9.0) == 2
    assert seeds_for_half_width(0.0, 0.1) == 2
    # scale-free: only sd / half_width matters
    assert seeds_for_half_width(0.3, 0.5) == seeds_for_half_width(3, 5)


def test_power_textbook_sample_sizes():
    """Cohen's one-sample / paired t-test tables, alpha 0.05 two-sided,
    power 0.8: 34 pairs for d = 0.5, 10 for d = 1."""
    assert seeds_for_power(1.0, 0.5) == 34
    assert seeds_for_power(1.0, 1.0) == 10
    assert seeds_for_power(2.0, -2.0) == 10


def test_power_is_the_test_size_at_no_effect_and_grows_with_seeds():
    assert paired_t_power(1.0, 0.0, 5) == pytest.approx(0.05)
    powers = [paired_t_power(1.0, 1.0, n) for n in range(2, 15)]
    assert all(a < b for a, b in zip(powers, powers[1:]))
    assert powers[8] >= 0.8 > powers[7]  # n = 10 and n = 9


def test_bad_arguments():
    with pytest.raises(ValueError):
        t_half_width(1.0, 1)
    with pytest.raises(ValueError):
        seeds_for_half_width(1.0, 0)
    with pytest.raises(ValueError):
        seeds_for_power(1.0, 0.0)


def test_sd_upper_bound_from_the_chi_square_table():
    # chi2(0.05, 2) = 0.1026: bound = sqrt(2 / 0.1026) = 4.415 x the SD
    assert sd_upper_bound(1.0, 3) == pytest.approx(math.sqrt(2 / 0.10259),
                                                   rel=1e-4)
    # chi2(0.20, 9) = 5.380
    assert sd_upper_bound(2.0, 10, level=0.8) == pytest.approx(
        2 * math.sqrt(9 / 5.3801), rel=1e-4)
    with pytest.raises(ValueError):
        sd_upper_bound(1.0, 1)
