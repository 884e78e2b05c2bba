package main

// The ONNX Runtime backend registers itself as "ort", so `latent run
// --backend ort` and `latent verify` can use it. In a build without cgo it
// registers a stub whose errors say so.
import _ "github.com/latent-ml/latent/runtime/ort"
