package catalog

import (
	"fmt"
	"regexp"
	"unicode/utf8"
)

// Identifier limits (spec 12).
const (
	MaxBlueprintIdentifier = 100
	MaxPropertyIdentifier  = 100
	MaxEntityIdentifier    = 1000
)

// The spec's patterns start with (?!\.{1,2}$), which Go's regexp cannot
// express; idProblem checks "." and ".." by hand.
var (
	blueprintIDChars = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/-]+$`)
	entityIDChars    = regexp.MustCompile(`^[\p{L}0-9@_.+:\\/=-]+$`)
	propertyIDChars  = regexp.MustCompile(`^[A-Za-z0-9@_=\-]+$`)
)

// blueprintIDProblem says what is wrong with a blueprint identifier, or "".
func blueprintIDProblem(id string) string {
	return idProblem(id, MaxBlueprintIdentifier, blueprintIDChars, `letters, digits and @ _ . + : \ / -`)
}

// entityIDProblem says what is wrong with an entity identifier, or "".
func entityIDProblem(id string) string {
	return idProblem(id, MaxEntityIdentifier, entityIDChars, `letters, digits and @ _ . + : \ / = -`)
}

// propertyIDProblem says what is wrong with a property, relation, mirror,
// calculation or aggregation identifier, or "".
func propertyIDProblem(id string) string {
	return idProblem(id, MaxPropertyIdentifier, propertyIDChars, `A-Z a-z 0-9 @ _ = -`)
}

func idProblem(id string, limit int, chars *regexp.Regexp, allowed string) string {
	switch n := utf8.RuneCountInString(id); {
	case id == "":
		return "must not be empty"
	case n > limit:
		return fmt.Sprintf("must be at most %d characters long (is %d)", limit, n)
	case id == "." || id == "..":
		return `must not be "." or ".."`
	case !chars.MatchString(id):
		return "may only contain " + allowed
	}
	return ""
}

// ValidateBlueprintIdentifier returns a 422 (field "/identifier") when id is
// not a valid blueprint identifier, e.g. one taken from a URL path.
func ValidateBlueprintIdentifier(id string) error {
	return identifierError("blueprint identifier", blueprintIDProblem(id))
}

// ValidateEntityIdentifier returns a 422 (field "/identifier") when id is not
// a valid entity identifier, e.g. one taken from a URL path or generated.
func ValidateEntityIdentifier(id string) error {
	return identifierError("entity identifier", entityIDProblem(id))
}

func identifierError(what, problem string) error {
	if problem == "" {
		return nil
	}
	var p problems
	p.add("/identifier", "%s", problem)
	return p.err(what)
}
