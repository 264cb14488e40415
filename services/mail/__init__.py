"""The mail service: e-mail as a second channel (templates, sending, unsubscribes and bounces)."""
