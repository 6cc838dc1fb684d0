package compiler

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// Catalogs written by dualsync import-metadata are literal data: structs,
// lists, strings, numbers and booleans, nothing to unify or compute. Such
// catalogs are read straight from their syntax, which skips evaluating
// what is already a value; any catalog that uses more of CUE (references,
// constraints, a field defined twice) is evaluated by CUE as usual.

// literalCatalog parses the .cue files in dir and returns the catalog when
// every file is literal data; ok is false when CUE must evaluate them.
func literalCatalog(dir string) (cat *Catalog, ok bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, false
	}
	tree := map[string]any{}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".cue") {
			continue
		}
		f, err := parser.ParseFile(filepath.Join(dir, e.Name()), nil)
		if err != nil || f.PackageName() == "" {
			return nil, false
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.Package, *ast.CommentGroup:
			case *ast.Field:
				if !mergeField(tree, d) {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		n++
	}
	if n == 0 {
		return nil, false
	}
	b, err := json.Marshal(tree)
	if err != nil {
		return nil, false
	}
	var c Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, false
	}
	return &c, true
}

// mergeField adds a regular field to obj. A name defined twice merges when
// both are structs (fo in one file, dv in another, or entities split over
// many declarations), which is what unification does with literal structs;
// a scalar or list defined twice is left to CUE.
func mergeField(obj map[string]any, f *ast.Field) bool {
	if f.Constraint != token.ILLEGAL {
		return false
	}
	name, isIdent, err := ast.LabelName(f.Label)
	if err != nil || (isIdent && strings.HasPrefix(name, "#")) || strings.HasPrefix(name, "_") {
		return false
	}
	v, ok := literalValue(f.Value)
	if !ok {
		return false
	}
	return mergeInto(obj, name, v)
}

func mergeInto(obj map[string]any, name string, v any) bool {
	old, exists := obj[name]
	if !exists {
		obj[name] = v
		return true
	}
	om, ok1 := old.(map[string]any)
	nm, ok2 := v.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	for k, x := range nm {
		if !mergeInto(om, k, x) {
			return false
		}
	}
	return true
}

func literalValue(x ast.Expr) (any, bool) {
	switch x := x.(type) {
	case *ast.StructLit:
		obj := map[string]any{}
		for _, d := range x.Elts {
			switch d := d.(type) {
			case *ast.Field:
				if !mergeField(obj, d) {
					return nil, false
				}
			case *ast.CommentGroup:
			default:
				return nil, false
			}
		}
		return obj, true
	case *ast.ListLit:
		list := make([]any, 0, len(x.Elts))
		for _, e := range x.Elts {
			v, ok := literalValue(e)
			if !ok {
				return nil, false
			}
			list = append(list, v)
		}
		return list, true
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			s, err := literal.Unquote(x.Value)
			return s, err == nil
		case token.INT, token.FLOAT:
			var n literal.NumInfo
			if err := literal.ParseNum(x.Value, &n); err != nil {
				return nil, false
			}
			return json.Number(n.String()), true
		case token.TRUE:
			return true, true
		case token.FALSE:
			return false, true
		case token.NULL:
			return nil, true
		}
	}
	return nil, false
}
