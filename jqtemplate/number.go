package jqtemplate

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
)

// appendNumber appends f as JavaScript's JSON.stringify writes a number:
// shortest round-trip digits, plain notation from 1e-6 up to 1e21, exponent
// notation ("1e+22", "1.5e-7") outside, "0" for negative zero and null for
// NaN and infinities.
func appendNumber(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == 0 {
		return append(dst, '0')
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, 'e', -1, 64)
	// Go writes two-digit exponents ("1e-07"); JavaScript writes "1e-7".
	if m := len(dst) - n; m >= 4 && dst[len(dst)-4] == 'e' && dst[len(dst)-2] == '0' {
		dst[len(dst)-2] = dst[len(dst)-1]
		dst = dst[:len(dst)-1]
	}
	return dst
}

// toFloat converts a gojq number to the float64 JavaScript would hold after
// parsing jq's output. jq prints infinities as ±DBL_MAX and NaN as null.
func toFloat(v any) (any, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint:
		return float64(n), true
	case float32:
		f = float64(n)
	case *big.Int:
		f, _ = new(big.Float).SetInt(n).Float64()
	case json.Number:
		f, _ = strconv.ParseFloat(string(n), 64)
	default:
		return nil, false
	}
	switch {
	case math.IsNaN(f):
		return nil, true
	case math.IsInf(f, 1):
		return math.MaxFloat64, true
	case math.IsInf(f, -1):
		return -math.MaxFloat64, true
	}
	return f, true
}
