// Package archtest holds no code: its test checks that the module's
// packages import in the one direction ARCHITECTURE.md draws (data →
// trainer → export → runtime; serve needs no trainer; ops and the trainer
// know nothing of ONNX; the data and metadata packages pull in nothing of
// training).
package archtest
