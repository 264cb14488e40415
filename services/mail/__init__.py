"""E-mail, the second channel: templates, messages, sending through the relay or the outbox, unsubscribes and bounces."""
