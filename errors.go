package berth

import (
	"errors"
	"fmt"
)

// Code is the closed set of error kinds berth returns. The HTTP layer maps each
// code to one status code in one table; nothing else decides a status.
type Code string

// Error codes. Each service method documents which of these it returns.
const (
	CodeInvalid          Code = "invalid_request"    // 400: the request cannot be parsed
	CodeUnauthorized     Code = "unauthorized"       // 401: missing, expired or forged credentials
	CodeForbidden        Code = "forbidden"          // 403: authenticated but not allowed
	CodeNotFound         Code = "not_found"          // 404: the named resource does not exist
	CodeMethodNotAllowed Code = "method_not_allowed" // 405: the route exists for other methods
	CodeConflict         Code = "conflict"           // 409: the identifier is taken, or the state forbids it
	CodeTooLarge         Code = "too_large"          // 413: the request body is over the limit
	CodeUnprocessable    Code = "unprocessable"      // 422: well-formed but invalid
	CodeInternal         Code = "internal_error"     // 500: a bug or an outage; details are logged, never shown
)

// HTTPStatus is the HTTP status of code: the one table that maps codes to
// statuses, for the API and the console alike. Unknown codes are 500.
func (c Code) HTTPStatus() int {
	switch c {
	case CodeInvalid:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeForbidden:
		return 403
	case CodeNotFound:
		return 404
	case CodeMethodNotAllowed:
		return 405
	case CodeConflict:
		return 409
	case CodeTooLarge:
		return 413
	case CodeUnprocessable:
		return 422
	}
	return 500
}

// Error is an error whose message is safe to show to API clients. Errors of
// any other type are internal: the HTTP layer logs them and shows nothing.
type Error struct {
	Code    Code
	Message string
	// Fields lists the offending fields of a validation error, as JSON
	// pointers into the request ("/properties/replicas") with what is wrong.
	Fields []FieldError
}

// FieldError names one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a 422 error naming the offending fields.
func Invalid(message string, fields ...FieldError) *Error {
	return &Error{Code: CodeUnprocessable, Message: message, Fields: fields}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, else CodeInternal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsNotFound reports whether err is a not_found error.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }
