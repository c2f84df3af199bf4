package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/berthdev/berth/jqtemplate"
)

const renderUsage = `Usage: berth render --data DATA.json [--strict] TEMPLATE.json

Renders a payload template (any JSON value whose strings hold {{ jq }} blocks,
such as an action's invocationMethod) against trigger data, as Port does, and
prints the result as indented JSON. Either file may be - for standard input.

Expressions that fail render as null and are reported on standard error;
--strict makes them fail the command. Exit status: 0 rendered, 1 the template,
the data or (with --strict) an expression is bad, 2 usage error.

Flags:
`

// renderCommand runs `berth render` and returns the exit status.
func renderCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseRenderArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "berth render: %v\n", err)
		return 2
	}
	return opts.run(stdin, stdout, stderr)
}

type renderOptions struct {
	dataPath, templatePath string
	strict                 bool
}

// parseRenderArgs parses flags given before or after the template path.
func parseRenderArgs(args []string, stderr io.Writer) (renderOptions, error) {
	var o renderOptions
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataPath, "data", "", "trigger data `file` (JSON), - for standard input")
	fs.BoolVar(&o.strict, "strict", false, "fail when an expression fails instead of rendering null")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), renderUsage)
		fs.PrintDefaults()
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(positional) != 1:
		return o, fmt.Errorf("want one TEMPLATE.json, got %d arguments (see --help)", len(positional))
	case o.dataPath == "":
		return o, errors.New("--data is required (see --help)")
	case o.dataPath == "-" && positional[0] == "-":
		return o, errors.New("--data and TEMPLATE.json cannot both be standard input")
	}
	o.templatePath = positional[0]
	return o, nil
}

func (o renderOptions) run(stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "berth render: "+format+"\n", args...)
		return 1
	}
	rawTemplate, err := readInput(o.templatePath, stdin)
	if err != nil {
		return fail("%v", err)
	}
	rawData, err := readInput(o.dataPath, stdin)
	if err != nil {
		return fail("%v", err)
	}
	tmpl, err := jqtemplate.Compile(rawTemplate)
	if err != nil {
		return fail("%s: %s", o.templatePath, describeError(err, rawTemplate))
	}
	if o.strict && len(tmpl.Problems()) > 0 {
		for _, p := range tmpl.Problems() {
			fmt.Fprintf(stderr, "berth render: %s: %v\n", o.templatePath, p)
		}
		return 1
	}
	data, err := jqtemplate.ParseData(rawData)
	if err != nil {
		return fail("%s: %s", o.dataPath, describeError(err, rawData))
	}
	res, err := tmpl.Render(context.Background(), data, jqtemplate.Options{Strict: o.strict})
	o.warn(stderr, res.Warnings, tmpl.Problems())
	if err != nil {
		return fail("%s: %s", o.templatePath, describeError(err, nil))
	}
	out, err := jqtemplate.MarshalIndent(res.Value, "  ")
	if err != nil {
		return fail("%v", err)
	}
	if _, err := stdout.Write(append(out, '\n')); err != nil {
		return fail("%v", err)
	}
	return 0
}

// warn prints the render's warnings, then the expressions that do not
// compile but were not evaluated (under a key that rendered to null).
func (o renderOptions) warn(stderr io.Writer, warnings, problems []*jqtemplate.ExprError) {
	seen := map[jqtemplate.Location]bool{}
	for _, w := range warnings {
		seen[w.Location] = true
		fmt.Fprintf(stderr, "berth render: %s: warning: %v\n", o.templatePath, w)
	}
	for _, p := range problems {
		if !seen[p.Location] {
			fmt.Fprintf(stderr, "berth render: %s: warning (not evaluated): %v\n", o.templatePath, p)
		}
	}
}

func readInput(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		return b, nil
	}
	return os.ReadFile(path)
}

// describeError adds where an error is: the line and column of a JSON syntax
// error in src, or the offending string with a caret under the brace a
// structural template error points at.
func describeError(err error, src []byte) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) && src != nil {
		at := int(syntax.Offset) - 1 // Offset counts the offending byte
		if int(syntax.Offset) >= len(src) {
			at = len(src) // unexpected end
		}
		line, col := lineColumn(src, at)
		return fmt.Sprintf("line %d, column %d: %v", line, col, err)
	}
	var te *jqtemplate.TemplateError
	if errors.As(err, &te) && te.Offset >= 0 && printable(te.Source) {
		width := utf8.RuneCountInString(te.Source[:te.Offset])
		return fmt.Sprintf("%v\n    %s\n    %s^", err, te.Source, strings.Repeat(" ", width))
	}
	return err.Error()
}

// lineColumn converts the byte offset of a character of src to its 1-based
// line and column.
func lineColumn(src []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(src))
	before := src[:offset]
	line = 1 + strings.Count(string(before), "\n")
	lastNL := strings.LastIndexByte(string(before), '\n')
	return line, 1 + utf8.RuneCount(before[lastNL+1:])
}

func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}
