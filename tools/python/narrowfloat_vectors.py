"""Write ops/testdata/narrowfloat.json: conversions between float32 and the
narrow float formats (bfloat16, the 8-bit floats, float4 E2M1, E8M0) as
ONNX's reference computes them (ml_dtypes, onnx.numpy_helper), for
ops/narrowfloat_test.go.

    python tools/python/narrowfloat_vectors.py   # in the CI venv (onnx 1.23.2)

Inputs: every value of each 8-bit and 4-bit format with both signs, the
midpoints between neighbours (ties) and the float32 values just either side
of them, the overflow boundaries, infinities, NaN, float32 subnormals and
log-uniform random values. Outputs are bit patterns; decode tables give the
float32 bits of every pattern.
"""

import json
import os

import ml_dtypes
import numpy as np
from onnx import numpy_helper

FORMATS = {
    "float8e4m3fn": ml_dtypes.float8_e4m3fn,
    "float8e4m3fnuz": ml_dtypes.float8_e4m3fnuz,
    "float8e5m2": ml_dtypes.float8_e5m2,
    "float8e5m2fnuz": ml_dtypes.float8_e5m2fnuz,
    "float4e2m1": ml_dtypes.float4_e2m1fn,
}


def inputs() -> np.ndarray:
    vals = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, 2.0**-127, 2.0**-126, 3e38, -3e38]
    for dt in FORMATS.values():
        n = 16 if dt == ml_dtypes.float4_e2m1fn else 256
        decoded = np.arange(n, dtype=np.uint8).view(dt).astype(np.float32)
        finite = np.unique(np.abs(decoded[np.isfinite(decoded)]))
        vals += list(finite) + list(-finite)
        mids = (finite[1:] + finite[:-1]) / 2
        top = finite[-1] + (finite[-1] - finite[-2]) / 2
        for m in list(mids) + [top, finite[-1] * 1.25, finite[-1] * 2]:
            m = np.float32(m)
            for v in (m, np.nextafter(m, np.float32(np.inf)), np.nextafter(m, np.float32(0))):
                vals += [float(v), -float(v)]
    rng = np.random.default_rng(16)
    mags = np.exp2(rng.uniform(-140, 130, 300)) * rng.choice([-1, 1], 300)
    vals += list(mags)
    with np.errstate(over="ignore"):
        x = np.array(vals, dtype=np.float32)
    # One of each bit pattern, in a stable order.
    return np.unique(x.view(np.uint32)).view(np.float32)


def main() -> None:
    x = inputs()
    out = {"inputs": x.view(np.uint32).tolist()}
    for name, dt in FORMATS.items():
        n = 16 if dt == ml_dtypes.float4_e2m1fn else 256
        out[name] = {
            "decode": np.arange(n, dtype=np.uint8).view(dt).astype(np.float32).view(np.uint32).tolist(),
            "plain": x.astype(dt).view(np.uint8).tolist(),
        }
        if name.startswith("float8"):
            out[name]["saturate"] = numpy_helper.saturate_cast(x, dt).view(np.uint8).tolist()
    out["bfloat16"] = {"plain": x.astype(ml_dtypes.bfloat16).view(np.uint16).tolist()}
    e8 = {"decode": np.arange(256, dtype=np.uint8).view(ml_dtypes.float8_e8m0fnu).astype(np.float32).view(np.uint32).tolist()}
    for mode in ("up", "down", "nearest"):
        for sat in (True, False):
            key = f"{mode}_{'saturate' if sat else 'plain'}"
            e8[key] = numpy_helper.to_float8e8m0(x, sat, mode).view(np.uint8).tolist()
    out["float8e8m0"] = e8
    path = os.path.join(os.path.dirname(__file__), "..", "..", "ops", "testdata", "narrowfloat.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"wrote {len(x)} inputs to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
