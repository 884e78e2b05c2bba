"""KServe's Python ModelServer serving one ONNX model on onnxruntime: what a
Python user deploys instead of latent serve, for tools/servebench's side by
side load figures (BENCHMARKS.md "Server"). Not used in CI.

    py=$(bash tools/python/venv.sh kserve)
    "$py" tools/python/kserve_onnx.py --model_path model.onnx --model_name ae \
        --http_port 8080 --grpc_port 8081

It speaks the Open Inference Protocol v2 over REST (JSON and the binary
tensor extension) and gRPC (typed and raw contents) through KServe's own
data plane; the model class only runs the session. onnxruntime keeps its
defaults (all cores, graph optimisations on), as does the ModelServer
(one worker process) except per-request latency logging, which is turned
off so that the comparison measures serving rather than logging.
"""

import argparse

import kserve
import numpy as np
import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse
from kserve.utils.utils import generate_uuid

DATATYPES = {
    "tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(float16)": "FP16",
    "tensor(int64)": "INT64", "tensor(int32)": "INT32", "tensor(int8)": "INT8",
    "tensor(uint8)": "UINT8", "tensor(bool)": "BOOL",
}


class OnnxModel(kserve.Model):
    def __init__(self, name, path):
        super().__init__(name)
        self.path = path
        self.session = None

    def load(self):
        self.session = ort.InferenceSession(self.path, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.outputs = [(o.name, DATATYPES[o.type]) for o in self.session.get_outputs()]
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {t.name: t.as_numpy() for t in payload.inputs}
        missing = set(self.inputs) - set(feeds)
        if missing:
            raise kserve.errors.InvalidInput(f"missing inputs {sorted(missing)}")
        results = self.session.run(None, feeds)
        # Encode each output once, in the form the request asked for: raw
        # bytes for gRPC raw requests and REST binary_data outputs, else
        # typed values (a list, which KServe's JSON and contents take).
        binary = payload.use_binary_outputs or any(o.binary_data for o in payload.request_outputs or [])
        outputs = []
        for (name, datatype), value in zip(self.outputs, results):
            out = InferOutput(name=name, shape=list(value.shape), datatype=datatype)
            out.set_data_from_numpy(np.ascontiguousarray(value), binary_data=bool(binary))
            outputs.append(out)
        return InferResponse(response_id=payload.id or generate_uuid(), model_name=self.name, infer_outputs=outputs,
                             use_binary_outputs=payload.use_binary_outputs,
                             requested_outputs=payload.request_outputs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_path", required=True, help="the .onnx file to serve")
    args, _ = parser.parse_known_args()
    model = OnnxModel(args.model_name, args.model_path)
    model.load()
    kserve.ModelServer(enable_latency_logging=False).start([model])
