package engine

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDecimalCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"100.50", "100.5"},
		{"100.5", "100.5"},
		{"0100.500", "100.5"},
		{"-0100.50", "-100.5"},
		{"-100.50", "-100.5"},
		{"+7", "7"},
		{"7.", "7"},
		{".5", "0.5"},
		{"-.5", "-0.5"},
		{"-0.000", "0"},
		{"0", "0"},
		{"1.5e3", "1500"},
		{"15E-3", "0.015"},
		{"-2.50e1", "-25"},
	}
	for _, tt := range tests {
		v, err := Decimal(tt.in)
		if err != nil {
			t.Errorf("Decimal(%q): %v", tt.in, err)
			continue
		}
		if got, _ := v.AsDecimal(); got != tt.want {
			t.Errorf("Decimal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", ".", "-", "1.2.3", "abc", "1e", "--1", "1 "} {
		if _, err := Decimal(bad); err == nil {
			t.Errorf("Decimal(%q): no error", bad)
		}
	}
}

func TestDecimalRound(t *testing.T) {
	tests := []struct {
		in    string
		scale int
		want  string
	}{
		{"10.123456", 4, "10.1235"},
		{"10.12344", 4, "10.1234"},
		{"9.99", 1, "10"},
		{"-9.99", 1, "-10"},
		{"2.5", 0, "3"},
		{"-2.5", 0, "-3"},
		{"0.04", 1, "0"},
		{"1.5", 4, "1.5"},
		{"12", 2, "12"},
		{"0.995", 2, "1"},
	}
	for _, tt := range tests {
		if got := roundDecimal(MustDecimal(tt.in).s, tt.scale); got != tt.want {
			t.Errorf("roundDecimal(%s, %d) = %s, want %s", tt.in, tt.scale, got, tt.want)
		}
	}
}

func TestValueEqual(t *testing.T) {
	tm := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		a, b Value
		want bool
	}{
		{MustDecimal("100.50"), MustDecimal("100.5"), true},
		{MustDecimal("100"), Int(100), true},
		{Int(100), MustDecimal("100.1"), false},
		{String("a"), String("A"), false},
		{String(""), Null(), false},
		{Null(), Null(), true},
		{Bool(true), Bool(true), true},
		{Bool(true), Int(1), false},
		{Time(tm), Time(tm.In(time.FixedZone("x", 3600))), true},
	}
	for _, tt := range tests {
		if got := tt.a.Equal(tt.b); got != tt.want {
			t.Errorf("%v.Equal(%v) = %t, want %t", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestValueJSON(t *testing.T) {
	tm := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	tests := []struct {
		v    Value
		want string
	}{
		{Null(), `null`},
		{String(`a"b`), `{"str":"a\"b"}`},
		{Int(-3), `{"int":-3}`},
		{MustDecimal("10.50"), `{"dec":"10.5"}`},
		{Bool(true), `{"bool":true}`},
		{Time(tm), `{"time":"2025-01-02T03:04:05.000006Z"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("marshal %v = %s, want %s", tt.v, b, tt.want)
		}
		var back Value
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if back != tt.v {
			t.Errorf("round trip of %s = %#v, want %#v", b, back, tt.v)
		}
	}
	for _, bad := range []string{`{}`, `{"str":1}`, `{"nope":1}`, `{"dec":"x"}`, `3`} {
		var v Value
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("unmarshal %s: no error", bad)
		}
	}
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		raw  string
		want Value
	}{
		{`"x"`, String("x")},
		{`3`, Int(3)},
		{`3.50`, MustDecimal("3.5")},
		{`true`, Bool(true)},
		{`null`, Null()},
	}
	for _, tt := range tests {
		got, err := ParseJSON(tt.raw)
		if err != nil || got != tt.want {
			t.Errorf("ParseJSON(%s) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	if _, err := ParseJSON(`{"a":1}`); err == nil {
		t.Error("ParseJSON of an object: no error")
	}
}

func TestPackRoundTrip(t *testing.T) {
	in := []Value{absent, Null(), String("héllo"), Int(-42), MustDecimal("-12.345"), Bool(false), Bool(true), Time(t0), String(""), Int(1 << 40)}
	unconf := []bool{false, true, false, true, false, false, true, false, false, false}
	p := string(pack(nil, in, unconf))
	out := make([]Value, len(in))
	gotU := make([]bool, len(in))
	unpack(p, out, gotU)
	for i := range in {
		if out[i] != in[i] {
			t.Errorf("field %d: %#v, want %#v", i, out[i], in[i])
		}
		want := unconf[i] && in[i].k != kindAbsent
		if gotU[i] != want {
			t.Errorf("field %d: unconfirmed %t, want %t", i, gotU[i], want)
		}
	}
	if p := pack(nil, []Value{absent, absent}, nil); len(p) != 0 {
		t.Errorf("all absent packs to %d bytes, want 0", len(p))
	}
	unpack("", out, gotU)
	for i, v := range out {
		if v.k != kindAbsent {
			t.Errorf("empty pack: field %d = %v", i, v)
		}
	}
}

func TestKey(t *testing.T) {
	tests := [][]string{
		{"usmf", "US-001"},
		{"usmf", `a|b\c`},
		{"", ""},
		{`\`, `|`},
	}
	for _, parts := range tests {
		k := JoinKey(parts...)
		got := SplitKey(k)
		if len(got) != len(parts) {
			t.Errorf("SplitKey(JoinKey(%q)) = %q", parts, got)
			continue
		}
		for i := range parts {
			if got[i] != parts[i] {
				t.Errorf("SplitKey(JoinKey(%q)) = %q", parts, got)
			}
		}
	}
	if k := JoinKey("usmf", "US-001"); k != "usmf|US-001" {
		t.Errorf("JoinKey = %q", k)
	}
}
