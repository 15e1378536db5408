"""How different two images look: 1 − SSIM on luma, in NumPy only (no weights, no torch).

SSIM (Wang, Bovik, Sheikh and Simoncelli, 2004) as in the authors' reference code: an 11-tap
Gaussian window with σ = 1.5, K1 = 0.01, K2 = 0.03 on 8-bit values, after averaging the image
down so that its shorter side is about 256 pixels (SSIM is meant for viewing-distance detail,
not pixel noise). Deterministic: the same pixels always give the same number.
"""

from __future__ import annotations

import numpy as np

WINDOW, SIGMA = 11, 1.5
K1, K2, PEAK = 0.01, 0.03, 255.0
VIEWING_SIDE = 256  # the reference code's downsampling target for the shorter side


def image_difference(image: np.ndarray, reference: np.ndarray) -> float:
    """1 − SSIM of two 8-bit RGB (or grey) images of the same size: 0 for identical images, larger the further apart."""
    if image.shape != reference.shape:
        raise ValueError(f"images must have the same size to be compared, got {image.shape} and {reference.shape}")
    return max(0.0, 1.0 - ssim(luma(image), luma(reference)))


def luma(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma (what MATLAB's rgb2gray, used by the SSIM reference code, computes) as float64."""
    values = np.asarray(image, dtype=np.float64)
    if values.ndim == 2:
        return values
    return values[..., :3] @ np.array([0.299, 0.587, 0.114])


def ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Mean structural similarity of two grey images (float, 0-255), 1 when they are identical."""
    factor = max(1, round(min(x.shape) / VIEWING_SIDE))
    x, y = _average_down(x, factor), _average_down(y, factor)
    size = min(WINDOW, *x.shape)
    size -= 1 - size % 2  # an odd window that fits a very small image
    kernel = _gaussian(size, SIGMA)
    blur = lambda image: _filter(image, kernel)  # noqa: E731
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x * mu_x
    var_y = blur(y * y) - mu_y * mu_y
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (K1 * PEAK) ** 2, (K2 * PEAK) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x * mu_x + mu_y * mu_y + c1) * (var_x + var_y + c2))
    return float(index.mean())


def _average_down(image: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return image
    height, width = (image.shape[0] // factor) * factor, (image.shape[1] // factor) * factor
    blocks = image[:height, :width].reshape(height // factor, factor, width // factor, factor)
    return blocks.mean(axis=(1, 3))


def _gaussian(size: int, sigma: float) -> np.ndarray:
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    weights = np.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def _filter(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable filtering over the positions where the whole window fits ('valid', as the reference code)."""
    size = len(kernel)
    rows = np.lib.stride_tricks.sliding_window_view(image, size, axis=1) @ kernel
    return np.lib.stride_tricks.sliding_window_view(rows, size, axis=0) @ kernel
