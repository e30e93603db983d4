package meshcheck

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// parseFast recognises the subset of YAML that renderers (helm template,
// kustomize build) emit: one document of block mappings and sequences
// (indentless sequences included), single-line plain and quoted scalars,
// "|", "|-", ">" and ">-" block scalars, "{}", "[]" and comments. For such a
// document it builds a compact tree (fnode) that converts to exactly the
// yaml.Node tree go.yaml.in/yaml/v3 builds (Kind, Tag, Value, Style, Line,
// Column; comments are not kept), several times faster, because it does not
// run a general YAML state machine. Anything else — anchors, aliases, tags,
// flow collections, multi-line plain or quoted scalars, complex keys, tabs,
// carriage returns, directives, odd indentation, errors — returns ok false,
// and the caller runs yaml.v3 exactly as before. FuzzFastPathMatchesYAML and
// TestFastPathRandomDocuments compare every accepted input with the library.
func parseFast(src string) (root *fnode, ok bool) {
	sc := scratchPool.Get().(*fastScratch)
	defer sc.release()
	return sc.parse(src, false)
}

// parse is parseFast on sc's memory. With reuse, the tree is built in sc's
// node slabs and is valid only until sc parses again or is released: the
// caller converts it (JSON, yaml.Node) and lets it go, so a clean document
// costs no node allocations at all.
func (sc *fastScratch) parse(src string, reuse bool) (root *fnode, ok bool) {
	if len(src) > math.MaxInt32 {
		return nil, false // positions are int32
	}
	p := fastParser{src: src, fastScratch: sc, reuse: reuse}
	if !p.scan() {
		return nil, false
	}
	if len(p.lines) > 0 && strings.HasPrefix(p.text(0, 0), "---") {
		if strings.Trim(p.text(0, 3), " ") != "" {
			return nil, false // "--- value", "--- !tag", "--- # c": leave it to yaml.v3
		}
		p.i = 1
	}
	if !p.nextContent() || p.lines[p.i].indent != 0 {
		return nil, false // an empty or oddly indented document
	}
	root = p.block(0)
	if root == nil || p.nextContent() {
		return nil, false
	}
	return root, true
}

// release returns sc to the pool.
func (sc *fastScratch) release() {
	clear(sc.kids) // a rejected document leaves children behind
	sc.kids = sc.kids[:0]
	scratchPool.Put(sc)
}

// fnode is the fast path's node: what a yaml.Node holds for this subset
// (no comments, anchors or aliases) in a third of the memory, so a clean
// document never costs a yaml.Node tree; yaml() builds one when a line
// number or the general path needs it.
type fnode struct {
	value     string
	kids      []*fnode // yaml.Node.Content
	line, col int32
	kind      uint8 // yaml.Kind
	style     uint8 // yaml.Style
	tag       uint8 // index in fastTags
}

var fastTags = [...]string{"!!str", "!!null", "!!bool", "!!int", "!!float", "!!timestamp", "!!merge", "!!map", "!!seq"}

func tagIndex(tag string) uint8 {
	switch tag {
	case "!!str":
		return 0
	case "!!null":
		return 1
	case "!!bool":
		return 2
	case "!!int":
		return 3
	case "!!float":
		return 4
	case "!!timestamp":
		return 5
	case "!!merge":
		return 6
	case "!!map":
		return 7
	case "!!seq":
		return 8
	}
	panic("meshcheck: fast path tag " + tag) // plainTag and the parser only produce the tags above
}

// yaml converts the tree to the yaml.Node tree yaml.v3 builds for the same
// document, in two allocations.
func (n *fnode) yaml() *yaml.Node {
	count := n.count()
	nodes := make([]yaml.Node, 0, count)
	ptrs := make([]*yaml.Node, count)
	used := 0
	var conv func(f *fnode) *yaml.Node
	conv = func(f *fnode) *yaml.Node {
		nodes = append(nodes, yaml.Node{Kind: yaml.Kind(f.kind), Style: yaml.Style(f.style), Tag: fastTags[f.tag], Value: f.value, Line: int(f.line), Column: int(f.col)})
		y := &nodes[len(nodes)-1]
		if len(f.kids) > 0 {
			start, end := used, used+len(f.kids)
			used = end
			for i, k := range f.kids {
				ptrs[start+i] = conv(k) // reserves the grandchildren's range after end
			}
			y.Content = ptrs[start:end:end]
		}
		return y
	}
	return conv(n)
}

func (n *fnode) count() int {
	c := 1
	for _, k := range n.kids {
		c += k.count()
	}
	return c
}

// valueAt is valueAt for fnodes: the value under key in mapping n.
func (n *fnode) valueAt(key string) *fnode {
	if n == nil || yaml.Kind(n.kind) != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.kids); i += 2 {
		if n.kids[i].value == key {
			return n.kids[i+1]
		}
	}
	return nil
}

// scalarAt is scalarAt for fnodes.
func (n *fnode) scalarAt(key string) string {
	c := n.valueAt(key)
	if c == nil || yaml.Kind(c.kind) != yaml.ScalarNode || fastTags[c.tag] != "!!str" {
		return ""
	}
	return c.value
}

// json is nodeJSON for fnodes; checkFast in the tests makes sure both
// write the same bytes and refuse the same trees.
func (n *fnode) json(buf *bytes.Buffer) bool {
	switch yaml.Kind(n.kind) {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.kids); i += 2 {
			k := n.kids[i]
			if yaml.Kind(k.kind) != yaml.ScalarNode || fastTags[k.tag] != "!!str" {
				return false
			}
			for j := 0; j < i; j += 2 {
				if n.kids[j].value == k.value {
					return false // duplicate key: the general path reports it
				}
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k.value)
			buf.WriteByte(':')
			if !n.kids[i+1].json(buf) {
				return false
			}
		}
		buf.WriteByte('}')
		return true
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.kids {
			if i > 0 {
				buf.WriteByte(',')
			}
			if !c.json(buf) {
				return false
			}
		}
		buf.WriteByte(']')
		return true
	case yaml.ScalarNode:
		return scalarJSON(fastTags[n.tag], n.value, buf)
	}
	return false
}

type fastLine struct {
	start, end int  // byte offsets in src; end excludes the line break
	indent     int  // leading spaces
	blank      bool // only spaces, or spaces and a comment
	ascii      bool // columns equal byte offsets
}

type fastParser struct {
	*fastScratch
	src   string
	i     int // the line being parsed
	depth int
	reuse bool     // build the tree in the scratch's slabs
	nodes []fnode  // slab the nodes come from: one allocation, not one per node
	slab  []*fnode // slab the kids slices come from
}

// fastScratch is the parser's working memory, reused across documents.
type fastScratch struct {
	lines []fastLine
	kids  []*fnode // stack of children of the collections being parsed
	buf   []byte   // scalars that need unescaping or folding
	nodes []fnode  // node slab kept for reuse (fastParser.reuse)
	slab  []*fnode // kids slab kept for reuse
}

var scratchPool = sync.Pool{New: func() any { return new(fastScratch) }}

// maxFastDepth bounds nesting; deeper documents go to yaml.v3.
const maxFastDepth = 64

// scan splits src into lines and rejects characters outside the subset:
// control characters (tab and carriage return included), DEL, invalid
// UTF-8, and the code points YAML treats as breaks, BOMs or non-printable.
func (p *fastParser) scan() bool {
	src := p.src
	p.lines = p.lines[:0]
	content := 0
	for start := 0; start < len(src); {
		end := strings.IndexByte(src[start:], '\n')
		if end < 0 {
			end = len(src)
		} else {
			end += start
		}
		ascii := true
		for j := start; j < end; {
			c := src[j]
			if c >= 0x20 && c < 0x7f {
				j++
				continue
			}
			if c < 0x80 {
				return false // control characters, tabs and CR included, and DEL
			}
			r, size := utf8.DecodeRuneInString(src[j:end])
			if !printable(r) || (r == utf8.RuneError && size == 1) {
				return false
			}
			ascii = false
			j += size
		}
		t := src[start:end]
		// Document markers and directives after the first line mean more
		// than one document, or a directive: yaml.v3 handles those.
		if len(p.lines) > 0 && (strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...")) || strings.HasPrefix(t, "%") {
			return false
		}
		if !p.addLine(start, end, ascii) {
			content++
		}
		start = end + 1
	}
	need := 2*content + 4
	if !p.reuse {
		p.nodes = make([]fnode, 0, need)
		p.slab = make([]*fnode, 0, need)
		return true
	}
	if cap(p.fastScratch.nodes) < need {
		p.fastScratch.nodes = make([]fnode, 0, need)
		p.fastScratch.slab = make([]*fnode, 0, need)
	}
	p.nodes = p.fastScratch.nodes[:0]
	p.slab = p.fastScratch.slab[:0]
	return true
}

// addLine records a line and reports whether it is blank.
func (p *fastParser) addLine(start, end int, ascii bool) bool {
	n := 0
	for start+n < end && p.src[start+n] == ' ' {
		n++
	}
	blank := start+n == end || p.src[start+n] == '#'
	p.lines = append(p.lines, fastLine{start: start, end: end, indent: n, blank: blank, ascii: ascii})
	return blank
}

// printable accepts the non-ASCII code points yaml.v3 reads as ordinary
// characters: not C1 controls, NEL, line or paragraph separators, BOM,
// surrogates or non-characters.
func printable(r rune) bool {
	switch {
	case r >= 0xA0 && r <= 0xD7FF:
		return r != 0x2028 && r != 0x2029
	case r >= 0xE000 && r <= 0xFFFD:
		return r != 0xFEFF
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// text is line k from byte column col to its end.
func (p *fastParser) text(k, col int) string {
	l := p.lines[k]
	if l.start+col > l.end {
		return ""
	}
	return p.src[l.start+col : l.end]
}

// nextContent moves to the next line that is neither blank nor a comment.
func (p *fastParser) nextContent() bool {
	for p.i < len(p.lines) && p.lines[p.i].blank {
		p.i++
	}
	return p.i < len(p.lines)
}

// column is the 1-based column yaml.v3 reports (it counts characters) of
// byte col in line k.
func (p *fastParser) column(k, col int) int {
	l := p.lines[k]
	if l.ascii {
		return col + 1
	}
	return utf8.RuneCountInString(p.src[l.start:l.start+col]) + 1
}

func (p *fastParser) node(kind yaml.Kind, tag string, style yaml.Style, value string, k, col int) *fnode {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]fnode, 0, 32)
	}
	p.nodes = append(p.nodes, fnode{value: value, line: int32(k + 1), col: int32(p.column(k, col)), kind: uint8(kind), style: uint8(style), tag: tagIndex(tag)})
	return &p.nodes[len(p.nodes)-1]
}

// children moves the children stacked since mark into a Content slice.
func (p *fastParser) children(mark int) []*fnode {
	kids := p.kids[mark:]
	if len(kids) == 0 {
		return nil
	}
	if cap(p.slab)-len(p.slab) < len(kids) {
		p.slab = make([]*fnode, 0, max(32, len(kids)))
	}
	n := len(p.slab)
	p.slab = append(p.slab, kids...)
	p.kids = p.kids[:mark]
	return p.slab[n:len(p.slab):len(p.slab)]
}

// block parses the mapping or sequence starting at byte column col of the
// current line; nil when it is anything else.
func (p *fastParser) block(col int) *fnode {
	t := p.text(p.i, col)
	if isDash(t) {
		return p.sequence(col)
	}
	if _, _, _, ok := p.key(t); ok {
		return p.mapping(col)
	}
	return nil // a scalar on a line of its own (multi-line plain, root scalar ...)
}

func isDash(t string) bool {
	return len(t) > 0 && t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// sequence parses a block sequence whose "-" indicators are at column col.
func (p *fastParser) sequence(col int) *fnode {
	if p.depth++; p.depth > maxFastDepth {
		return nil
	}
	defer func() { p.depth-- }()
	n := p.node(yaml.SequenceNode, "!!seq", 0, "", p.i, col)
	mark := len(p.kids)
	for {
		k := p.i
		rest := p.text(k, col+1)
		sp := countSpaces(rest)
		var item *fnode
		if sp == len(rest) || rest[sp] == '#' {
			item = p.empty(col, k, col+1, false)
		} else {
			c := col + 1 + sp
			t := rest[sp:]
			switch {
			case isDash(t):
				item = p.sequence(c)
			case p.isKey(t):
				item = p.mapping(c)
			default:
				item = p.scalar(col, c)
			}
		}
		if item == nil {
			return nil
		}
		p.kids = append(p.kids, item)
		if !p.nextContent() {
			break
		}
		l := p.lines[p.i]
		if l.indent > col {
			return nil // continuation of a scalar, or bad indentation
		}
		if l.indent < col || !isDash(p.text(p.i, col)) {
			break
		}
	}
	n.kids = p.children(mark)
	return n
}

// mapping parses a block mapping whose keys are at column col.
func (p *fastParser) mapping(col int) *fnode {
	if p.depth++; p.depth > maxFastDepth {
		return nil
	}
	defer func() { p.depth-- }()
	n := p.node(yaml.MappingNode, "!!map", 0, "", p.i, col)
	mark := len(p.kids)
	for {
		k := p.i
		t := p.text(k, col)
		value, style, colon, ok := p.key(t)
		if !ok {
			return nil
		}
		tag := "!!str"
		if style == 0 {
			tag = plainTag(value)
		}
		p.kids = append(p.kids, p.node(yaml.ScalarNode, tag, style, value, k, col))
		after := col + colon + 1
		rest := p.text(k, after)
		sp := countSpaces(rest)
		var v *fnode
		if sp == len(rest) || (sp > 0 && rest[sp] == '#') {
			v = p.empty(col, k, after, true)
		} else {
			v = p.scalar(col, after+sp)
		}
		if v == nil {
			return nil
		}
		p.kids = append(p.kids, v)
		if !p.nextContent() {
			break
		}
		l := p.lines[p.i]
		if l.indent > col {
			return nil
		}
		if l.indent < col {
			break
		}
	}
	n.kids = p.children(mark)
	return n
}

// empty is the value of a "key:" or "-" with nothing after it on line k: a
// block collection on the following lines, or null (placed, as yaml.v3
// places it, right after the indicator at byte column after).
func (p *fastParser) empty(col, k, after int, inMapping bool) *fnode {
	p.i = k + 1
	if p.nextContent() {
		l := p.lines[p.i]
		switch {
		case l.indent > col:
			return p.block(l.indent)
		case l.indent == col && inMapping && isDash(p.text(p.i, col)):
			return p.sequence(col) // an indentless sequence, as kustomize writes them
		}
	}
	return p.node(yaml.ScalarNode, "!!null", 0, "", k, after)
}

// scalar parses the value starting at byte column c of the current line,
// inside a collection at column col, and moves past the line(s) it took.
func (p *fastParser) scalar(col, c int) *fnode {
	k := p.i
	t := p.text(k, c)
	var n *fnode
	var rest string
	switch t[0] {
	case '"':
		v, size, ok := p.doubleQuoted(t)
		if !ok {
			return nil
		}
		n, rest = p.node(yaml.ScalarNode, "!!str", yaml.DoubleQuotedStyle, v, k, c), t[size:]
	case '\'':
		v, size, ok := p.singleQuoted(t)
		if !ok {
			return nil
		}
		n, rest = p.node(yaml.ScalarNode, "!!str", yaml.SingleQuotedStyle, v, k, c), t[size:]
	case '|', '>':
		return p.blockScalar(col, c)
	case '{', '[':
		if len(t) < 2 || t[1] != t[0]+2 { // "{}" and "[]" only
			return nil
		}
		if t[0] == '{' {
			n = p.node(yaml.MappingNode, "!!map", yaml.FlowStyle, "", k, c)
		} else {
			n = p.node(yaml.SequenceNode, "!!seq", yaml.FlowStyle, "", k, c)
		}
		rest = t[2:]
	default:
		if !plainStart(t) {
			return nil
		}
		end := len(t)
		for j := 0; j < len(t); j++ {
			if t[j] == ':' && (j+1 == len(t) || t[j+1] == ' ') {
				return nil // "a: b: c" is an error, "a: b:" too
			}
			if t[j] == '#' && t[j-1] == ' ' { // j > 0: plainStart rejects a leading '#'
				end = j
				break
			}
		}
		v := strings.TrimRight(t[:end], " ")
		n = p.node(yaml.ScalarNode, plainTag(v), 0, v, k, c)
	}
	if !trailer(rest) {
		return nil
	}
	p.i = k + 1
	return n
}

// trailer accepts what may follow a scalar on its line: spaces, and a
// comment after at least one space.
func trailer(s string) bool {
	sp := countSpaces(s)
	return sp == len(s) || (sp > 0 && s[sp] == '#')
}

func countSpaces(s string) int {
	n := 0
	for n < len(s) && s[n] == ' ' {
		n++
	}
	return n
}

// plainStart reports whether t may start a plain scalar in block context.
func plainStart(t string) bool {
	switch t[0] {
	case '-', '?', ':':
		return len(t) > 1 && t[1] != ' '
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	}
	return true
}

func (p *fastParser) isKey(t string) bool {
	_, _, _, ok := p.key(t)
	return ok
}

// maxKeyLen keeps keys well inside YAML's 1024-character simple-key limit.
const maxKeyLen = 512

// key parses "key:" at the start of t (a single-line plain or quoted
// scalar followed by ':' and a space or the line end). colon is the byte
// offset of the ':' in t.
func (p *fastParser) key(t string) (value string, style yaml.Style, colon int, ok bool) {
	if t == "" {
		return "", 0, 0, false
	}
	switch t[0] {
	case '"':
		value, colon, ok = p.doubleQuoted(t)
		style = yaml.DoubleQuotedStyle
	case '\'':
		value, colon, ok = p.singleQuoted(t)
		style = yaml.SingleQuotedStyle
	default:
		if !plainStart(t) {
			return "", 0, 0, false
		}
		colon = -1
		for j := 0; j < len(t) && j <= maxKeyLen; j++ {
			if t[j] == ':' && (j+1 == len(t) || t[j+1] == ' ') {
				colon = j
				break
			}
			if t[j] == '#' && t[j-1] == ' ' {
				return "", 0, 0, false
			}
		}
		if colon <= 0 || t[colon-1] == ' ' {
			return "", 0, 0, false
		}
		return t[:colon], 0, colon, true
	}
	if !ok || colon > maxKeyLen || colon >= len(t) || t[colon] != ':' || (colon+1 < len(t) && t[colon+1] != ' ') {
		return "", 0, 0, false
	}
	return value, style, colon, true
}

// singleQuoted parses a single-quoted scalar closed on the same line;
// size is the bytes it took, quotes included.
func (p *fastParser) singleQuoted(t string) (v string, size int, ok bool) {
	escaped := false
	for j := 1; j < len(t); j++ {
		if t[j] != '\'' {
			continue
		}
		if j+1 < len(t) && t[j+1] == '\'' {
			escaped = true
			j++
			continue
		}
		v = t[1:j]
		if escaped {
			v = strings.ReplaceAll(v, "''", "'")
		}
		return v, j + 1, true
	}
	return "", 0, false
}

// doubleQuoted parses a double-quoted scalar closed on the same line,
// decoding YAML's escapes.
func (p *fastParser) doubleQuoted(t string) (v string, size int, ok bool) {
	j := 1
	for j < len(t) && t[j] != '"' && t[j] != '\\' {
		j++
	}
	if j < len(t) && t[j] == '"' {
		return t[1:j], j + 1, true // no escapes: a substring, no copy
	}
	b := append(p.buf[:0], t[1:j]...)
	for j < len(t) {
		c := t[j]
		switch c {
		case '"':
			p.buf = b
			return string(b), j + 1, true
		case '\\':
			if j+1 >= len(t) {
				return "", 0, false // a line continuation
			}
			e := t[j+1]
			j += 2
			switch e {
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, '\a')
			case 'b':
				b = append(b, '\b')
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'v':
				b = append(b, '\v')
			case 'f':
				b = append(b, '\f')
			case 'r':
				b = append(b, '\r')
			case 'e':
				b = append(b, 0x1b)
			case ' ', '"', '\\':
				b = append(b, e)
			case 'N':
				b = utf8.AppendRune(b, 0x85)
			case '_':
				b = utf8.AppendRune(b, 0xA0)
			case 'L':
				b = utf8.AppendRune(b, 0x2028)
			case 'P':
				b = utf8.AppendRune(b, 0x2029)
			case 'x', 'u', 'U':
				n := 2
				if e == 'u' {
					n = 4
				} else if e == 'U' {
					n = 8
				}
				if j+n > len(t) {
					return "", 0, false
				}
				r, err := strconv.ParseUint(t[j:j+n], 16, 32)
				if err != nil || (r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF {
					return "", 0, false
				}
				b = utf8.AppendRune(b, rune(r))
				j += n
			default:
				return "", 0, false
			}
		default:
			b = append(b, c)
			j++
		}
	}
	return "", 0, false // not closed on this line
}

// blockScalar parses a "|", "|-", ">" or ">-" scalar whose indicator is at
// byte column c of the current line, in a collection at column col.
func (p *fastParser) blockScalar(col, c int) *fnode {
	k := p.i
	t := p.text(k, c)
	style := yaml.LiteralStyle
	if t[0] == '>' {
		style = yaml.FoldedStyle
	}
	h := 1
	strip := len(t) > 1 && t[1] == '-'
	if strip {
		h = 2
	}
	if !trailer(t[h:]) {
		return nil // keep (+) and indentation indicators, or junk
	}
	// The first non-empty line sets the indentation; a longer blank line
	// before it would set it instead (and usually end the scalar early).
	first, longest := k+1, 0
	for ; first < len(p.lines); first++ {
		l := p.lines[first]
		if l.indent != l.end-l.start {
			break
		}
		longest = max(longest, l.indent)
	}
	if first == len(p.lines) || p.lines[first].indent <= col || longest > p.lines[first].indent {
		return nil // an empty block scalar
	}
	ind := p.lines[first].indent
	b := p.buf[:0]
	breaks, last := 0, -1
	for j := k + 1; j < len(p.lines); j++ {
		l := p.lines[j]
		spaces := l.indent == l.end-l.start
		if spaces && l.indent <= ind {
			breaks++
			continue
		}
		if l.indent < ind {
			break
		}
		line := p.src[l.start+ind : l.end]
		if style == yaml.FoldedStyle && line[0] == ' ' {
			return nil // more-indented lines fold differently
		}
		switch {
		case last < 0:
			for range breaks {
				b = append(b, '\n')
			}
		case style == yaml.LiteralStyle:
			b = append(b, '\n')
			for range breaks {
				b = append(b, '\n')
			}
		case breaks == 0:
			b = append(b, ' ')
		default:
			for range breaks {
				b = append(b, '\n')
			}
		}
		b = append(b, line...)
		breaks, last = 0, j
	}
	if !strip && p.lines[last].end < len(p.src) {
		b = append(b, '\n') // clip: the last line's break, if the input has one
	}
	p.buf = b
	p.i = last + 1
	return p.node(yaml.ScalarNode, "!!str", style, string(b), k, c)
}

// plainTag is the tag yaml.v3 resolves an untagged plain scalar to
// (resolve("", s) in its resolve.go, which it does not export), restated
// step for step; FuzzFastPathMatchesYAML compares the two.
func plainTag(s string) string {
	if s == "" {
		return "!!null"
	}
	if s == "<<" {
		return "!!merge" // the parser's default for a plain "<<", before resolving
	}
	c := s[0]
	if c >= '0' && c <= '9' && (len(s) == 1 || (c != '0' && len(s) <= 18 && allDigits(s))) {
		return "!!int" // the common case: a port, a count
	}
	var hint byte
	switch {
	case c == '+' || c == '-':
		hint = 'S'
	case c >= '0' && c <= '9':
		hint = 'D'
	case c == '.':
		hint = '.'
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		hint = 'M'
	default:
		return "!!str"
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return "!!bool"
	case "~", "null", "Null", "NULL":
		return "!!null"
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return "!!float"
	}
	switch hint {
	case '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return "!!float"
		}
	case 'D', 'S':
		for j := 0; j < len(s); j++ {
			if !numberChar[s[j]] {
				return "!!str" // no parse below accepts this character
			}
		}
		if isTimestamp(s) {
			return "!!timestamp"
		}
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return "!!int"
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return "!!float"
			}
		}
		// yaml.v3's resolver then parses the digits after 0b / 0o on their
		// own, so it also reads quirks such as "0b-101" as ints: so must we.
		for _, f := range [...]struct {
			prefix string
			base   int
		}{{"0b", 2}, {"0o", 8}} {
			if digits, ok := strings.CutPrefix(plain, f.prefix); ok {
				if _, err := strconv.ParseInt(digits, f.base, 64); err == nil {
					return "!!int"
				}
				if _, err := strconv.ParseUint(digits, f.base, 64); err == nil {
					return "!!int"
				}
			} else if digits, ok := strings.CutPrefix(plain, "-"+f.prefix); ok {
				if _, err := strconv.ParseInt("-"+digits, f.base, 64); err == nil {
					return "!!int"
				}
			}
		}
	}
	return "!!str"
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// numberChar holds every byte an int, float or timestamp yaml.v3 accepts
// can contain (digits, signs, '_', hex digits and base prefixes, and the
// date/time punctuation); a scalar with any other byte is a string.
var numberChar = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoO+-_.:tTzZ ," {
		t[c] = true
	}
	return t
}()

func allDigits(s string) bool {
	for j := 0; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
	}
	return true
}

// isTimestamp is yaml.v3's parseTimestamp (resolve.go) without the value.
func isTimestamp(s string) bool {
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
