"""E-mail, the second channel: templates, messages, the relay or the outbox, unsubscribes and bounces."""
