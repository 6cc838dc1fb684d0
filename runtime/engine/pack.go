package engine

import "encoding/binary"

// A record's values on one side are kept packed in one string, one entry per
// plan field in plan order, so that a tracked record costs a few hundred
// bytes instead of a slice of Values per side. Each entry is a tag byte and
// its payload:
//
//	tag&0x7f  payload
//	absent    -
//	null      -
//	string    uvarint length, bytes
//	decimal   uvarint length, canonical text
//	int       zig-zag varint
//	time      zig-zag varint (Unix microseconds)
//	false     -
//	true      -
//
// Bit 0x80 marks a value the engine wrote itself and has not yet seen come
// back through that side's change feed (see echo.go). Unpacked strings are
// substrings of the packed string: unpacking allocates nothing.
const (
	tagAbsent = iota
	tagNull
	tagString
	tagDecimal
	tagInt
	tagTime
	tagFalse
	tagTrue

	tagUnconfirmed = 0x80
)

// pack appends the packed form of vals to b. All-absent values pack to
// nothing, so an unknown side costs no memory.
func pack(b []byte, vals []Value, unconf []bool) []byte {
	start := len(b)
	seen := false
	for i, v := range vals {
		var tag byte
		switch v.k {
		case kindAbsent:
			tag = tagAbsent
		case KindNull:
			tag = tagNull
		case KindString:
			tag = tagString
		case KindDecimal:
			tag = tagDecimal
		case KindInt:
			tag = tagInt
		case KindTime:
			tag = tagTime
		case KindBool:
			tag = tagFalse
			if v.n != 0 {
				tag = tagTrue
			}
		}
		if tag != tagAbsent {
			seen = true
		}
		if unconf != nil && unconf[i] && tag != tagAbsent {
			tag |= tagUnconfirmed
		}
		b = append(b, tag)
		switch tag &^ tagUnconfirmed {
		case tagString, tagDecimal:
			b = binary.AppendUvarint(b, uint64(len(v.s)))
			b = append(b, v.s...)
		case tagInt, tagTime:
			b = binary.AppendVarint(b, v.n)
		}
	}
	if !seen {
		return b[:start]
	}
	return b
}

// unpack decodes p into vals and unconf, which have one entry per field.
func unpack(p string, vals []Value, unconf []bool) {
	pos := 0
	for i := range vals {
		vals[i], unconf[i], pos = decodeAt(p, pos)
	}
}

// decodeAt decodes the entry at pos of packed values p, and returns the
// position of the next. Past the end, every field is absent.
func decodeAt(p string, pos int) (Value, bool, int) {
	if pos >= len(p) {
		return absent, false, pos
	}
	tag := p[pos]
	pos++
	unconf := tag&tagUnconfirmed != 0
	switch tag &^ tagUnconfirmed {
	case tagNull:
		return Value{}, unconf, pos
	case tagFalse:
		return Value{k: KindBool}, unconf, pos
	case tagTrue:
		return Value{k: KindBool, n: 1}, unconf, pos
	case tagString, tagDecimal:
		n, w := uvarintString(p[pos:])
		pos += w
		k := KindString
		if tag&^tagUnconfirmed == tagDecimal {
			k = KindDecimal
		}
		end := pos + int(n)
		return Value{k: k, s: p[pos:end]}, unconf, end
	case tagInt, tagTime:
		n, w := varintString(p[pos:])
		k := KindInt
		if tag&^tagUnconfirmed == tagTime {
			k = KindTime
		}
		return Value{k: k, n: n}, unconf, pos + w
	}
	return absent, false, pos
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, len(s)
}

func varintString(s string) (int64, int) {
	ux, n := uvarintString(s)
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x, n
}
