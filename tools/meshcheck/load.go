package meshcheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	yaml3 "go.yaml.in/yaml/v3"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// StdinName is the file name objects read from standard input carry.
const StdinName = "<stdin>"

// MaxInputBytes bounds one input file or stdin, so a runaway pipe cannot
// exhaust memory.
var MaxInputBytes = 256 << 20

// known lists the kinds the rules inspect (and ConfigMaps and Secrets,
// whose values are all strings, the commonest YAML 1.1 surprise), with the
// one version Kubernetes 1.37 serves for each, decoded strictly into
// k8s.io/api types.
var known = map[schema.GroupKind]struct {
	version string
	new     func() any
}{
	{Group: "", Kind: "Namespace"}:             {"v1", func() any { return new(corev1.Namespace) }},
	{Group: "", Kind: "Service"}:               {"v1", func() any { return new(corev1.Service) }},
	{Group: "", Kind: "Pod"}:                   {"v1", func() any { return new(corev1.Pod) }},
	{Group: "", Kind: "ReplicationController"}: {"v1", func() any { return new(corev1.ReplicationController) }},
	{Group: "", Kind: "ConfigMap"}:             {"v1", func() any { return new(corev1.ConfigMap) }},
	{Group: "", Kind: "Secret"}:                {"v1", func() any { return new(corev1.Secret) }},
	{Group: "apps", Kind: "Deployment"}:        {"v1", func() any { return new(appsv1.Deployment) }},
	{Group: "apps", Kind: "StatefulSet"}:       {"v1", func() any { return new(appsv1.StatefulSet) }},
	{Group: "apps", Kind: "DaemonSet"}:         {"v1", func() any { return new(appsv1.DaemonSet) }},
	{Group: "apps", Kind: "ReplicaSet"}:        {"v1", func() any { return new(appsv1.ReplicaSet) }},
	{Group: "batch", Kind: "Job"}:              {"v1", func() any { return new(batchv1.Job) }},
	{Group: "batch", Kind: "CronJob"}:          {"v1", func() any { return new(batchv1.CronJob) }},
}

// templateKinds are workload kinds outside k8s.io/api that mesh users run
// (progressive delivery, OpenShift, OpenKruise): their pods come from
// spec.template, a core/v1 PodTemplateSpec, decoded strictly; the rest of
// the object is theirs.
var templateKinds = map[schema.GroupKind]bool{
	{Group: "argoproj.io", Kind: "Rollout"}:                true,
	{Group: "apps.openshift.io", Kind: "DeploymentConfig"}: true,
	{Group: "apps.kruise.io", Kind: "CloneSet"}:            true,
	{Group: "apps.kruise.io", Kind: "StatefulSet"}:         true,
	{Group: "apps.kruise.io", Kind: "DaemonSet"}:           true,
}

// removedAPIs are groups that once served a workload kind: the API server
// refuses them today.
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
	read := func(r io.Reader, name string) error {
		o, err := Parse(r, name)
		objs = append(objs, o...)
		var ie InputErrors
		if errors.As(err, &ie) {
			errs = append(errs, ie...)
			return nil
		}
		return err
	}
	for _, p := range paths {
		if p == "-" {
			if err := read(stdin, StdinName); err != nil {
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
			err = read(fh, f)
			fh.Close()
			if err != nil {
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
			errs = append(errs, &InputError{File: o.File, Line: o.LineOf(), Msg: fmt.Sprintf(
				"%s is defined twice (first at %s:%d); check one rendered overlay per run", o.Ref(), first.File, first.LineOf())})
			continue
		}
		seen[key] = o
	}
	return errs
}

// expand turns a path into the manifest files under it.
func expand(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return []string{p}, err
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case path != p && strings.HasPrefix(d.Name(), "."):
			// .git, .github and editor files are not manifests.
			if d.IsDir() {
				return filepath.SkipDir
			}
		case !d.IsDir():
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
				files = append(files, path)
			}
		}
		return nil
	})
	return files, err // WalkDir visits in lexical order
}

// Parse reads one stream of manifests, named name in messages, as
// `kubectl apply -f` reads a file: YAML documents or JSON values, Lists
// expanded, YAML 1.1 scalars and non-string keys converted the way
// sigs.k8s.io/yaml converts them. The kinds the rules read are decoded
// strictly (unknown and duplicate fields refused), as the API server's
// strict field validation does.
func Parse(r io.Reader, name string) ([]*Object, error) {
	// kubectl reads files through this transform: a UTF-8 or UTF-16 byte
	// order mark picks the encoding and is dropped.
	r = transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
	data, err := io.ReadAll(io.LimitReader(r, int64(MaxInputBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxInputBytes {
		return nil, InputErrors{{File: name, Msg: fmt.Sprintf("input larger than %d bytes; split it", MaxInputBytes)}}
	}
	docs, errs := split(data, name)
	var objs []*Object
	for _, d := range docs {
		o, e := decodeDocument(d, name)
		objs = append(objs, o...)
		errs = append(errs, e...)
	}
	if len(errs) > 0 {
		return objs, errs
	}
	return objs, nil
}

// split cuts a stream into documents the way kubectl's YAMLOrJSONDecoder
// (k8s.io/apimachinery/pkg/util/yaml) does: a stream that starts with '{'
// is a sequence of JSON values (newline-delimited JSON too) and becomes
// YAML from the point where its first or second value does not parse;
// YAML is split at "---" lines by the same package's YAMLReader.
func split(data []byte, file string) ([]*document, InputErrors) {
	var docs []*document
	base := 0 // offset of the YAML part in data
	lines := lineCounter{data: data, line: 1}
	if utilyaml.IsJSONBuffer(data[:min(len(data), 4096)]) {
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			end := int(dec.InputOffset())
			start := end + len(data[end:]) - len(bytes.TrimLeft(data[end:], " \t\r\n"))
			var raw json.RawMessage
			err := dec.Decode(&raw)
			if err == io.EOF {
				return docs, nil
			}
			if err != nil && len(docs) > 1 {
				return docs, InputErrors{{File: file, Line: lines.at(start), Msg: "JSON syntax error in the value starting here: " + err.Error()}}
			}
			if err != nil {
				base = end // as kubectl: YAML from here
				break
			}
			docs = append(docs, &document{text: raw, json: raw, line: lines.at(start)})
		}
	}
	yamlPart, first := data[base:], lines.at(base)
	starts, badLine := documentLines(yamlPart)
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(yamlPart)))
	for i := 0; ; i++ {
		text, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil || i >= len(starts) {
			return docs, InputErrors{{File: file, Line: first + badLine - 1,
				Msg: fmt.Sprintf("YAML syntax error: %v; a \"---\" line may carry a comment only", err)}}
		}
		docs = append(docs, &document{text: text, line: first + starts[i] - 1})
	}
}

// documentLines returns the first line of every document YAMLReader
// returns, and the separator line it stops at when one carries more than a
// comment. It follows YAMLReader line by line: a "---" line ends a
// document that has lines, and starts one (as YAML's document marker)
// otherwise.
func documentLines(data []byte) (starts []int, badSeparator int) {
	empty := true
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		after, sep := bytes.CutPrefix(line, []byte("---"))
		if t := bytes.TrimSpace(after); sep && len(t) > 0 && t[0] != '#' {
			return starts, n
		}
		if sep && !empty {
			empty = true
			continue
		}
		if empty {
			starts = append(starts, n)
		}
		empty = false
	}
	return starts, 0
}

// lineCounter numbers the lines of data for offsets that only grow, so
// numbering every document of a stream stays linear.
type lineCounter struct {
	data      []byte
	off, line int
}

func (c *lineCounter) at(offset int) int {
	offset = min(offset, len(c.data))
	c.line += bytes.Count(c.data[c.off:offset], []byte("\n"))
	c.off = offset
	return c.line
}

// decodeDocument turns one document into objects (several for a List).
func decodeDocument(d *document, file string) ([]*Object, InputErrors) {
	data := d.json
	if data == nil {
		var err error
		// Strict: a key twice in one mapping is refused, as the API server's
		// strict field validation refuses duplicate fields.
		if data, err = yaml.YAMLToJSONStrict(d.text); err != nil {
			return nil, yamlErrors(err, file, d)
		}
	}
	if data = bytes.TrimSpace(data); len(data) == 0 || string(data) == "null" {
		return nil, nil // empty, or comments only: kubectl skips it
	}
	return decodeObject(&Object{File: file, Source: helmSource(d.text), doc: d}, data, "", schema.GroupVersionKind{})
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// yamlErrors reports a YAML library error at the lines it names (relative
// to the document); when it names none, the document's node tree is asked.
func yamlErrors(err error, file string, d *document) InputErrors {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if !yamlLine.MatchString(msg) {
		var n yaml3.Node
		if e := yaml3.Unmarshal(d.text, &n); e != nil && yamlLine.MatchString(e.Error()) {
			msg = strings.TrimPrefix(e.Error(), "yaml: ")
		}
	}
	var errs InputErrors
	for _, m := range yamlLine.FindAllStringSubmatch(msg, -1) {
		n, _ := strconv.Atoi(m[1])
		text := "YAML syntax error: " + m[2]
		if key, ok := strings.CutSuffix(m[2], " already set in map"); ok {
			text = "duplicate field " + strings.TrimPrefix(key, "key ") + " (the API server refuses duplicate fields)"
		}
		errs = append(errs, &InputError{File: file, Line: d.line + n - 1, Msg: text})
	}
	if errs == nil {
		errs = InputErrors{{File: file, Line: d.line, Msg: "YAML syntax error: " + msg}}
	}
	return errs
}

// decodeObject decodes one object, or the items of a List. defaults are
// a typed List's apiVersion and item kind, which its items may leave out.
func decodeObject(o *Object, data []byte, where string, defaults schema.GroupVersionKind) ([]*Object, InputErrors) {
	fail := func(path []any, format string, a ...any) ([]*Object, InputErrors) {
		return nil, InputErrors{{File: o.File, Line: o.LineOf(path...), Msg: where + fmt.Sprintf(format, a...)}}
	}
	if data[0] != '{' {
		what := map[byte]string{'[': "a list", '"': "a string", 't': "a boolean", 'f': "a boolean", 'n': "null"}[data[0]]
		if what == "" {
			what = "a number"
		}
		return fail(nil, "document is %s, want a Kubernetes object (a mapping with apiVersion, kind and metadata)", what)
	}
	var h struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
		Items      json.RawMessage   `json:"items"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &h); err != nil {
		path, text := decodeError(err)
		return fail(path, "%s", text)
	}
	if h.Kind == "" && h.APIVersion == "" {
		h.APIVersion, h.Kind = defaults.GroupVersion().String(), defaults.Kind
	}
	m := h.Metadata
	o.APIVersion, o.Kind, o.Namespace, o.Name, o.Labels, o.Annotations = h.APIVersion, h.Kind, m.Namespace, m.Name, m.Labels, m.Annotations
	switch {
	case o.APIVersion == "":
		return fail(nil, "missing apiVersion: every Kubernetes object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)")
	case o.Kind == "":
		return fail(nil, "missing kind: every Kubernetes object needs apiVersion and kind (e.g. apiVersion: apps/v1, kind: Deployment)")
	}
	gv, err := schema.ParseGroupVersion(o.APIVersion)
	if err != nil {
		return fail([]any{"apiVersion"}, "apiVersion %q is not group/version (e.g. apps/v1): %v", o.APIVersion, err)
	}
	gk := schema.GroupKind{Group: gv.Group, Kind: o.Kind}
	if gv.Group == "kustomize.config.k8s.io" {
		return nil, nil // kustomization.yaml and components configure a build; they are not applied
	}
	if o.Kind == "List" || strings.HasSuffix(o.Kind, "List") && h.Items != nil {
		var items []json.RawMessage
		if err := json.Unmarshal(h.Items, &items); h.Items != nil && err != nil {
			return fail([]any{"items"}, "%s: items must be a list of objects", o.Kind)
		}
		var objs []*Object
		var errs InputErrors
		itemKind := gv.WithKind(strings.TrimSuffix(o.Kind, "List"))
		if o.Kind == "List" {
			itemKind = schema.GroupVersionKind{} // a List's items name their own kinds
		}
		for i, item := range items {
			it := &Object{File: o.File, Source: o.Source, doc: o.doc, at: append(slices.Clone(o.at), "items", i)}
			got, e := decodeObject(it, bytes.TrimSpace(item), fmt.Sprintf("%s%s item %d: ", where, o.Kind, i), itemKind)
			objs, errs = append(objs, got...), append(errs, e...)
		}
		return objs, errs
	}
	if o.Name == "" && m.GenerateName == "" {
		return fail([]any{"metadata"}, "%s has no metadata.name; set metadata.name to the object's name", o.Kind)
	}
	if o.Name == "" {
		o.Name = m.GenerateName + "*"
	}
	if moved, ok := removedAPIs[gk]; ok {
		return fail([]any{"apiVersion"}, "%s %s: apiVersion %s is not served by Kubernetes 1.37; use %s", o.Kind, o.Name, o.APIVersion, moved)
	}
	k, isKnown := known[gk]
	var tpl struct { // the part of a templateKinds object the rules read
		Spec struct {
			Template *corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	target := any(&tpl)
	switch {
	case isKnown && gv.Version != k.version:
		return fail([]any{"apiVersion"}, "%s %s: apiVersion %s is not served by Kubernetes 1.37; use %s",
			o.Kind, o.Name, o.APIVersion, schema.GroupVersion{Group: gv.Group, Version: k.version})
	case isKnown:
		o.Typed = k.new()
		target = o.Typed
	case !templateKinds[gk]:
		return []*Object{o}, nil // kinds no rule reads (CRDs ...) need only apiVersion, kind and a name
	}
	strict, err := kjson.UnmarshalStrict(data, target, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		path, text := decodeError(err)
		return fail(path, "%s %s: %s", o.Kind, o.Name, text)
	}
	if !isKnown {
		if tpl.Spec.Template == nil {
			return []*Object{o}, nil // e.g. a Rollout whose workloadRef names a Deployment
		}
		o.Typed = tpl.Spec.Template
		// The rest of the object is its controller's schema, unknown here.
		strict = slices.DeleteFunc(strict, func(e error) bool {
			var fe kjson.FieldError
			return !errors.As(e, &fe) || !strings.HasPrefix(fe.FieldPath(), "spec.template.")
		})
	}
	var errs InputErrors
	for _, e := range strict {
		path, text := decodeError(e)
		errs = append(errs, &InputError{File: o.File, Line: o.LineOf(path...), Msg: where + fmt.Sprintf(
			"%s %s: %s (not a field of %s %s; check the spelling and indentation)", o.Kind, o.Name, text, o.APIVersion, o.Kind)})
	}
	for _, e := range refused(o.Typed) {
		hint := "the API server refuses it"
		if e.Type == field.ErrorTypeNotSupported {
			hint += "; name the application protocol in the port's name or appProtocol, e.g. name: http"
		}
		errs = append(errs, &InputError{File: o.File, Line: o.LineOf(fieldPath(e.Field)...), Msg: where + fmt.Sprintf("%s %s: %s (%s)", o.Kind, o.Name, e, hint)})
	}
	if errs != nil {
		return nil, errs
	}
	return []*Object{o}, nil
}

var typeError = regexp.MustCompile(`cannot unmarshal (\w+).* into Go (?:struct field [^.]*\.(\S+)|value) of type (\S+)`)

// decodeError turns a decoder error into the path of the field it is about
// and a message naming the field, what it got and what it wants.
func decodeError(err error) (path []any, text string) {
	var fe kjson.FieldError
	if errors.As(err, &fe) {
		return fieldPath(fe.FieldPath()), strings.TrimPrefix(err.Error(), "json: ")
	}
	m := typeError.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, strings.TrimPrefix(err.Error(), "json: ")
	}
	want := "a mapping"
	switch t := strings.TrimPrefix(m[3], "*"); {
	case strings.HasPrefix(t, "[]"):
		want = "a list"
	case t == "string":
		want = "a string"
	case t == "bool":
		want = "a boolean (true or false)"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		want = "an integer"
	case t == "intstr.IntOrString":
		want = "an integer or a string"
	case t == "resource.Quantity":
		want = "a quantity (e.g. 100m, 64Mi)"
	}
	got := map[string]string{"array": "a list", "object": "a mapping", "string": "a string", "bool": "a boolean"}[m[1]]
	if got == "" {
		got = "a " + m[1]
	}
	return fieldPath(m[2]), fmt.Sprintf("field %s: got %s, want %s", m[2], got, want)
}

// refused lists what the API server's validation refuses in the fields
// the rules read (port numbers and protocols), in its own words: a port
// whose protocol is HTTP cannot be applied, so it cannot be checked either.
func refused(typed any) field.ErrorList {
	var errs field.ErrorList
	protocols := []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
	port := func(p *field.Path, n int32, zeroOK bool) {
		if msgs := validation.IsValidPortNum(int(n)); msgs != nil && !(zeroOK && n == 0) {
			errs = append(errs, field.Invalid(p, n, msgs[0]))
		}
	}
	protocol := func(p *field.Path, v corev1.Protocol) {
		if v != "" && !slices.Contains(protocols, v) {
			errs = append(errs, field.NotSupported(p, v, protocols))
		}
	}
	if s, ok := typed.(*corev1.Service); ok {
		for i, sp := range s.Spec.Ports {
			p := field.NewPath("spec", "ports").Index(i)
			protocol(p.Child("protocol"), sp.Protocol)
			port(p.Child("port"), sp.Port, false)
			if sp.TargetPort.Type == intstr.Int {
				port(p.Child("targetPort"), sp.TargetPort.IntVal, true) // 0 defaults to port
			}
		}
	}
	if _, spec, at, ok := podTemplate(typed); ok {
		var names []string
		for _, step := range append(at, "spec") {
			names = append(names, step.(string))
		}
		root := field.NewPath(names[0], names[1:]...)
		for _, c := range podContainers(spec) {
			for j, cp := range c.Ports {
				p := root.Child(c.field).Index(c.index).Child("ports").Index(j)
				protocol(p.Child("protocol"), cp.Protocol)
				port(p.Child("containerPort"), cp.ContainerPort, false)
			}
		}
	}
	return errs
}

// helmSource finds "# Source: x" among the comment lines leading a document.
func helmSource(d []byte) string {
	for _, l := range bytes.Split(d, []byte("\n")) {
		t := bytes.TrimSpace(l)
		if s, ok := bytes.CutPrefix(t, []byte("# Source:")); ok {
			return string(bytes.TrimSpace(s))
		}
		if len(t) > 0 && t[0] != '#' && !bytes.HasPrefix(t, []byte("---")) {
			return ""
		}
	}
	return ""
}
