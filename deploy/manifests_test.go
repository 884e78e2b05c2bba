package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// KServe's CRDs ship in its Go module (config/crd/full). v0.20.0 is the
// newest release the Go module proxy serves (v0.21.0 is on PyPI but not on
// the proxy); the ServingRuntime and InferenceService APIs used here are
// the same in both. The go command checks the download against the
// checksum database; kserveSum pins it here too.
const (
	kserveModule  = "github.com/kserve/kserve"
	kserveVersion = "v0.20.0"
	kserveSum     = "h1:Bs7HxmGV4KFqqptDcWseKv+mwD4YOYHJWcuVgPG2Gug="
)

var (
	crdOnce sync.Once
	crdDir  string
	crdErr  error
)

// kserveCRDs returns the folder of KServe's CRDs in the module cache,
// downloading the module once (64 MB; cached like any module).
func kserveCRDs(t *testing.T) string {
	t.Helper()
	crdOnce.Do(func() {
		out, err := exec.Command("go", "mod", "download", "-json", kserveModule+"@"+kserveVersion).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			crdErr = fmt.Errorf("go mod download %s@%s: %v %s%s", kserveModule, kserveVersion, err, stderr, out)
			return
		}
		var info struct{ Dir, Sum, Error string }
		if err := json.Unmarshal(out, &info); err != nil {
			crdErr = fmt.Errorf("go mod download: %v", err)
			return
		}
		switch {
		case info.Error != "":
			crdErr = fmt.Errorf("go mod download: %s", info.Error)
		case info.Sum != kserveSum:
			crdErr = fmt.Errorf("%s@%s has sum %s, want %s", kserveModule, kserveVersion, info.Sum, kserveSum)
		default:
			crdDir = filepath.Join(info.Dir, "config", "crd", "full")
		}
	})
	if crdErr != nil {
		if os.Getenv("CI") != "" {
			require.NoError(t, crdErr, "KServe's CRDs are needed under CI")
		}
		t.Skipf("KServe's CRDs are not available (no module proxy?): %v", crdErr)
	}
	return crdDir
}

// crd is one served version of a CustomResourceDefinition.
type crd struct {
	apiVersion, kind string
	schema           *jsonschema.Schema
}

// loadCRD compiles the schema of a CRD file's served version.
func loadCRD(t *testing.T, path string) []crd {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Served bool   `json:"served"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc), path)
	var out []crd
	for _, v := range doc.Spec.Versions {
		if !v.Served {
			continue
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		url := "file:///" + doc.Spec.Names.Kind + "/" + v.Name + ".json"
		require.NoError(t, c.AddResource(url, structural(v.Schema.OpenAPIV3Schema)))
		s, err := c.Compile(url)
		require.NoError(t, err, "compile the schema of %s %s", doc.Spec.Names.Kind, v.Name)
		out = append(out, crd{apiVersion: doc.Spec.Group + "/" + v.Name, kind: doc.Spec.Names.Kind, schema: s})
	}
	require.NotEmpty(t, out, "%s serves no version", path)
	return out
}

// structural turns a CRD's OpenAPI v3 schema into a JSON Schema that
// checks what the API server checks: types, formats' patterns, enums,
// required fields, int-or-string and nullable values, and, as kubectl's
// strict field validation does, no fields the schema does not declare
// (except under x-kubernetes-preserve-unknown-fields).
func structural(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		switch {
		case strings.HasPrefix(k, "x-kubernetes-"), k == "nullable", k == "description", k == "format":
			// Kubernetes extensions, documentation; formats (int32,
			// int64, date-time …) are not asserted by the API server's
			// structural check either.
		case k == "properties":
			props := map[string]any{}
			for name, p := range v.(map[string]any) {
				props[name] = structural(p.(map[string]any))
			}
			out[k] = props
		case k == "items" || k == "not" || k == "additionalProperties" && isMap(v):
			out[k] = structural(v.(map[string]any))
		case k == "anyOf" || k == "allOf" || k == "oneOf":
			var list []any
			for _, p := range v.([]any) {
				list = append(list, structural(p.(map[string]any)))
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	if s["nullable"] == true {
		if typ, ok := out["type"].(string); ok {
			out["type"] = []any{typ, "null"}
		}
	}
	if s["x-kubernetes-int-or-string"] == true && out["anyOf"] == nil {
		out["anyOf"] = []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}
	}
	if _, declared := s["properties"]; declared && s["additionalProperties"] == nil && s["x-kubernetes-preserve-unknown-fields"] != true {
		out["additionalProperties"] = false
	}
	return out
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

var (
	schemasOnce sync.Once
	schemasMap  map[string]crd
)

// schemas returns the CRDs of the resources latent ships manifests for,
// compiled once.
func schemas(t *testing.T) map[string]crd {
	dir := kserveCRDs(t)
	schemasOnce.Do(func() { schemasMap = compileSchemas(t, dir) })
	require.NotNil(t, schemasMap, "compiling the CRD schemas failed earlier")
	return schemasMap
}

func compileSchemas(t *testing.T, dir string) map[string]crd {
	out := map[string]crd{}
	for _, f := range []string{"serving.kserve.io_clusterservingruntimes.yaml", "serving.kserve.io_servingruntimes.yaml", "serving.kserve.io_inferenceservices.yaml"} {
		for _, c := range loadCRD(t, filepath.Join(dir, f)) {
			out[c.apiVersion+" "+c.kind] = c
		}
	}
	return out
}

// manifests reads every YAML document under kserve/, by file.
func manifests(t *testing.T) map[string][]map[string]any {
	t.Helper()
	files, err := filepath.Glob("kserve/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string][]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
			if strings.TrimSpace(stripComments(part)) == "" {
				continue
			}
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal([]byte(part), &doc), "%s document %d", f, i)
			out[f] = append(out[f], doc)
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// validate checks one manifest against its CRD, and its name as the API
// server would.
func validate(all map[string]crd, doc map[string]any) error {
	av, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	c, ok := all[av+" "+kind]
	if !ok {
		return fmt.Errorf("no CRD serves apiVersion %q kind %q", av, kind)
	}
	md, _ := doc["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if len(name) > 63 || !dnsLabel.MatchString(name) {
		return fmt.Errorf("%s: metadata.name %q is not a DNS-1123 label", kind, name)
	}
	// Round-trip through JSON so numbers are what the validator expects.
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return c.schema.Validate(inst)
}

// Every manifest under kserve/ is valid against KServe's own CRD schema.
func TestManifestsValidate(t *testing.T) {
	all := schemas(t)
	for f, docs := range manifests(t) {
		for _, doc := range docs {
			assert.NoError(t, validate(all, doc), "%s: %s", f, doc["kind"])
		}
	}
}

// The check is not vacuous: the mistakes people make in manifests fail it.
func TestValidationCatchesMistakes(t *testing.T) {
	all := schemas(t)
	docs := manifests(t)
	csr := docs["kserve/clusterservingruntime.yaml"][0]
	isvc := docs["kserve/inferenceservice.yaml"][0]
	cases := []struct {
		name   string
		doc    map[string]any
		mutate func(d map[string]any)
		want   string
	}{
		{"misspelled field", csr, func(d map[string]any) { container(d)["argz"] = []any{"serve"} }, "argz"},
		{"unknown top-level spec field", csr, func(d map[string]any) { spec(d)["protocols"] = []any{"v2"} }, "protocols"},
		{"wrong type", csr, func(d map[string]any) { spec(d)["protocolVersions"] = "v2" }, "protocolVersions"},
		{"port as a string", csr, func(d map[string]any) {
			container(d)["ports"].([]any)[0].(map[string]any)["containerPort"] = "8080"
		}, "containerPort"},
		{"bad quantity", csr, func(d map[string]any) {
			container(d)["resources"].(map[string]any)["limits"].(map[string]any)["cpu"] = "2 cores"
		}, "cpu"},
		{"no containers", csr, func(d map[string]any) { delete(spec(d), "containers") }, "containers"},
		{"model format without a name", isvc, func(d map[string]any) {
			delete(spec(d)["predictor"].(map[string]any)["model"].(map[string]any)["modelFormat"].(map[string]any), "name")
		}, "name"},
		{"wrong kind", isvc, func(d map[string]any) { d["kind"] = "InferenceServices" }, "no CRD serves"},
		{"bad name", isvc, func(d map[string]any) { d["metadata"].(map[string]any)["name"] = "Fashion_AE" }, "DNS-1123"},
	}
	for _, c := range cases {
		d := deepCopy(t, c.doc)
		c.mutate(d)
		err := validate(all, d)
		if assert.Error(t, err, c.name) {
			assert.Contains(t, err.Error(), c.want, c.name)
			t.Logf("%s: %v", c.name, strings.ReplaceAll(err.Error(), "\n", " "))
		}
	}
}

func spec(d map[string]any) map[string]any { return d["spec"].(map[string]any) }

func container(d map[string]any) map[string]any {
	return spec(d)["containers"].([]any)[0].(map[string]any)
}

func deepCopy(t *testing.T, d map[string]any) map[string]any {
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// servingRuntime is the part of the ClusterServingRuntime the checks below
// and the image test read.
type servingRuntime struct {
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Annotations           map[string]string `json:"annotations"`
		SupportedModelFormats []struct {
			Name       string `json:"name"`
			AutoSelect bool   `json:"autoSelect"`
		} `json:"supportedModelFormats"`
		ProtocolVersions []string `json:"protocolVersions"`
		Containers       []struct {
			Name  string   `json:"name"`
			Image string   `json:"image"`
			Args  []string `json:"args"`
			Ports []struct {
				Name          string `json:"name"`
				ContainerPort int    `json:"containerPort"`
			} `json:"ports"`
			ReadinessProbe, LivenessProbe struct {
				HTTPGet struct {
					Path string `json:"path"`
					Port int    `json:"port"`
				} `json:"httpGet"`
			}
			SecurityContext struct {
				RunAsNonRoot           bool `json:"runAsNonRoot"`
				RunAsUser              int  `json:"runAsUser"`
				ReadOnlyRootFilesystem bool `json:"readOnlyRootFilesystem"`
			} `json:"securityContext"`
		} `json:"containers"`
	} `json:"spec"`
}

func readServingRuntime(t *testing.T) servingRuntime {
	t.Helper()
	b, err := os.ReadFile("kserve/clusterservingruntime.yaml")
	require.NoError(t, err)
	var sr servingRuntime
	require.NoError(t, yaml.Unmarshal(b, &sr))
	return sr
}

// The runtime has what KServe needs to route to latent, probe it, scrape
// it and run it safely; the InferenceService example names it.
func TestServingRuntimeDetails(t *testing.T) {
	sr := readServingRuntime(t)
	require.Len(t, sr.Spec.Containers, 1)
	c := sr.Spec.Containers[0]
	assert.Equal(t, "kserve-container", c.Name, "KServe finds the model server container by this name")
	require.NotEmpty(t, sr.Spec.SupportedModelFormats)
	assert.Equal(t, "onnx", sr.Spec.SupportedModelFormats[0].Name)
	assert.True(t, sr.Spec.SupportedModelFormats[0].AutoSelect)
	assert.Equal(t, []string{"v2", "grpc-v2"}, sr.Spec.ProtocolVersions)
	assert.Equal(t, "serve", c.Args[0])
	assert.Contains(t, c.Args, "--model-repository=/mnt/models")
	assert.Contains(t, c.Args, "--addr=0.0.0.0:8080")
	assert.Contains(t, c.Args, "--grpc-addr=0.0.0.0:8081")
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	assert.Equal(t, map[string]int{"http1": 8080, "h2c": 8081}, ports)
	assert.Equal(t, "/v2/health/ready", c.ReadinessProbe.HTTPGet.Path)
	assert.Equal(t, "/v2/health/live", c.LivenessProbe.HTTPGet.Path)
	assert.Equal(t, 8080, c.ReadinessProbe.HTTPGet.Port)
	assert.Equal(t, "8080", sr.Spec.Annotations["prometheus.kserve.io/port"])
	assert.Equal(t, "/metrics", sr.Spec.Annotations["prometheus.kserve.io/path"])
	assert.True(t, c.SecurityContext.RunAsNonRoot)
	assert.Equal(t, 65532, c.SecurityContext.RunAsUser, "the image's USER")
	assert.True(t, c.SecurityContext.ReadOnlyRootFilesystem)

	b, err := os.ReadFile("kserve/inferenceservice.yaml")
	require.NoError(t, err)
	var isvc struct {
		Spec struct {
			Predictor struct {
				Model struct {
					ModelFormat struct {
						Name string `json:"name"`
					} `json:"modelFormat"`
					Runtime         string `json:"runtime"`
					ProtocolVersion string `json:"protocolVersion"`
				} `json:"model"`
			} `json:"predictor"`
		} `json:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(b, &isvc))
	m := isvc.Spec.Predictor.Model
	assert.Equal(t, sr.Metadata.Name, m.Runtime)
	assert.Equal(t, sr.Spec.SupportedModelFormats[0].Name, m.ModelFormat.Name)
	assert.True(t, slices.Contains(sr.Spec.ProtocolVersions, m.ProtocolVersion))

	// The image runs the binary as the runtime's user.
	cf, err := os.ReadFile("Containerfile")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^FROM scratch$`, string(cf))
	assert.Regexp(t, `(?m)^USER 65532:65532$`, string(cf))
}
