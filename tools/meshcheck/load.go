package meshcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// StdinName is the file name objects read from standard input carry.
const StdinName = "<stdin>"

// MaxInputBytes bounds one input file or stdin, so a runaway pipe cannot
// exhaust memory.
var MaxInputBytes = 256 << 20

// known lists the kinds the rules inspect, with the one served version
// (Kubernetes 1.37) each is decoded from, strictly, into k8s.io/api types.
var known = map[schema.GroupKind]struct {
	version string
	new     func() any
}{
	{Group: "", Kind: "Namespace"}:             {"v1", func() any { return new(corev1.Namespace) }},
	{Group: "", Kind: "Service"}:               {"v1", func() any { return new(corev1.Service) }},
	{Group: "", Kind: "Pod"}:                   {"v1", func() any { return new(corev1.Pod) }},
	{Group: "apps", Kind: "Deployment"}:        {"v1", func() any { return new(appsv1.Deployment) }},
	{Group: "apps", Kind: "StatefulSet"}:       {"v1", func() any { return new(appsv1.StatefulSet) }},
	{Group: "apps", Kind: "DaemonSet"}:         {"v1", func() any { return new(appsv1.DaemonSet) }},
	{Group: "apps", Kind: "ReplicaSet"}:        {"v1", func() any { return new(appsv1.ReplicaSet) }},
	{Group: "batch", Kind: "Job"}:              {"v1", func() any { return new(batchv1.Job) }},
	{Group: "batch", Kind: "CronJob"}:          {"v1", func() any { return new(batchv1.CronJob) }},
	{Group: "", Kind: "ReplicationController"}: {"v1", func() any { return new(corev1.ReplicationController) }},
}

// removedAPIs are groups that once served a workload kind; a manifest
// still using one would be rejected by the API server, so it is an input error.
var removedAPIs = map[schema.GroupKind]string{
	{Group: "extensions", Kind: "Deployment"}:  "apps/v1",
	{Group: "extensions", Kind: "DaemonSet"}:   "apps/v1",
	{Group: "extensions", Kind: "ReplicaSet"}:  "apps/v1",
	{Group: "extensions", Kind: "StatefulSet"}: "apps/v1",
}

// Load reads every path: files, directories (recursively, *.yaml, *.yml and
// *.json; hidden files and directories are skipped) and "-" for stdin.
// Objects come back in input order. A non-nil error is either InputErrors
// (bad documents; the objects read so far are still returned) or an I/O error.
func Load(paths []string, stdin io.Reader) ([]*Object, error) {
	var objs []*Object
	var errs InputErrors
	for _, p := range paths {
		if p == "-" {
			o, err := Parse(stdin, StdinName)
			objs = append(objs, o...)
			if err := collect(&errs, err); err != nil {
				return objs, err
			}
			continue
		}
		files, err := expand(p)
		if err != nil {
			return objs, err
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				return objs, err
			}
			o, err := Parse(fh, f)
			fh.Close()
			objs = append(objs, o...)
			if err := collect(&errs, err); err != nil {
				return objs, err
			}
		}
	}
	errs = append(errs, duplicates(objs)...)
	if len(errs) > 0 {
		return objs, errs
	}
	return objs, nil
}

// duplicates reports objects defined twice: kubectl would apply the last,
// Helm and kustomize refuse, and the rules cannot tell which one is meant
// (usually two overlays passed to one run).
func duplicates(objs []*Object) InputErrors {
	var errs InputErrors
	seen := make(map[string]*Object, len(objs))
	for _, o := range objs {
		gv, _ := schema.ParseGroupVersion(o.APIVersion)
		key := gv.Group + "/" + o.Kind + "/" + o.Namespace + "/" + o.Name
		if first, dup := seen[key]; dup {
			errs = append(errs, &InputError{File: o.File, Line: o.Line, Msg: fmt.Sprintf(
				"%s is defined twice (first at %s:%d); check one rendered overlay per run", o.Ref(), first.File, first.Line)})
			continue
		}
		seen[key] = o
	}
	return errs
}

// collect appends input errors to errs and returns any other error.
func collect(errs *InputErrors, err error) error {
	var ie InputErrors
	if errors.As(err, &ie) {
		*errs = append(*errs, ie...)
		return nil
	}
	return err
}

// expand turns a path into the manifest files under it.
func expand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if path != p && strings.HasPrefix(name, ".") {
			// .git, .github and editor files are not manifests.
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".yaml", ".yml", ".json":
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

// Parse reads one stream of manifests (multi-document YAML, a JSON object,
// or a kind: List) named name in messages.
func Parse(r io.Reader, name string) ([]*Object, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxInputBytes {
		return nil, InputErrors{{File: name, Msg: fmt.Sprintf("input larger than %d bytes; split it", MaxInputBytes)}}
	}
	chunks := splitDocs(data)
	type result struct {
		objs []*Object
		errs InputErrors
	}
	results := make([]result, len(chunks))
	// Documents are independent: decode them on every CPU, in order-keeping
	// slots. Small inputs stay on one goroutine.
	workers := min(runtime.GOMAXPROCS(0), len(chunks)/parallelChunks+1)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(chunks) {
					return
				}
				chunks[i].source = helmSource(chunks[i].data)
				results[i].objs, results[i].errs = parseChunk(chunks[i], name)
			}
		})
	}
	wg.Wait()
	var objs []*Object
	var errs InputErrors
	for _, r := range results {
		objs = append(objs, r.objs...)
		errs = append(errs, r.errs...)
	}
	if len(errs) > 0 {
		return objs, errs
	}
	return objs, nil
}

// readAll reads r up to one byte over MaxInputBytes, sizing the buffer up
// front when r knows its size (files, in-memory readers) rather than
// growing it in steps.
func readAll(r io.Reader) ([]byte, error) {
	size := -1
	switch v := r.(type) {
	case interface{ Len() int }:
		size = v.Len()
	case interface{ Stat() (fs.FileInfo, error) }:
		if st, err := v.Stat(); err == nil && st.Mode().IsRegular() {
			size = int(st.Size())
		}
	}
	lr := io.LimitReader(r, int64(MaxInputBytes)+1)
	if size < 0 || size > MaxInputBytes {
		return io.ReadAll(lr)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(lr)
	return buf.Bytes(), err
}

// parallelChunks is how many documents make another decoding goroutine worth it.
const parallelChunks = 64

type chunk struct {
	data   []byte
	text   string // data as a string, for the fast path
	line   int    // file line of the chunk's first line
	source string // Helm "# Source:" template (set by Parse's workers)
}

// splitDocs cuts a stream at "---" lines (as kubectl and Helm do), keeping
// each chunk's starting line so node lines map back to the file. The chunks'
// texts alias data, which must not change afterwards. It looks only at the
// "---" in the input, found with bytes.Index (a hyphen is far rarer than a
// line break, so this skips most lines without looking at them), and counts
// lines with the vectorised bytes.Count: it runs on one core, before the
// documents are spread over all of them.
func splitDocs(data []byte) []chunk {
	var chunks []chunk
	start, startLine := 0, 1
	counted, line := 0, 1 // line is the number of the line starting at byte counted
	for from := 1; from < len(data); {
		i := bytes.Index(data[from:], []byte("---"))
		if i < 0 {
			break
		}
		at := from + i
		from = at + 3
		// A separator starts a line (and is never the first line of a chunk).
		if data[at-1] != '\n' || !isDocSep(data[at:min(len(data), at+4)]) {
			continue
		}
		line += bytes.Count(data[counted:at], []byte{'\n'})
		counted = at
		chunks = append(chunks, chunk{data: data[start:at], line: startLine})
		start, startLine = at, line
	}
	chunks = append(chunks, chunk{data: data[start:], line: startLine})
	// The input as a string without a copy: the fast path's node values are
	// substrings of it rather than a copy each. data is never written after
	// it is read (see splitDocs' contract), so the aliasing is safe, and it
	// saves copying (and faulting in) a second input-sized buffer.
	text := unsafe.String(unsafe.SliceData(data), len(data))
	off := 0
	for i := range chunks {
		chunks[i].text = text[off : off+len(chunks[i].data)]
		off += len(chunks[i].data)
	}
	return chunks
}

func isDocSep(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\n' || l[3] == '\r'
}

// helmSource finds "# Source: x" among the comment lines leading a document.
func helmSource(d []byte) string {
	for len(d) > 0 {
		l := d
		if i := bytes.IndexByte(d, '\n'); i >= 0 {
			l, d = d[:i], d[i+1:]
		} else {
			d = nil
		}
		t := bytes.TrimSpace(l)
		switch {
		case len(t) == 0 || string(t) == "---":
		case bytes.HasPrefix(t, []byte("# Source:")):
			return string(bytes.TrimSpace(t[len("# Source:"):]))
		case t[0] == '#':
		default:
			return ""
		}
	}
	return ""
}

// parseChunk decodes the YAML documents in one chunk (usually one).
func parseChunk(c chunk, name string) (objs []*Object, errs InputErrors) {
	if !generalOnly {
		sc := scratchPool.Get().(*fastScratch)
		defer sc.release()
		if root, ok := sc.parse(c.text, true); ok {
			if objs, ok := decodeFast(root, name, c); ok {
				return objs, nil
			}
			return decodeObject(root.yaml(), name, c.line, c.source, "")
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(c.data))
	for {
		var doc yaml.Node
		err := safeDecode(dec.Decode, &doc)
		if errors.Is(err, io.EOF) {
			return objs, errs
		}
		if err != nil {
			return objs, append(errs, yamlError(err, name, c.line))
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document, as Helm renders for disabled templates
		}
		o, e := decodeObject(root, name, c.line, c.source, "")
		objs = append(objs, o...)
		errs = append(errs, e...)
	}
}

// decodeFast is decodeObject's common case taken on the fast path's tree: a
// known kind that decodes cleanly (decodeDirect), with a name. Anything
// else (other kinds, errors, no name) returns ok false, and decodeObject
// runs on the yaml.Node tree, so errors and unusual objects are handled in
// one place. FuzzFastPathSameResult compares the two.
func decodeFast(root *fnode, name string, c chunk) ([]*Object, bool) {
	apiVersion, kind := root.scalarAt("apiVersion"), root.scalarAt("kind")
	gv, err := schema.ParseGroupVersion(apiVersion)
	if apiVersion == "" || kind == "" || err != nil {
		return nil, false
	}
	k, ok := known[schema.GroupKind{Group: gv.Group, Kind: kind}]
	if !ok || gv.Version != k.version {
		return nil, false
	}
	typed := k.new()
	if !decodeDirect(root, typed) {
		return nil, false
	}
	meta := typed.(metav1.Object)
	o := &Object{
		APIVersion: apiVersion, Kind: kind, Namespace: meta.GetNamespace(), Name: meta.GetName(),
		Labels: meta.GetLabels(), Annotations: meta.GetAnnotations(),
		File: name, Line: int(root.line) + c.line - 1, Source: c.source, Typed: typed,
		lazy: &lazyTree{text: c.text}, line: c.line,
	}
	if o.Name == "" {
		if meta.GetGenerateName() == "" {
			return nil, false
		}
		o.Name = meta.GetGenerateName() + "*"
	}
	return []*Object{o}, true
}

// safeDecode runs a YAML library decode, turning a panic inside the library
// on hostile input into an error: meshcheck must never crash on its input.
// Only the library call is guarded, so meshcheck's own bugs still surface.
func safeDecode(decode func(any) error, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML parser failed on this document: %v", r)
		}
	}()
	return decode(v)
}

// yamlError turns "yaml: line N: msg" (N relative to the chunk) into an
// InputError with the file line.
func yamlError(err error, name string, offset int) *InputError {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimSpace(msg)
	line := offset
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			var l int
			if _, e := fmt.Sscanf(n, "%d", &l); e == nil {
				line = offset + l - 1
				msg = after
			}
		}
	}
	return &InputError{File: name, Line: line, Msg: "YAML syntax error: " + msg}
}

// objectHeader is what every Kubernetes object has, whatever its kind.
type objectHeader struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
}

// decodeObject turns one mapping node into objects (several for a List).
// listVersion is set for List items, which may omit apiVersion.
func decodeObject(n *yaml.Node, name string, offset int, source string, where string) ([]*Object, InputErrors) {
	line := n.Line + offset - 1
	fail := func(l int, format string, a ...any) ([]*Object, InputErrors) {
		return nil, InputErrors{{File: name, Line: l, Msg: where + fmt.Sprintf(format, a...)}}
	}
	if n.Kind != yaml.MappingNode {
		return fail(line, "document is a %s, want a Kubernetes object (a mapping with apiVersion, kind and metadata)", nodeKind(n))
	}
	// Fast path: known kinds in plain YAML go straight from node to JSON to
	// the typed object.
	if k, ok := known[groupKindOf(n)]; ok && k.version == versionOf(n) {
		buf := jsonBufs.Get().(*bytes.Buffer)
		buf.Reset()
		ok := nodeJSON(n, buf)
		var objs []*Object
		var errs InputErrors
		if ok {
			o := &Object{File: name, Line: line, Source: source, node: n, line: offset}
			objs, errs, ok = decodeKnown(o, buf.Bytes(), where)
		}
		jsonBufs.Put(buf) // the decoders copy what they keep
		if ok {
			return objs, errs
		}
	}
	var v any
	if err := safeDecode(n.Decode, &v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// Decode errors (duplicate keys ...) come as "line N: msg", N relative to the chunk.
			var errs InputErrors
			for _, e := range te.Errors {
				errs = append(errs, yamlError(errors.New(e), name, offset))
			}
			return nil, errs
		}
		return nil, InputErrors{yamlError(err, name, offset)}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fail(line, "cannot convert to JSON (%v); Kubernetes objects need string keys and finite numbers", err)
	}
	o := &Object{File: name, Line: line, Source: source, node: n, line: offset}
	if objs, errs, ok := decodeKnown(o, data, where); ok {
		return objs, errs
	}
	var h objectHeader
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &h); err != nil {
		return fail(o.errLine(err), "%s", fieldErrorText(err, "object"))
	}
	o.APIVersion, o.Kind = h.APIVersion, h.Kind
	o.Namespace, o.Name = h.Metadata.Namespace, h.Metadata.Name
	o.Labels, o.Annotations = h.Metadata.Labels, h.Metadata.Annotations
	switch {
	case o.APIVersion == "":
		return fail(line, "missing apiVersion: every Kubernetes object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)")
	case o.Kind == "":
		return fail(line, "missing kind: every Kubernetes object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)")
	}
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return fail(o.LineOf("apiVersion"), "apiVersion %q is not group/version (e.g. apps/v1): %v", o.APIVersion, err)
	}
	if gv.Group == "kustomize.config.k8s.io" {
		return nil, nil // kustomization.yaml and components configure a build; they are not applied
	}
	if o.Kind == "List" || (strings.HasSuffix(o.Kind, "List") && n != nil && child(n, "items") != nil) {
		return decodeList(o, n, gv, name, offset, source)
	}
	if o.Name == "" && h.Metadata.GenerateName == "" {
		return fail(o.LineOf("metadata"), "%s has no metadata.name; set metadata.name to the object's name", o.Kind)
	}
	if o.Name == "" {
		o.Name = h.Metadata.GenerateName + "*"
	}
	k, ok := known[schema.GroupKind{Group: gv.Group, Kind: o.Kind}]
	if moved, isOld := removedAPIs[schema.GroupKind{Group: gv.Group, Kind: o.Kind}]; isOld {
		return fail(o.LineOf("apiVersion"), "%s %s: apiVersion %s is not served by Kubernetes 1.37; use %s", o.Kind, o.Name, o.APIVersion, moved)
	}
	if !ok {
		return []*Object{o}, nil // CRDs and kinds no rule reads: accepted as they are
	}
	if gv.Version != k.version {
		return fail(o.LineOf("apiVersion"), "%s %s: apiVersion %s is not served by Kubernetes 1.37; use %s",
			o.Kind, o.Name, o.APIVersion, schema.GroupVersion{Group: gv.Group, Version: k.version})
	}
	typed := k.new()
	strict, err := kjson.UnmarshalStrict(data, typed, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return fail(o.errLine(err), "%s %s: %s", o.Kind, o.Name, fieldErrorText(err, o.Kind))
	}
	if len(strict) > 0 {
		var errs InputErrors
		for _, e := range strict {
			errs = append(errs, &InputError{File: name, Line: o.errLine(e), Msg: where + fmt.Sprintf("%s %s: %s (not a field of %s %s; check the spelling and indentation)",
				o.Kind, o.Name, strings.TrimPrefix(e.Error(), "json: "), o.APIVersion, o.Kind)})
		}
		return nil, errs
	}
	o.Typed = typed
	return []*Object{o}, nil
}

// decodeKnown is the fast path for the kinds the rules read: one strict
// decode into the k8s.io/api type (fastJSON, or sigs.k8s.io/json when that
// fails), metadata taken from it. ok is false when
// the object is anything else (or its header is unusual), and the general
// path decides.
func decodeKnown(o *Object, data []byte, where string) (objs []*Object, errs InputErrors, ok bool) {
	apiVersion, kind := scalarAt(o.tree(), "apiVersion"), scalarAt(o.tree(), "kind")
	gv, err := schema.ParseGroupVersion(apiVersion)
	if apiVersion == "" || kind == "" || err != nil {
		return nil, nil, false
	}
	k, isKnown := known[schema.GroupKind{Group: gv.Group, Kind: kind}]
	if !isKnown || gv.Version != k.version {
		return nil, nil, false
	}
	o.APIVersion, o.Kind = apiVersion, kind
	name := scalarAt(valueAt(o.tree(), "metadata"), "name")
	typed := k.new()
	if generalOnly || fastJSON.Unmarshal(data, typed) != nil {
		// Only the strict decoder's verdict and messages count: rerun it.
		typed = k.new()
		strict, err := kjson.UnmarshalStrict(data, typed, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if errs, ok := strictErrors(o, kind, name, apiVersion, where, strict, err); !ok {
			return nil, errs, true
		}
	}
	meta := typed.(metav1.Object)
	o.Namespace, o.Name = meta.GetNamespace(), meta.GetName()
	o.Labels, o.Annotations = meta.GetLabels(), meta.GetAnnotations()
	if o.Name == "" && meta.GetGenerateName() == "" {
		return nil, InputErrors{{File: o.File, Line: o.LineOf("metadata"), Msg: where + fmt.Sprintf("%s has no metadata.name; set metadata.name to the object's name", kind)}}, true
	}
	if o.Name == "" {
		o.Name = meta.GetGenerateName() + "*"
	}
	o.Typed = typed
	return []*Object{o}, nil, true
}

// fastJSON decodes the JSON written from a known kind's node into its
// k8s.io/api type about twice as fast as sigs.k8s.io/json, as strictly:
// case-sensitive names, unknown fields rejected (duplicates cannot occur:
// nodeJSON refuses them). Any error falls back to the strict decoder, whose
// messages name the field; FuzzFastJSONMatchesStrict proves that what this
// accepts, the strict decoder accepts with the same result.
var fastJSON = jsoniter.Config{CaseSensitive: true, DisallowUnknownFields: true, ValidateJsonRawMessage: true}.Froze()

// strictErrors turns the strict decoder's result into input errors; ok is
// true when there are none.
func strictErrors(o *Object, kind, name, apiVersion, where string, strict []error, err error) (errs InputErrors, ok bool) {
	if err != nil {
		return InputErrors{{File: o.File, Line: o.errLine(err), Msg: where + fmt.Sprintf("%s %s: %s", kind, name, fieldErrorText(err, kind))}}, false
	}
	for _, e := range strict {
		errs = append(errs, &InputError{File: o.File, Line: o.errLine(e), Msg: where + fmt.Sprintf("%s %s: %s (not a field of %s %s; check the spelling and indentation)",
			kind, name, strings.TrimPrefix(e.Error(), "json: "), apiVersion, kind)})
	}
	return errs, len(errs) == 0
}

// generalOnly turns the fast paths (parseFast, fastJSON) off, so tests and
// benchmarks can measure and compare the general path.
var generalOnly = false

// jsonBufs recycles the buffers nodeJSON writes into.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// groupKindOf and versionOf read apiVersion and kind straight from the node.
func groupKindOf(n *yaml.Node) schema.GroupKind {
	gv, _ := schema.ParseGroupVersion(scalarAt(n, "apiVersion"))
	return schema.GroupKind{Group: gv.Group, Kind: scalarAt(n, "kind")}
}

func versionOf(n *yaml.Node) string {
	gv, _ := schema.ParseGroupVersion(scalarAt(n, "apiVersion"))
	return gv.Version
}

// scalarAt returns the string value under key in mapping n, or "".
func scalarAt(n *yaml.Node, key string) string {
	c := valueAt(n, key)
	if c == nil || c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
		return ""
	}
	return c.Value
}

// valueAt is child(n, key) without the copy child makes to carry the
// key's line: the value node itself, for reading values.
func valueAt(n *yaml.Node, key string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func decodeList(o *Object, n *yaml.Node, gv schema.GroupVersion, name string, offset int, source string) ([]*Object, InputErrors) {
	items := child(n, "items")
	if items == nil {
		return nil, nil // an empty List
	}
	// child copies the node; use the original elements for their own lines.
	var orig *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "items" {
			orig = n.Content[i+1]
		}
	}
	for orig != nil && orig.Kind == yaml.AliasNode {
		orig = orig.Alias
	}
	if orig == nil || (orig.Kind != yaml.SequenceNode && !(orig.Kind == yaml.ScalarNode && orig.Tag == "!!null")) {
		return nil, InputErrors{{File: name, Line: o.LineOf("items"), Msg: fmt.Sprintf("%s: items must be a list of objects", o.Kind)}}
	}
	var objs []*Object
	var errs InputErrors
	itemKind := strings.TrimSuffix(o.Kind, "List")
	for i, it := range orig.Content {
		for it.Kind == yaml.AliasNode && it.Alias != nil {
			it = it.Alias
		}
		// A typed list (DeploymentList) may leave apiVersion/kind off its items.
		if o.Kind != "List" && it.Kind == yaml.MappingNode {
			it = withDefaults(it, gv.String(), itemKind)
		}
		got, e := decodeObject(it, name, offset, source, fmt.Sprintf("%s item %d: ", o.Kind, i))
		objs = append(objs, got...)
		errs = append(errs, e...)
	}
	return objs, errs
}

// withDefaults returns a copy of mapping m with apiVersion and kind added
// when missing.
func withDefaults(m *yaml.Node, apiVersion, kind string) *yaml.Node {
	has := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		has[m.Content[i].Value] = true
	}
	c := *m
	c.Content = append([]*yaml.Node(nil), m.Content...)
	for _, kv := range [][2]string{{"apiVersion", apiVersion}, {"kind", kind}} {
		if !has[kv[0]] {
			c.Content = append(c.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[0], Line: m.Line},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: kv[1], Line: m.Line})
		}
	}
	return &c
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar (" + strings.TrimPrefix(n.Tag, "!!") + ")"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}

// errLine finds the line of the field a decode error names.
func (o *Object) errLine(err error) int {
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		return o.lineOfFieldPath(fe.FieldPath())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return o.lineOfFieldPath(te.Field)
	}
	return o.Line
}

// fieldErrorText rewrites decoder errors into "field: got X, want Y".
func fieldErrorText(err error, what string) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %s: got a %s, want %s", te.Field, jsonValueName(te.Value), typeName(te.Type))
	}
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		return fmt.Sprintf("field %s: %s", fe.FieldPath(), strings.TrimPrefix(err.Error(), "json: "))
	}
	return fmt.Sprintf("not a valid %s: %s", what, strings.TrimPrefix(err.Error(), "json: "))
}

func jsonValueName(v string) string {
	switch v {
	case "array":
		return "list"
	case "object":
		return "mapping"
	}
	if strings.HasPrefix(v, "number") {
		return "number"
	}
	return v
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Slice:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Int8, reflect.Int16, reflect.Uint8, reflect.Uint16:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return t.String()
}
