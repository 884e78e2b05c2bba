"""Run ONNX backend-test cases on Python onnxruntime, as a reference count.

    python ort_conformance.py SUITE_DIR [--report conf.tsv --suite-id onnx-node] [--out ort.tsv]

runs every case folder of SUITE_DIR (e.g. the onnx-node suite that
tools/onnx-testdata.sh generates) on onnxruntime's CPU provider with the
comparison latent's conformance test uses (rtol 1e-3, atol 1e-5, integers
and booleans exact, NaN equal to NaN; random-output operators count as
failures) and prints the pass count. Unlike the `ort` backend inside
latent's test, it is not limited by what latent's reader and Session.Run
hold (bfloat16, float8, strings, sequences …), so it says what ONNX Runtime
itself passes on the same data.

--report takes the TSV that LATENT_CONFORMANCE_REPORT makes the Go test
write and adds a count per operator family beside native's and the `ort`
backend's, for the suite named --suite-id there (default: the folder's
name); --out writes one "case<TAB>0|1" line per case.
"""

from __future__ import annotations

import argparse
import collections
import csv
import glob
import os
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

RANDOM = {"Bernoulli", "RandomUniform", "RandomUniformLike", "RandomNormal", "RandomNormalLike", "Multinomial"}


def load(path: str, vtype: onnx.TypeProto):
    with open(path, "rb") as f:
        data = f.read()
    kind = vtype.WhichOneof("value")
    if kind == "sequence_type":
        p = onnx.SequenceProto()
        p.ParseFromString(data)
        return numpy_helper.to_list(p)
    if kind == "optional_type":
        p = onnx.OptionalProto()
        p.ParseFromString(data)
        return numpy_helper.to_optional(p)
    if kind == "map_type":
        p = onnx.MapProto()
        p.ParseFromString(data)
        return numpy_helper.to_dict(p)
    t = onnx.TensorProto()
    t.ParseFromString(data)
    return numpy_helper.to_array(t)


def same(got, want) -> bool:
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(same(got[k], want[k]) for k in want)
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(a, b) for a, b in zip(got, want))
    if want is None:
        return got is None
    g, w = np.asarray(got), np.asarray(want)
    if g.shape != w.shape:
        return False
    if w.dtype.kind in "iub" or w.dtype.kind in "OSU":
        return g.dtype == w.dtype and np.array_equal(g, w)
    try:  # float, float16 and the ml_dtypes floats (bfloat16, float8 …)
        gf, wf = g.astype(np.float64), w.astype(np.float64)
    except (TypeError, ValueError):
        return g.tobytes() == w.tobytes()
    if not np.array_equal(np.isnan(gf), np.isnan(wf)):
        return False
    inf = np.isinf(gf) | np.isinf(wf)
    if not np.array_equal(gf[inf], wf[inf]):
        return False
    m = ~(np.isnan(wf) | inf)
    return bool(np.all(np.abs(gf[m] - wf[m]) <= 1e-5 + 1e-3 * np.abs(wf[m])))


def passes(case_dir: str) -> bool:
    m = onnx.load(os.path.join(case_dir, "model.onnx"))
    if any(n.op_type in RANDOM for n in m.graph.node):
        return False
    try:
        s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        for ds in sorted(glob.glob(os.path.join(case_dir, "test_data_set_*"))):
            feed = {}
            for k, vi in enumerate(m.graph.input):
                p = os.path.join(ds, f"input_{k}.pb")
                if os.path.exists(p):
                    feed[vi.name] = load(p, vi.type)
            outs = s.run(None, feed)
            for k, vi in enumerate(m.graph.output):
                if not same(outs[k], load(os.path.join(ds, f"output_{k}.pb"), vi.type)):
                    return False
    except Exception:  # noqa: BLE001 - any refusal or error is a failed case
        return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suite")
    ap.add_argument("--report", help="LATENT_CONFORMANCE_REPORT TSV for per-family counts")
    ap.add_argument("--suite-id", help="the suite's name in the report (default: the folder's name)")
    ap.add_argument("--out", help="write case<TAB>0|1 lines here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    ort.set_default_logger_severity(4)
    cases = sorted(c for c in os.listdir(args.suite) if os.path.isfile(os.path.join(args.suite, c, "model.onnx")))
    ok = {c: passes(os.path.join(args.suite, c)) for c in cases}
    print(f"onnxruntime {ort.__version__}: {sum(ok.values())}/{len(cases)} cases of {args.suite} pass")
    if args.out:
        with open(args.out, "w") as f:
            f.writelines(f"{c}\t{int(v)}\n" for c, v in ok.items())
    if args.report:
        suite = args.suite_id or os.path.basename(os.path.normpath(args.suite))
        fam = collections.defaultdict(lambda: [0, 0, 0, 0])
        with open(args.report) as f:
            for r in csv.DictReader(f, delimiter="\t"):
                if r["suite"] != suite or r["case"] not in ok:
                    continue
                row = fam[r["family"]]
                row[0] += 1
                row[1] += r.get("native") == "pass"
                row[2] += r.get("ort") == "pass"
                row[3] += ok[r["case"]]
        print("family\tcases\tnative\tort backend\tonnxruntime (Python)")
        for name, (n, nat, go, py) in fam.items():
            print(f"{name}\t{n}\t{nat}\t{go}\t{py}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
