#!/usr/bin/env bash
# models.sh DIR writes the models BENCHMARKS.md measures into DIR:
#   DIR/dense/model.onnx   784-256-64-256-784 dense AE (relu hidden, linear
#                          code, sigmoid output), one epoch on random data
#   DIR/conv/model.onnx    conv AE on 1×28×28 (filters 16,32, code 16,
#                          batch norm), one epoch on random images
#   DIR/matmul1024.onnx    a single 1024×1024 · 1024×1024 MatMul (the Gemm
#                          GFLOPS row for ONNX Runtime)
# It needs numpy and onnx in $PYTHON (default: the project venv made by
# tools/python/venv.sh) and builds latent from this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: models.sh DIR}
mkdir -p "$out"
py=${PYTHON:-$(bash tools/python/venv.sh ci)}
go build -o "$out/latent" ./tools/latent
"$py" - "$out" <<'PY'
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rng = np.random.default_rng(1)
np.save(f"{out}/images.npy", rng.random((512, 28, 28), dtype=np.float32))
np.save(f"{out}/rows.npy", rng.random((512, 784), dtype=np.float32))
a = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1024, 1024])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1024, 1024])
b = numpy_helper.from_array(rng.random((1024, 1024), dtype=np.float32) - 0.5, "B")
g = helper.make_graph([helper.make_node("MatMul", ["input", "B"], ["y"])], "matmul1024", [a], [y], [b])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
onnx.save(m, f"{out}/matmul1024.onnx")
PY
"$out/latent" train --model deep --data "$out/rows.npy" --hidden 256 --code 64 --epochs 1 --out "$out/dense" >/dev/null
"$out/latent" train --model conv --data "$out/images.npy" --filters 16,32 --code 16 --batch-norm --epochs 1 --out "$out/conv" >/dev/null
echo "models in $out: dense/model.onnx conv/model.onnx matmul1024.onnx (and the latent binary)"
