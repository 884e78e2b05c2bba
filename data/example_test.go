package data_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/latent-ml/latent/data"
)

// Read infers the format from the name (CSV here) and returns the rows
// as stored; the dataset records how its values were produced.
func ExampleRead() {
	d, err := data.Read(strings.NewReader("a,b\n1,2\n3,4.5\n"), "x.csv", data.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.N, d.D, d.X, d.Units)
	// Output:
	// 2 2 [1 2 3 4.5] as-stored
}

// A scaler fitted on [0, 1] intensities refuses raw 0–255 pixels.
func ExampleScaler_CheckScale() {
	train := &data.Dataset{N: 2, D: 2, X: []float32{0, 0.5, 1, 0.25}, Units: data.BytesOver255}
	s, err := data.Fit(data.NoScaling, train)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Units, s.Range)
	fmt.Println(s.CheckScale("ok.csv", []float32{0.1, 0.9}, 2, data.AsStored))
	fmt.Println(s.CheckScale("raw.csv", []float32{25, 230}, 2, data.AsStored) != nil)
	// Output:
	// uint8/255 [0 1]
	// <nil>
	// true
}
