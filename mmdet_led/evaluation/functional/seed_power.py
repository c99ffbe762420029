"""How many paired training seeds resolve a given difference.

With n paired runs (seed s of model A against seed s of model B) whose
differences have standard deviation ``sd``, the mean difference has the
two-sided t-interval ``mean +- t(1 - alpha/2, n - 1) * sd / sqrt(n)``.
:func:`seeds_for_half_width` is the smallest n whose half-width is below a
given effect (an effect of that size then excludes 0);
:func:`seeds_for_power` the smallest n at which the paired t-test detects
an effect of that size with the given power (noncentral t);
:func:`sd_upper_bound` a conservative SD to plan with when it was
estimated from few seeds.
"""
import math

from scipy import stats

#: No search goes beyond this many seeds.
MAX_SEEDS = 100000


def t_half_width(sd: float, num_seeds: int, level: float = 0.95) -> float:
    """Half-width of the two-sided t-interval of a mean of ``num_seeds``
    paired differences with standard deviation ``sd``."""
    if num_seeds < 2:
        raise ValueError(f'a t-interval needs >= 2 seeds, got {num_seeds}')
    crit = stats.t.ppf(0.5 + level / 2, num_seeds - 1)
    return float(crit * sd / math.sqrt(num_seeds))


def paired_t_power(sd: float,
                   effect: float,
                   num_seeds: int,
                   level: float = 0.95) -> float:
    """Power of the two-sided paired t-test at ``1 - level`` to find a true
    mean difference ``effect`` with ``num_seeds`` pairs of SD ``sd``."""
    if num_seeds < 2:
        raise ValueError(f'a t-test needs >= 2 seeds, got {num_seeds}')
    df = num_seeds - 1
    crit = stats.t.ppf(0.5 + level / 2, df)
    if sd == 0:
        return 1.0 if effect != 0 else 1.0 - level
    nc = effect * math.sqrt(num_seeds) / sd
    # P(T > crit) + P(T < -crit); the lower tail as the upper tail of -T,
    # which scipy evaluates without NaN far out in the tail
    tails = [float(stats.nct.sf(crit, df, x)) for x in (nc, -nc)]
    return sum(0.0 if math.isnan(p) else p for p in tails)


def sd_upper_bound(sd: float, num_seeds: int, level: float = 0.95) -> float:
    """One-sided ``level`` upper confidence bound of a normal standard
    deviation estimated as ``sd`` from ``num_seeds`` values (chi-square with
    ``num_seeds - 1`` degrees of freedom).

    A handful of seeds estimates the SD poorly (from 3, the 95% bound is
    4.4 times the estimate); planning with the bound errs towards enough.
    """
    if num_seeds < 2:
        raise ValueError(f'an SD needs >= 2 seeds, got {num_seeds}')
    df = num_seeds - 1
    return float(sd * math.sqrt(df / stats.chi2.ppf(1 - level, df)))


def _smallest(ok, what: str) -> int:
    for n in range(2, MAX_SEEDS + 1):
        if ok(n):
            return n
    raise ValueError(f'more than {MAX_SEEDS} seeds needed for {what}')


def seeds_for_half_width(sd: float,
                         half_width: float,
                         level: float = 0.95) -> int:
    """Smallest number of paired seeds (>= 2) whose two-sided t-interval
    half-width is below ``half_width``.

    Args:
        sd (float): Standard deviation of the per-seed paired differences.
        half_width (float): The largest acceptable half-width, e.g. the
            effect to resolve, in the units of ``sd``.
        level (float): Interval level. Defaults to 0.95.

    Returns:
        int: The number of seeds.
    """
    if half_width <= 0 or sd < 0:
        raise ValueError(f'need half_width > 0 and sd >= 0, got '
                         f'{half_width} and {sd}')
    return _smallest(lambda n: t_half_width(sd, n, level) < half_width,
                     f'a half-width of {half_width}')


def seeds_for_power(sd: float,
                    effect: float,
                    power: float = 0.8,
                    level: float = 0.95) -> int:
    """Smallest number of paired seeds (>= 2) at which the two-sided paired
    t-test at ``1 - level`` detects ``effect`` with at least ``power``.

    Args:
        sd (float): Standard deviation of the per-seed paired differences.
        effect (float): True mean difference to detect (units of ``sd``).
        power (float): Required power. Defaults to 0.8.
        level (float): ``1 - alpha``. Defaults to 0.95.

    Returns:
        int: The number of seeds.
    """
    if effect == 0 or sd < 0 or not 0 < power < 1:
        raise ValueError(f'need effect != 0, sd >= 0, 0 < power < 1; got '
                         f'{effect}, {sd}, {power}')
    return _smallest(lambda n: paired_t_power(sd, effect, n, level) >= power,
                     f'power {power} at effect {effect}')
