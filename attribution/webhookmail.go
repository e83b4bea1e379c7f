package attribution

// WebhookDisabledMail tells a vendor admin that an endpoint was disabled
// (reason: WebhookDisabledGone or WebhookDisabledFailing) and where to see
// its deliveries.
func WebhookDisabledMail(p MailProgram, to, endpointURL, reason, settingsURL string) (*Message, error) {
	why := "every delivery to it failed for five days"
	if reason == WebhookDisabledGone {
		why = "it answered 410 Gone, which asks for no more events"
	}
	return buildMail(p, MailWebhookDisabled, to, mailData{Endpoint: endpointURL, Name: why,
		Link: settingsURL, Action: "See the endpoint"})
}
