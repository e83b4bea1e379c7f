package attribution

// Failing reports whether an endpoint needs its vendor's attention (the
// overview's task "failing webhook endpoints"): its latest attempts failed
// (a failing streak), or a failure disabled it (410 Gone, or failing for
// WebhookFailingLimit). An endpoint the vendor disabled is not failing.
// The store counts the same rule in SQL (store.Dashboard.Tasks).
func (e *WebhookEndpoint) Failing() bool {
	if e.Status == WebhookDisabled {
		return e.DisabledReason == WebhookDisabledFailing || e.DisabledReason == WebhookDisabledGone
	}
	return e.FailingSince != nil
}
