package cli

import (
	"fmt"
	"io"
	"strings"
)

// progressBar draws "[=====>    ] 12/40 name" on one terminal line. A nil
// *progressBar draws nothing.
type progressBar struct {
	w     io.Writer
	total int
	drawn bool
}

const barWidth = 30

func (p *progressBar) show(done int, what string) {
	if p == nil {
		return
	}
	filled := barWidth * done / max(p.total, 1)
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled)
	if filled < barWidth {
		bar = bar[:filled] + ">" + bar[filled+1:]
	}
	if len(what) > 40 {
		what = what[:39] + "…"
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %d/%d %s", bar, done, p.total, what)
	p.drawn = true
}

// clear erases the bar, so that other output starts on a clean line.
func (p *progressBar) clear() {
	if p == nil || !p.drawn {
		return
	}
	fmt.Fprint(p.w, "\r\033[K")
	p.drawn = false
}
