"""Mail service: e-mail as a second channel — sending, templates, unsubscribes and bounces."""
