package wire

// Error codes of the email rules, answering a transcript frame. The
// widget tells the visitor what to do about each.
const (
	// CodeEmailConfirm: the address is not proven for this visitor; a
	// confirmation link was emailed to it and the transcript follows once
	// the link is opened.
	CodeEmailConfirm = "email_confirm"
	// CodeEmailUnproven: the address is not proven and the shop set no
	// confirmation page, so only an identified customer's own address works.
	CodeEmailUnproven = "email_unproven"
	// CodeEmailLimit: the visitor or the address has had the day's emails.
	CodeEmailLimit = "email_limit"
	// CodeEmailSuppressed: mail to the address bounced or was marked as
	// spam, and nothing more is sent to it.
	CodeEmailSuppressed = "email_suppressed"
)
