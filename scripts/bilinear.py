"""Half-pixel-centre bilinear resize in float32, as Tests/Fixtures/tfjs/reference.json describes.

Equals tf.image.resize(method="bilinear", antialias=False) on float32 of uint8 pixels; shared
by scripts/onnx_export.py and scripts/bench_onnxruntime.py (numpy only, no TensorFlow).
"""
import numpy as np


def _taps(out_size, in_size):
    """Source indices (low, high) and weights for each output index, in float32."""
    scale = np.float32(in_size) / np.float32(out_size)
    src = ((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale
           - np.float32(0.5)).astype(np.float32)
    floor = np.floor(src)
    lo = np.maximum(floor, 0).astype(np.int64)
    hi = np.minimum(np.ceil(src), in_size - 1).astype(np.int64)
    return lo, hi, (src - floor).astype(np.float32)


def resize_bilinear(image, size):
    """HxWxC pixels -> size x size x C float32."""
    x = image.astype(np.float32)
    y0, y1, wy = _taps(size, x.shape[0])
    x0, x1, wx = _taps(size, x.shape[1])
    wx = wx[None, :, None]
    wy = wy[:, None, None]
    top = x[y0][:, x0] + (x[y0][:, x1] - x[y0][:, x0]) * wx
    bottom = x[y1][:, x0] + (x[y1][:, x1] - x[y1][:, x0]) * wx
    return (top + (bottom - top) * wy).astype(np.float32)
