package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latent-ml/latent/serve"
)

// Serve an exported autoencoder and send it one v2 infer request.
func Example() {
	srv, err := serve.New(context.Background(), serve.Config{
		Models: []serve.ModelSpec{{Name: "ae", Path: "../testdata/golden/ae-undercomplete/model.onnx"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler()) // or srv.Serve(ctx, listener)
	defer ts.Close()

	body := `{"inputs":[{"name":"input","shape":[2,8],"datatype":"FP32",
	          "data":[[1,2,3,4,5,6,7,8],[8,7,6,5,4,3,2,1]]}]}`
	resp, err := http.Post(ts.URL+"/v2/models/ae/infer", "application/json", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var reply struct {
		ModelName string `json:"model_name"`
		Outputs   []struct {
			Name     string    `json:"name"`
			Datatype string    `json:"datatype"`
			Shape    []int     `json:"shape"`
			Data     []float32 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		log.Fatal(err)
	}
	o := reply.Outputs[0]
	fmt.Println(resp.StatusCode, reply.ModelName, o.Name, o.Datatype, o.Shape, len(o.Data))
	// Output: 200 ae reconstruction FP32 [2 8] 16
}
