#!/usr/bin/env python3
"""Writes Tests/Fixtures/images/antialias/: images and what torchvision makes of them.

    python3 scripts/make_resize_fixtures.py          # numpy + Pillow; torchvision checked if present

For each case, a source PNG (written by Pillow from seeded numpy noise over gradients, so that
shrinking without antialias visibly differs) and the expected result as a PNG:

  * "shorter" cases: torchvision's Resize(shorter) (bilinear; on PIL images Pillow's own
    Image.resize, antialiased) then CenterCrop(crop) — the pipeline of the onnx kind's
    `resize_shorter` option. Computed with Pillow; when torchvision is installed, its
    transforms.Compose([Resize, CenterCrop]) must give the same pixels.
  * "resize" cases: Image.resize((w, h), Image.BILINEAR) alone (RGBImage.antialiasResized).

expected.json lists the cases with the versions used. Committed fixtures: Pillow 13.0.0,
numpy 2.4.6, torchvision 0.29.2.
"""
import json
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Fixtures" / "images" / "antialias"


def source(width, height, seed):
    rng = np.random.default_rng(seed)
    y, x = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    base = np.stack([255 * x / max(1, width - 1), 255 * y / max(1, height - 1),
                     127 + 100 * np.sin(x / 7.0) * np.cos(y / 5.0)], axis=-1)
    stripes = 60 * ((x // 3 + y // 2) % 2)[..., None]  # fine texture that aliases when shrunk plainly
    noise = rng.integers(-40, 41, size=(height, width, 3))
    return np.clip(base + stripes + noise, 0, 255).astype(np.uint8)


def shorter_side(width, height, shorter):
    """torchvision's Resize(int) size: the shorter side becomes `shorter`, the other truncated."""
    if width <= height:
        return shorter, int(shorter * height / width)
    return int(shorter * width / height), shorter


def center_crop(image, crop):
    """torchvision's CenterCrop offsets: int(round((size - crop) / 2.0))."""
    w, h = image.size
    left, top = int(round((w - crop) / 2.0)), int(round((h - crop) / 2.0))
    return image.crop((left, top, left + crop, top + crop))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    try:
        import torchvision
        from torchvision import transforms
    except ImportError:
        torchvision = None
    sources = {"wide-211x157.png": (211, 157, 1), "tall-97x300.png": (97, 300, 2), "photo-300x225.png": (300, 225, 3)}
    for name, (w, h, seed) in sources.items():
        Image.fromarray(source(w, h, seed)).save(OUT / name)
    for name, shorter, crop in (("wide-211x157.png", 64, 56), ("tall-97x300.png", 40, 32), ("photo-300x225.png", 160, 128),
                                ("photo-300x225.png", 56, 48)):
        image = Image.open(OUT / name).convert("RGB")
        resized = image.resize(shorter_side(*image.size, shorter), Image.BILINEAR)
        expected = center_crop(resized, crop)
        if torchvision is not None:
            pipeline = transforms.Compose([transforms.Resize(shorter), transforms.CenterCrop(crop)])
            if np.asarray(pipeline(image)).tolist() != np.asarray(expected).tolist():
                raise SystemExit(f"{name}: torchvision's Resize({shorter}) + CenterCrop({crop}) differs from Pillow's")
        out = f"expected-{Path(name).stem}-shorter{shorter}-crop{crop}.png"
        expected.save(OUT / out)
        cases.append({"kind": "shorter", "source": name, "shorter": shorter, "crop": crop, "expected": out})
    for name, size in (("wide-211x157.png", (50, 37)), ("tall-97x300.png", (97, 61)), ("wide-211x157.png", (300, 180))):
        image = Image.open(OUT / name).convert("RGB")
        out = f"expected-{Path(name).stem}-resize{size[0]}x{size[1]}.png"
        image.resize(size, Image.BILINEAR).save(OUT / out)
        cases.append({"kind": "resize", "source": name, "width": size[0], "height": size[1], "expected": out})
    versions = {"Pillow": Image.__version__, "numpy": np.__version__}
    if torchvision is not None:
        versions["torchvision"] = torchvision.__version__
    (OUT / "expected.json").write_text(json.dumps({"generator": "scripts/make_resize_fixtures.py", "versions": versions,
                                                   "cases": cases}, indent=2) + "\n")
    print(f"{len(cases)} cases in {OUT}; versions {versions}")


if __name__ == "__main__":
    main()
