// Package api serves berth's Port-compatible REST API (/v1/...). Handlers
// decode a request, call a service and encode its answer; they return errors
// instead of writing them, and one adapter (handle) maps every error to a
// status code and the {"ok": false, ...} envelope, logging what is not safe to
// show.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/berthdev/berth"
)

// maxBody is the largest request body accepted (spec 12: 1 MiB).
const maxBody = 1 << 20

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts h to http.Handler: errors become the error envelope.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type errorBody struct {
	OK      bool               `json:"ok"`
	Error   berth.Code         `json:"error"`
	Message string             `json:"message"`
	Fields  []berth.FieldError `json:"fields,omitempty"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *berth.Error
	if !errors.As(err, &e) {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = berth.Errorf(berth.CodeInternal, "an internal error occurred; the server log has the details")
	}
	status := e.Code.HTTPStatus()
	writeJSON(w, status, errorBody{Error: e.Code, Message: e.Message, Fields: e.Fields})
}

// writeJSON writes v as the JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing response failed", "err", err)
	}
}

// ok writes {"ok": true, key: value} with the given status, "ok" first as
// Port writes it.
func ok(w http.ResponseWriter, status int, key string, value any) error {
	if key == "" {
		writeRaw(w, status, []byte(`{"ok":true}`))
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(value); err != nil {
		return err
	}
	body := make([]byte, 0, buf.Len()+len(key)+16)
	body = append(body, `{"ok":true,`...)
	body = strconv.AppendQuote(body, key)
	body = append(body, ':')
	body = append(body, bytes.TrimRight(buf.Bytes(), "\n")...)
	body = append(body, "}\n"...)
	writeRaw(w, status, body)
	return nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads the request body, refusing more than maxBody bytes and
// malformed JSON. Errors: too_large, invalid_request.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	buf, err := readAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, berth.Errorf(berth.CodeTooLarge, "request body is too large (limit is 1MiB)")
	}
	if err != nil {
		return nil, berth.Errorf(berth.CodeInvalid, "could not read the request body")
	}
	if !json.Valid(buf) {
		return nil, berth.Errorf(berth.CodeInvalid, "the request body is not valid JSON")
	}
	if !utf8.Valid(buf) {
		// JSON is UTF-8; Go's decoder would store U+FFFD in place of the
		// bad bytes, changing the text without saying so.
		return nil, berth.Errorf(berth.CodeInvalid, "the request body is not valid UTF-8")
	}
	return buf, nil
}

// decodeBody reads the body into v, a struct describing the route's schema.
// Unknown fields are refused with 422 naming the field.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	buf, err := readBody(w, r)
	if err != nil {
		return err
	}
	return decodeStrict(buf, v)
}
