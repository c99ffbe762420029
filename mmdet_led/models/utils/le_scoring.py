"""LE-based scoring of detections before NMS (LED paper, section 2.5)."""
from torch import Tensor

SCORE_MODES = ('gaussian', 'product', 'power', 'cls')


def derived_iou(iod: Tensor, iog: Tensor, eps: float = 1e-6) -> Tensor:
    """IoU' = IoD*IoG / (IoD + IoG - IoD*IoG) (paper eq. 3).

    With exact IoD = I/D and IoG = I/G this equals I/(D + G - I), the IoU.
    The denominator is zero only when IoD = IoG = 0, where IoU' is 0.
    """
    prod = iod * iog
    return prod / (iod + iog - prod).clamp(min=eps)


def loc_confidence(iou: Tensor,
                   iod: Tensor,
                   iog: Tensor,
                   lam: float = 0.6) -> Tensor:
    """conf_loc = lam * IoU + (1 - lam) * IoU', clamped to [0, 1]."""
    return (lam * iou + (1 - lam) * derived_iou(iod, iog)).clamp(0, 1)


def power_scores(cls_scores: Tensor, conf_loc: Tensor,
                 power: float) -> Tensor:
    """``cls ** (1 - power) * loc ** power``, IoU-aware RetinaNet's form.

    A weighted geometric mean: ``power`` 0 ranks by the class confidence
    alone, 1 by the loc confidence alone, 0.5 by ``sqrt(cls * loc)``.

    Args:
        cls_scores (Tensor): Classification confidence, e.g. (N, C).
        conf_loc (Tensor): Loc confidence broadcastable to ``cls_scores``.
        power (float): Exponent of the loc confidence, in [0, 1].

    Returns:
        Tensor: The combined confidence.
    """
    if not 0 <= power <= 1:
        raise ValueError(f'loc_power must be in [0, 1], got {power}')
    return cls_scores.pow(1 - power) * conf_loc.pow(power)


def combine_scores(cls_scores: Tensor,
                   conf_loc: Tensor,
                   mode: str = 'gaussian',
                   sigma: float = 1.0,
                   power: float = 0.5) -> Tensor:
    """Final confidence from class and loc confidences.

    Args:
        cls_scores (Tensor): Classification confidence, e.g. (N, C).
        conf_loc (Tensor): Loc confidence broadcastable to ``cls_scores``,
            e.g. (N, 1).
        mode (str): 'gaussian': ``cls * exp(-(1 - loc)**2 / sigma)``
            (LE-Gaussian, eq. 4); 'product': ``cls * loc`` (LE-Product);
            'power': ``cls ** (1 - power) * loc ** power``
            (:func:`power_scores`); 'cls': ``cls`` (the host's ranking).
        sigma (float): Width of the Gaussian penalty. Defaults to 1.0.
        power (float): Exponent of 'power'. Defaults to 0.5.

    Returns:
        Tensor: The confidence that thresholding, top-k and NMS rank by.
    """
    if mode == 'gaussian':
        return cls_scores * (-(1 - conf_loc).pow(2) / sigma).exp()
    if mode == 'product':
        return cls_scores * conf_loc
    if mode == 'power':
        return power_scores(cls_scores, conf_loc, power)
    if mode == 'cls':
        return cls_scores
    raise ValueError(f'score_mode must be one of {SCORE_MODES}, got {mode!r}')


def keep_above(scores: Tensor, cls_scores: Tensor, thr: float) -> Tensor:
    """``scores`` where ``cls_scores > thr``, -1 elsewhere.

    What ``scores.masked_fill(cls_scores <= thr, -1)`` gives (the class
    score threshold of ``score_thr_on='cls'``), in float arithmetic: on a
    CPU a comparison into a bool tensor and ``masked_fill`` took 94 + 187 us
    for RetinaNet's 6921 priors x 20 classes, these four float ops 117 us
    (2 threads). ``cls - thr`` is positive exactly when ``cls > thr``
    (finite floats), so ``keep`` is 1 there and 0 elsewhere.

    Args:
        scores (Tensor): The combined confidence, e.g. (N, C).
        cls_scores (Tensor): The class confidence, same shape.
        thr (float): The class score threshold.

    Returns:
        Tensor: ``scores`` with -1 where ``cls_scores <= thr``.
    """
    keep = (cls_scores - thr).sign().clamp(min=0)
    return scores * keep + (keep - 1)
