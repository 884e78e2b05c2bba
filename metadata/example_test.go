package metadata_test

import (
	"fmt"
	"log"

	"github.com/latent-ml/latent/metadata"
	"github.com/latent-ml/latent/runtime/graph"
)

// Read a latent model's kind, sizes and scaling without the trainer.
func ExampleRead() {
	gm, err := graph.DecodeFile("../testdata/golden/ae-undercomplete/model.onnx")
	if err != nil {
		log.Fatal(err)
	}
	md, err := metadata.Read(gm)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s %s: %d features → code %d, scaling %s, calibrated %v\n",
		md.Part, md.Spec.Kind, md.Spec.Input, md.Spec.Code, md.Scaler.Kind, md.Threshold != nil)
	// Output:
	// model undercomplete: 8 features → code 3, scaling minmax, calibrated false
}
