package serve

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Model states of the repository index (Triton's names).
const (
	stateReady       = "READY"
	stateUnavailable = "UNAVAILABLE"
	stateLoading     = "LOADING"
	stateUnloading   = "UNLOADING"
)

// repository owns the models a server knows: those given by path and
// those of the repository folder, which of them are loaded (live), and
// their load state. Requests read live without locking; loads and unloads
// replace it whole.
type repository struct {
	s      *Server
	dir    string            // the repository folder, "" if none
	single string            // the model name when dir holds one model directly
	fixed  map[string]string // models given by path: name → file

	live    atomic.Pointer[map[string]*model]
	mu      sync.Mutex // guards entries, entry states and writes of live
	entries map[string]*entry
}

// entry is the load state of one model name.
type entry struct {
	op       sync.Mutex // serialises loads and unloads of the model
	state    string
	reason   string
	version  string
	unloaded bool      // unloaded on request: polling leaves it alone
	failed   fileStamp // the file a load last failed on
}

// located is where a model's file is and the version it is served as.
type located struct {
	path, version string
	err           error // why there is no model file to load
	missing       bool  // the folder holds no model file at all
}

// fileStamp identifies a model file's contents for polling.
type fileStamp struct {
	path string
	size int64
	mod  time.Time
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileStamp{}, fmt.Errorf("%s is not a regular file", path)
	}
	return fileStamp{path: path, size: fi.Size(), mod: fi.ModTime()}, nil
}

func (r *repository) init(s *Server) error {
	r.s = s
	r.fixed = map[string]string{}
	r.entries = map[string]*entry{}
	empty := map[string]*model{}
	r.live.Store(&empty)
	for _, ms := range s.cfg.Models {
		if err := validName(ms.Name); err != nil {
			return fmt.Errorf("model %q: %w", ms.Name, err)
		}
		if _, dup := r.fixed[ms.Name]; dup {
			return fmt.Errorf("model name %q given twice", ms.Name)
		}
		r.fixed[ms.Name] = ms.Path
	}
	if s.cfg.Repository == "" {
		return nil
	}
	r.dir = s.cfg.Repository
	fi, err := os.Stat(r.dir)
	if err != nil {
		return fmt.Errorf("model repository: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("model repository %s is not a folder", r.dir)
	}
	file, err := modelFile(r.dir)
	if err != nil {
		return fmt.Errorf("model repository: %w", err)
	}
	if file != "" {
		r.single = s.cfg.ModelName
		if r.single == "" {
			r.single = "model"
		}
		if err := validName(r.single); err != nil {
			return fmt.Errorf("model name %q: %w", r.single, err)
		}
	}
	found, err := r.scan()
	if err != nil {
		return err
	}
	for name := range found {
		if _, dup := r.fixed[name]; dup {
			return fmt.Errorf("model %q is given by path and is in the model repository %s", name, r.dir)
		}
	}
	return nil
}

// modelFile returns the model file of a model version folder: model.onnx,
// else its only .onnx file, else "".
func modelFile(dir string) (string, error) {
	p := filepath.Join(dir, "model.onnx")
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p, nil
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	var onnx []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".onnx") && de.Type().IsRegular() {
			onnx = append(onnx, de.Name())
		}
	}
	switch len(onnx) {
	case 0:
		return "", nil
	case 1:
		return filepath.Join(dir, onnx[0]), nil
	}
	return "", fmt.Errorf("%s holds %d .onnx files (%s) and none is named model.onnx: name the one to serve model.onnx", dir, len(onnx), strings.Join(onnx, ", "))
}

// findModel locates the model of a model folder: FOLDER/model.onnx
// (version "1") or the highest version folder holding a model file,
// FOLDER/<n>/model.onnx (version n).
func findModel(folder string) located {
	file, err := modelFile(folder)
	if err != nil {
		return located{err: err}
	}
	if file != "" {
		return located{path: file, version: "1"}
	}
	des, err := os.ReadDir(folder)
	if err != nil {
		return located{err: err}
	}
	type version struct {
		n    uint64
		name string
	}
	var vs []version
	for _, de := range des {
		if !de.IsDir() {
			continue
		}
		if n, err := strconv.ParseUint(de.Name(), 10, 63); err == nil {
			vs = append(vs, version{n, de.Name()})
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].n > vs[j].n })
	for _, v := range vs {
		file, err := modelFile(filepath.Join(folder, v.name))
		if err != nil {
			return located{err: err}
		}
		if file != "" {
			return located{path: file, version: strconv.FormatUint(v.n, 10)}
		}
	}
	return located{missing: true, err: fmt.Errorf("no model file in %s: want %s or %s", folder,
		filepath.Join(folder, "model.onnx"), filepath.Join(folder, "<version>", "model.onnx"))}
}

// scan lists the models of the repository folder.
func (r *repository) scan() (map[string]located, error) {
	found := map[string]located{}
	if r.dir == "" {
		return found, nil
	}
	if r.single != "" {
		found[r.single] = findModel(r.dir)
		return found, nil
	}
	des, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("model repository: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		// Hidden folders (.git, Kubernetes' ..data links) and names no
		// request could address are not models.
		if strings.HasPrefix(name, ".") || validName(name) != nil {
			continue
		}
		isDir := de.IsDir()
		if de.Type()&fs.ModeSymlink != 0 {
			fi, err := os.Stat(filepath.Join(r.dir, name))
			isDir = err == nil && fi.IsDir()
		}
		if isDir {
			found[name] = findModel(filepath.Join(r.dir, name))
		}
	}
	return found, nil
}

// locate finds the file of model name.
func (r *repository) locate(name string) (located, error) {
	if p, ok := r.fixed[name]; ok {
		return located{path: p, version: "1"}, nil
	}
	var loc located
	switch {
	case r.dir == "":
		return loc, errorf(http.StatusNotFound, "unknown model %q: the server has no model repository (models: %s)", name, r.namesList())
	case r.single != "":
		if name != r.single {
			return loc, errorf(http.StatusNotFound, "unknown model %q: the model repository %s holds one model, %q", name, r.dir, r.single)
		}
		loc = findModel(r.dir)
	default:
		folder := filepath.Join(r.dir, name)
		if fi, err := os.Stat(folder); err != nil || !fi.IsDir() {
			return loc, errorf(http.StatusNotFound, "unknown model %q: no folder %s in the model repository", name, folder)
		}
		loc = findModel(folder)
	}
	if loc.err != nil {
		return loc, errorf(http.StatusBadRequest, "model %q: %v", name, loc.err)
	}
	return loc, nil
}

func (r *repository) entry(name string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[name]
	if e == nil {
		e = &entry{state: stateUnavailable}
		r.entries[name] = e
	}
	return e
}

func (r *repository) setState(e *entry, state, reason, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.state, e.reason = state, reason
	if version != "" {
		e.version = version
	}
}

// swap makes m the live model of name (nil: none) and returns the one it
// replaces.
func (r *repository) swap(name string, m *model) *model {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := *r.live.Load()
	next := make(map[string]*model, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	old := next[name]
	if m != nil {
		next[name] = m
	} else {
		delete(next, name)
	}
	r.live.Store(&next)
	r.s.metrics.loaded.Set(float64(len(next)))
	return old
}

// get returns the live model name, with a reference the caller releases.
// version "" takes the served version.
func (r *repository) get(name, version string) (*model, error) {
	for {
		m := (*r.live.Load())[name]
		if m == nil {
			if r.s.closed.Load() {
				return nil, errorf(http.StatusServiceUnavailable, "server is shut down")
			}
			return nil, r.notLoaded(name)
		}
		if !m.acquire() {
			continue // retired since the load; its successor is live
		}
		if version != "" && version != m.version {
			m.release()
			return nil, errorf(http.StatusNotFound, "model %q has no version %q (serving version %q)", name, version, m.version)
		}
		return m, nil
	}
}

func (r *repository) notLoaded(name string) error {
	r.mu.Lock()
	e := r.entries[name]
	var state, reason string
	if e != nil {
		state, reason = e.state, e.reason
	}
	r.mu.Unlock()
	if e == nil {
		return errorf(http.StatusNotFound, "unknown model %q (serving %s)", name, r.namesList())
	}
	if reason != "" {
		return errorf(http.StatusNotFound, "model %q is not loaded (%s: %s)", name, state, reason)
	}
	return errorf(http.StatusNotFound, "model %q is not loaded (%s)", name, state)
}

// known reports whether name is a model the server has heard of (for
// metric labels: unknown names would grow them without bound).
func (r *repository) known(name string) bool {
	if _, ok := (*r.live.Load())[name]; ok {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.entries[name]
	return ok
}

// names returns the live models' names in order.
func (r *repository) names() []string {
	live := *r.live.Load()
	out := make([]string, 0, len(live))
	for n := range live {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (r *repository) namesList() string {
	n := r.names()
	if len(n) == 0 {
		return "none"
	}
	return strings.Join(n, ", ")
}

// load loads model name, or reloads it: the new version serves new
// requests at once and the old one closes after its requests in flight.
// A failed reload leaves the old version serving.
func (r *repository) load(ctx context.Context, name string) error {
	if err := validName(name); err != nil {
		return errorf(http.StatusBadRequest, "model name %q: %v", name, err)
	}
	if r.s.closed.Load() {
		return errorf(http.StatusServiceUnavailable, "server is shut down")
	}
	loc, err := r.locate(name)
	if err != nil {
		return err
	}
	e := r.entry(name)
	e.op.Lock()
	defer e.op.Unlock()
	return r.loadLocked(ctx, name, e, loc)
}

// loadLocked is load with the entry's op lock held.
func (r *repository) loadLocked(ctx context.Context, name string, e *entry, loc located) error {
	if err := ctx.Err(); err != nil {
		return errorf(http.StatusServiceUnavailable, "load model %q: %w", name, err)
	}
	_, wasLive := (*r.live.Load())[name]
	if !wasLive {
		r.setState(e, stateLoading, "", loc.version)
	}
	start := time.Now()
	m, err := r.s.openModel(name, loc.version, loc.path)
	if err != nil {
		r.s.metrics.loads.WithLabelValues(name, "error").Inc()
		stamp, _ := stampOf(loc.path)
		r.mu.Lock()
		e.failed = stamp
		r.mu.Unlock()
		if wasLive {
			r.setState(e, stateReady, fmt.Sprintf("reload from %s failed, the loaded version still serves: %v", loc.path, err), "")
		} else {
			r.setState(e, stateUnavailable, err.Error(), "")
		}
		r.s.log.Error("model load failed", "model", name, "path", loc.path, "err", err)
		return errorf(http.StatusBadRequest, "load model %q from %s: %v", name, loc.path, err)
	}
	if r.s.closed.Load() {
		m.retire()
		return errorf(http.StatusServiceUnavailable, "server is shut down")
	}
	old := r.swap(name, m)
	r.mu.Lock()
	e.unloaded, e.failed = false, fileStamp{}
	r.mu.Unlock()
	r.setState(e, stateReady, "", loc.version)
	r.s.metrics.loads.WithLabelValues(name, "ok").Inc()
	what := "model loaded"
	if old != nil {
		what = "model reloaded"
		old.retire()
	}
	r.s.log.Info(what, "model", name, "version", loc.version, "path", loc.path, "backend", m.sess.Backend(), "took", time.Since(start))
	return nil
}

// unload takes model name out of service; it waits (until ctx ends) for
// the requests in flight on it to finish.
func (r *repository) unload(ctx context.Context, name string) error {
	r.mu.Lock()
	e := r.entries[name]
	r.mu.Unlock()
	if e == nil {
		return errorf(http.StatusNotFound, "unknown model %q (serving %s)", name, r.namesList())
	}
	e.op.Lock()
	defer e.op.Unlock()
	return r.unloadLocked(ctx, name, e, "unloaded")
}

func (r *repository) unloadLocked(ctx context.Context, name string, e *entry, reason string) error {
	old := r.swap(name, nil)
	r.mu.Lock()
	e.unloaded = true
	r.mu.Unlock()
	if old == nil {
		r.setState(e, stateUnavailable, reason, "")
		return nil
	}
	r.setState(e, stateUnloading, reason, "")
	old.retire()
	r.s.log.Info("model unloading", "model", name, "reason", reason)
	select {
	case <-old.closed:
		r.setState(e, stateUnavailable, reason, "")
	case <-ctx.Done():
		go func() {
			<-old.closed
			r.mu.Lock()
			if e.state == stateUnloading {
				e.state, e.reason = stateUnavailable, reason
			}
			r.mu.Unlock()
		}()
	}
	return nil
}

// loadAll loads every model at start. A model file that fails to load, or
// a folder with several candidates, is an error; a repository folder
// without any model file is only reported (state UNAVAILABLE), so stray
// folders (lost+found) do not stop a server.
func (r *repository) loadAll(ctx context.Context) error {
	names := make([]string, 0, len(r.fixed))
	for n := range r.fixed {
		names = append(names, n)
	}
	found, err := r.scan()
	if err != nil {
		return err
	}
	for n, loc := range found {
		if loc.err != nil && !loc.missing {
			return fmt.Errorf("model %q: %w", n, loc.err)
		}
		if loc.err != nil {
			e := r.entry(n)
			r.setState(e, stateUnavailable, loc.err.Error(), "")
			r.s.log.Warn("model folder without a model", "model", n, "err", loc.err)
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := r.load(ctx, n); err != nil {
			return err
		}
	}
	if len(names) == 0 {
		r.s.log.Warn("model repository holds no models yet", "repository", r.dir)
	}
	return nil
}

// indexEntry is one model of the repository index.
type indexEntry struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
}

// index lists every model the server knows: loaded, given by path, or in
// the repository folder, by name.
func (r *repository) index(readyOnly bool) ([]indexEntry, error) {
	found, err := r.scan()
	if err != nil {
		return nil, err
	}
	live := *r.live.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	names := map[string]bool{}
	for n := range r.fixed {
		names[n] = true
	}
	for n := range found {
		names[n] = true
	}
	for n := range r.entries {
		names[n] = true
	}
	for n := range live {
		names[n] = true
	}
	out := []indexEntry{}
	for n := range names {
		ie := indexEntry{Name: n, State: stateUnavailable}
		if e := r.entries[n]; e != nil {
			ie.Version, ie.State, ie.Reason = e.version, e.state, e.reason
		} else if loc, ok := found[n]; ok {
			ie.Version, ie.Reason = loc.version, "not loaded"
			if loc.err != nil {
				ie.Reason = loc.err.Error()
			}
		}
		if m := live[n]; m != nil {
			ie.Version, ie.State = m.version, stateReady
		}
		if readyOnly && ie.State != stateReady {
			continue
		}
		out = append(out, ie)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// poll rescans the repository every interval until stop closes.
func (r *repository) poll(every time.Duration, stop chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-stop
		cancel()
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			r.rescan(ctx)
		}
	}
}

// rescan loads new model folders, reloads models whose file changed (a
// new version folder, or a rewritten file) and unloads models whose folder
// is gone. Models unloaded on request stay unloaded.
func (r *repository) rescan(ctx context.Context) {
	found, err := r.scan()
	if err != nil {
		r.s.log.Error("model repository scan failed", "err", err)
		return
	}
	names := make([]string, 0, len(found))
	for n := range found {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		loc := found[n]
		if loc.err != nil || ctx.Err() != nil {
			continue
		}
		r.reloadIfChanged(ctx, n, loc)
	}
	for _, n := range r.names() {
		if _, ok := r.fixed[n]; ok {
			continue
		}
		if _, ok := found[n]; !ok && ctx.Err() == nil {
			e := r.entry(n)
			e.op.Lock()
			r.unloadLocked(ctx, n, e, "removed from the model repository")
			r.mu.Lock()
			e.unloaded = false // a folder that comes back is loaded again
			r.mu.Unlock()
			e.op.Unlock()
		}
	}
}

// reloadIfChanged loads model name from loc unless it was unloaded on
// request, its file is the one a load last failed on, or the live version
// was loaded from that very file. The checks and the load happen under the
// model's op lock, so an unload or load request that comes between them
// is never undone by the poll.
func (r *repository) reloadIfChanged(ctx context.Context, name string, loc located) {
	if _, err := stampOf(loc.path); err != nil {
		return // gone since the scan
	}
	e := r.entry(name)
	e.op.Lock()
	defer e.op.Unlock()
	stamp, err := stampOf(loc.path)
	if err != nil {
		return
	}
	r.mu.Lock()
	skip := e.unloaded || e.failed == stamp
	r.mu.Unlock()
	if m := (*r.live.Load())[name]; skip || m != nil && m.fingerprint == stamp {
		return
	}
	// A failure is logged and recorded in the entry.
	_ = r.loadLocked(ctx, name, e, loc)
}

// closeAll unloads every model and waits for each to close.
func (r *repository) closeAll() error {
	r.mu.Lock()
	live := *r.live.Load()
	empty := map[string]*model{}
	r.live.Store(&empty)
	r.mu.Unlock()
	var first error
	for _, m := range live {
		m.retire()
	}
	for _, m := range live {
		<-m.closed
		if m.closeErr != nil && first == nil {
			first = m.closeErr
		}
	}
	return first
}
