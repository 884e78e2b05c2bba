"""Write the ONNX backend-test cases of the installed onnx package to a folder.

    python gen_conformance.py OUT

writes OUT/node/<case>/ (every case of onnx.backend.test.case.node) and
OUT/simple/<case>/ (the model cases of onnx.backend.test.case.model that
carry their data; the "real" ones, which download zoo models, are left out)
in the ONNX backend-test layout: model.onnx beside test_data_set_N/input_K.pb
and output_K.pb. Each .pb holds the proto the graph's declared type calls
for: TensorProto, SequenceProto, MapProto or OptionalProto.

Nothing is written in place: the cases go to a temporary sibling folder that
replaces OUT only once complete, so an interrupted run leaves no half-written
suite behind. tools/onnx-testdata.sh runs this once per onnx version.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from onnx.backend.test.case import model as model_cases
from onnx.backend.test.case import node as node_cases


def serialise(value, vtype: onnx.TypeProto, name: str) -> bytes:
    """The proto message a value of the declared type is stored as."""
    kind = vtype.WhichOneof("value")
    if kind == "sequence_type":
        return numpy_helper.from_list(value, name).SerializeToString()
    if kind == "map_type":
        return numpy_helper.from_dict(value, name).SerializeToString()
    if kind == "optional_type":
        return numpy_helper.from_optional(value, name).SerializeToString()
    if kind != "tensor_type":
        raise ValueError(f"{name}: cannot store a value of type {kind}")
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(np.asarray(value), name).SerializeToString()


def write_case(root: str, case) -> None:
    folder = os.path.join(root, case.kind, case.name)
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets):
        data = os.path.join(folder, f"test_data_set_{i}")
        os.makedirs(data)
        for prefix, values, decls in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                with open(os.path.join(data, f"{prefix}_{j}.pb"), "wb") as f:
                    f.write(serialise(value, decls[j].type, decls[j].name))


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: gen_conformance.py OUT", file=sys.stderr)
        return 2
    out = os.path.abspath(sys.argv[1])
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    # The reference implementations divide by zero and overflow on purpose
    # in a few cases; numpy's warnings about it are noise here.
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    cases = list(node_cases.collect_testcases())
    cases += [c for c in model_cases.collect_testcases() if c.kind == "simple"]
    tmp = tempfile.mkdtemp(prefix=".gen-", dir=parent)
    try:
        for case in cases:
            write_case(tmp, case)
        old = None
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix=".old-", dir=parent)
            os.rename(out, os.path.join(old, "x"))
        os.rename(tmp, out)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    counts = {}
    for c in cases:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    print(f"gen_conformance: onnx {onnx.__version__}: {summary} cases in {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
