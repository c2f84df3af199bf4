package engine

import (
	"slices"

	"github.com/berthdev/berth"
	"github.com/berthdev/berth/delivery"
	"github.com/berthdev/berth/seal"
	"github.com/berthdev/berth/service"
)

// request is what a backend gets to work on a run: the payload with its
// secrets in clear (stored sealed, service.DeliveryPayload), and the Masker
// that hides those secrets in whatever the backend answers.
func (e *Engine) request(run *berth.Run, sealed string, attempt int) (delivery.Request, seal.Masker, error) {
	payload, masker, err := service.OpenPayload(e.org.SecretsKey, run, sealed)
	if err != nil {
		return delivery.Request{}, masker, err
	}
	return delivery.Request{Run: run, Payload: payload, Attempt: attempt, OrgID: e.org.ID,
		ClientSecret: []byte(e.org.ClientSecret)}, masker, nil
}

// masked returns res with the secret values m knows masked in everything
// that is stored: the attempt's target, error and response, log lines, and
// the run's summary, response, links and labels.
func masked(res delivery.Result, m seal.Masker) delivery.Result {
	if m.Empty() {
		return res
	}
	res.Target, res.Error, res.Response = m.String(res.Target), m.String(res.Error), m.String(res.Response)
	res.Logs = m.Strings(slices.Clone(res.Logs))
	if res.Finish != nil {
		f := *res.Finish
		f.Summary, f.Response, f.Link = m.String(f.Summary), m.JSON(f.Response), m.Strings(slices.Clone(f.Link))
		res.Finish = &f
	}
	if res.Progress != nil {
		p := *res.Progress
		p.StatusLabel, p.ExternalRunID, p.Link = m.String(p.StatusLabel), m.String(p.ExternalRunID), m.Strings(slices.Clone(p.Link))
		res.Progress = &p
	}
	return res
}
