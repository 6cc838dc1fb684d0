package compiler

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/dualsync/dualsync/runtime/plan"
	"github.com/dualsync/dualsync/schema"
)

// schemaDir is where the embedded schema is overlaid inside the maps module,
// so that `import "github.com/dualsync/dualsync/schema"` always resolves to
// the schema this binary was built with.
const schemaDir = "cue.mod/pkg/" + schema.ImportPath

// loaded is a maps directory evaluated by CUE.
type loaded struct {
	dir  string // absolute maps directory
	ctx  *cue.Context
	root cue.Value // the author's package, not unified with the schema
	// refs are the positions of the author's references to schema
	// definitions (schema.#TableMap): constraints, not values, so never the
	// place to report an error.
	refs map[plan.Pos]bool
	// labels maps the CUE path of every field the author wrote to the
	// position of its label: struct values evaluated against the schema
	// report the schema's position, so structs are located by label.
	labels map[string]plan.Pos
}

// fieldLabels records the label position of every field in the files, by
// CUE path (list elements as path[i]).
func fieldLabels(dir string, files []*ast.File) map[string]plan.Pos {
	l := labeler{dir: dir, out: map[string]plan.Pos{}}
	for _, f := range files {
		for _, d := range f.Decls {
			l.decl("", d)
		}
	}
	return l.out
}

// labeler records label positions by path, building the path strings
// directly: cue.Path values cost more than the rest of compiling.
type labeler struct {
	dir string
	out map[string]plan.Pos
}

func (l *labeler) node(prefix string, n ast.Node) {
	switch x := n.(type) {
	case *ast.StructLit:
		for _, d := range x.Elts {
			l.decl(prefix, d)
		}
	case *ast.ListLit:
		for i, e := range x.Elts {
			p := prefix + "[" + strconv.Itoa(i) + "]"
			if _, ok := l.out[p]; !ok {
				l.out[p] = relPos(l.dir, e.Pos())
			}
			l.node(p, e)
		}
	}
}

func (l *labeler) decl(prefix string, d ast.Decl) {
	f, ok := d.(*ast.Field)
	if !ok {
		return
	}
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return
	}
	p := joinLabel(prefix, name)
	if _, seen := l.out[p]; !seen {
		l.out[p] = relPos(l.dir, f.Label.Pos())
	}
	l.node(p, f.Value)
}

// joinLabel appends a label to a path string the way cue.Path.String
// writes it: identifiers as they are, anything else quoted.
func joinLabel(prefix, label string) string {
	if !isIdent(label) {
		label = quoteLabel(label)
	}
	if prefix == "" {
		return label
	}
	return prefix + "." + label
}

func isIdent(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || unicode.IsLetter(r):
		case i > 0 && unicode.IsDigit(r):
		default:
			return false
		}
	}
	return s != "" && s[0] != '#' && s[0] != '_'
}

// schemaRefs collects the positions of selector expressions naming a
// definition of another package, such as schema.#TableMap.
func schemaRefs(dir string, files []*ast.File) map[plan.Pos]bool {
	refs := map[plan.Pos]bool{}
	for _, f := range files {
		ast.Walk(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.Sel.(*ast.Ident); ok && strings.HasPrefix(id.Name, "#") {
					refs[relPos(dir, sel.Pos())] = true
					refs[relPos(dir, sel.Sel.Pos())] = true
				}
			}
			return true
		}, nil)
	}
	return refs
}

// loadMaps loads the CUE package in dir with the embedded schema overlaid.
// CUE errors come back as diagnostics at the author's positions.
func loadMaps(ctx *cue.Context, dir string) (*loaded, Diagnostics) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, loadDiag(dir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, loadDiag(dir, err)
	}
	if !st.IsDir() {
		return nil, loadDiag(dir, fmt.Errorf("%s is not a directory", dir))
	}
	overlay, err := schemaOverlay(abs)
	if err != nil {
		return nil, loadDiag(dir, err)
	}
	// The schema constraint is added to the author's package as one more
	// file, so that the maps are evaluated once, constraints included,
	// whether or not the author's own files apply the schema.
	// Authors who apply the schema themselves (as dualsync init scaffolds)
	// need no second copy: the same constraint twice is evaluated twice.
	if pkg, constrained := scanPackage(abs); pkg != "" && !constrained {
		overlay[filepath.Join(abs, constraintFile)] = load.FromString(fmt.Sprintf(constraintSrc, pkg, schema.ImportPath))
	}
	cfg := &load.Config{Dir: abs, Overlay: overlay}
	insts := load.Instances([]string{"."}, cfg)
	if len(insts) != 1 {
		return nil, loadDiag(dir, fmt.Errorf("expected one CUE package in %s, found %d", dir, len(insts)))
	}
	if insts[0].Err != nil {
		return nil, cueDiags(abs, CodeLoad, insts[0].Err)
	}
	files := authorFiles(insts[0].Files)
	l := &loaded{dir: abs, ctx: ctx, refs: schemaRefs(abs, files), labels: fieldLabels(abs, files)}
	l.root = ctx.BuildInstance(insts[0])
	if err := l.root.Err(); err != nil {
		return nil, l.cueDiags(l.allErrors(err))
	}
	if err := l.root.Validate(cue.Concrete(true)); err != nil {
		return nil, l.cueDiags(l.allErrors(err))
	}
	return l, nil
}

// constraintFile is the file the compiler adds to the author's package to
// apply the schema; its positions are never reported.
const constraintFile = "zz_dualsync_schema.cue"

const constraintSrc = `package %s

import dualsyncschema "%s"

maps: [string]:    dualsyncschema.#TableMap
exclude: [string]: dualsyncschema.#Exclusion
`

// scanPackage returns the CUE package name of the .cue files in dir and
// whether they already constrain maps and exclude with the schema's
// #TableMap and #Exclusion (maps: [string]: schema.#TableMap).
func scanPackage(dir string) (pkg string, constrained bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	found := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") {
			continue
		}
		f, err := parser.ParseFile(filepath.Join(dir, e.Name()), nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		if pkg == "" {
			pkg = f.PackageName()
		}
		imported := false
		for spec := range f.ImportSpecs() {
			if strings.Trim(spec.Path.Value, `"`) == schema.ImportPath {
				imported = true
			}
		}
		if !imported {
			continue
		}
		full, err := parser.ParseFile(filepath.Join(dir, e.Name()), nil)
		if err != nil {
			continue
		}
		for _, d := range full.Decls {
			f, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, _ := ast.LabelName(f.Label)
			want := map[string]string{"maps": "#TableMap", "exclude": "#Exclusion"}[name]
			if want != "" && patternOf(f.Value, want) {
				found[name] = true
			}
		}
	}
	return pkg, found["maps"] && found["exclude"]
}

// patternOf reports whether v is a struct `{[string]: X.<def>}`.
func patternOf(v ast.Expr, def string) bool {
	st, ok := v.(*ast.StructLit)
	if !ok || len(st.Elts) != 1 {
		return false
	}
	f, ok := st.Elts[0].(*ast.Field)
	if !ok {
		return false
	}
	if _, ok := f.Label.(*ast.ListLit); !ok {
		return false
	}
	sel, ok := f.Value.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.Sel.(*ast.Ident)
	return ok && id.Name == def
}

// authorFiles drops the compiler's own constraint file.
func authorFiles(fs []*ast.File) []*ast.File {
	out := make([]*ast.File, 0, len(fs))
	for _, f := range fs {
		if filepath.Base(f.Filename) != constraintFile {
			out = append(out, f)
		}
	}
	return out
}

// allErrors gathers every error under the root: CUE stops at the first
// conflict in a struct, so each map's attributes are validated on their own
// too, so that one run reports every problem.
func (l *loaded) allErrors(first error) error {
	errs := cueerrors.Errors(first)
	if all := l.root.Validate(cue.All()); all != nil {
		errs = append(errs, cueerrors.Errors(all)...)
	}
	for _, top := range fields(l.root) {
		for _, m := range fields(top.V) {
			if err := m.V.Validate(cue.All()); err != nil {
				errs = append(errs, cueerrors.Errors(err)...)
			}
			for _, a := range fields(m.V) {
				if err := a.V.Validate(cue.All()); err != nil {
					errs = append(errs, cueerrors.Errors(err)...)
				}
			}
		}
	}
	var out cueerrors.Error
	for _, e := range errs {
		out = cueerrors.Append(out, e)
	}
	return out
}

// schemaOverlay returns the embedded schema files placed at schemaDir inside
// dir, and a module file when dir has none.
func schemaOverlay(dir string) (map[string]load.Source, error) {
	ov := map[string]load.Source{}
	err := fs.WalkDir(schema.Files(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.Files(), p)
		if err != nil {
			return err
		}
		ov[filepath.Join(dir, filepath.FromSlash(path.Join(schemaDir, p)))] = load.FromBytes(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	mod := filepath.Join(dir, "cue.mod", "module.cue")
	if _, err := os.Stat(mod); errors.Is(err, fs.ErrNotExist) {
		ov[mod] = load.FromString("module: \"dualsync.local/maps\"\nlanguage: version: \"v0.12.0\"\n")
	}
	return ov, nil
}

func loadDiag(dir string, err error) Diagnostics {
	return Diagnostics{{Pos: plan.Pos{File: filepath.ToSlash(dir)}, Code: CodeLoad, Severity: Error, Message: err.Error()}}
}

// cueDiags reports evaluation errors at the author's value for the error's
// path when there is one: an error against a constraint lists the schema and
// the constraint line too, but the author wants the line they wrote.
func (l *loaded) cueDiags(err error) Diagnostics {
	ds := cueDiagsSkip(l.dir, CodeCUE, err, l.refs)
	for i := range ds {
		if ds[i].Path == "" || (ds[i].Pos.Line > 0 && !l.refs[ds[i].Pos]) {
			continue
		}
		// Walk up the path to the nearest value the author wrote.
		for sels := cue.ParsePath(ds[i].Path).Selectors(); len(sels) > 0; sels = sels[:len(sels)-1] {
			v := l.root.LookupPath(cue.MakePath(sels...))
			if p := relPos(l.dir, v.Pos()); p.File != "" && !strings.HasPrefix(p.File, "cue.mod/") && p.File != constraintFile && !l.refs[p] {
				ds[i].Pos = p
				break
			}
		}
	}
	return mergeDisjunctions(ds)
}

// mergeDisjunctions folds CUE's report of a value that matches no branch of
// a disjunction ("3 errors in empty disjunction" plus one conflict per
// branch) into one diagnostic listing the allowed values.
func mergeDisjunctions(ds Diagnostics) Diagnostics {
	var out Diagnostics
	for i := 0; i < len(ds); i++ {
		d := ds[i]
		if !strings.Contains(d.Message, "errors in empty disjunction") {
			out = append(out, d)
			continue
		}
		var got string
		var allowed []string
		j := i + 1
		for ; j < len(ds) && ds[j].Path == d.Path; j++ {
			var a, b string
			if n, _ := fmt.Sscanf(ds[j].Message, "conflicting values %s and %s", &a, &b); n == 2 {
				allowed = append(allowed, a)
				got = b
			}
			if ds[j].Pos.Line > 0 {
				d.Pos = ds[j].Pos
			}
		}
		if got != "" {
			d.Message = fmt.Sprintf("%s is not allowed here: want one of %s", got, strings.Join(allowed, ", "))
		}
		out = append(out, d)
		i = j - 1
	}
	return out
}

// cueDiags turns CUE errors into diagnostics, each at its first position in
// the author's files (never inside the overlaid schema).
func cueDiags(dir, code string, err error) Diagnostics {
	return cueDiagsSkip(dir, code, err, nil)
}

func cueDiagsSkip(dir, code string, err error, skip map[plan.Pos]bool) Diagnostics {
	var ds Diagnostics
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		d := Diagnostic{Code: code, Severity: Error, Message: msg, Path: strings.Join(e.Path(), ".")}
		d.Pos = authorPos(dir, cueerrors.Positions(e), skip)
		if d.Pos.File == "" {
			d.Pos.File = "."
		}
		k := d.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		ds = append(ds, d)
	}
	if len(ds) == 0 {
		ds = loadDiag(dir, err)
	}
	return ds
}

// authorPos picks the first position outside the schema and cue.mod.
func authorPos(dir string, ps []token.Pos, skip map[plan.Pos]bool) plan.Pos {
	var fallback plan.Pos
	for _, p := range ps {
		pp := relPos(dir, p)
		if pp.File == "" || strings.HasPrefix(pp.File, "cue.mod/") || pp.File == constraintFile {
			continue
		}
		if skip[pp] {
			if fallback.File == "" {
				fallback = pp
			}
			continue
		}
		return pp
	}
	return fallback
}

// relPos converts a CUE position to one relative to the maps directory.
func relPos(dir string, p token.Pos) plan.Pos {
	if !p.IsValid() {
		return plan.Pos{}
	}
	f := p.Filename()
	if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
		f = r
	}
	return plan.Pos{File: filepath.ToSlash(f), Line: p.Line(), Col: p.Column()}
}
