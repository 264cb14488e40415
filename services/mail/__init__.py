"""E-mail: messages, signed tokens for unsubscribe links and bounce addresses, and their way out (relay or outbox)."""
