"""Privacy: the vault of personal data, its master key and rotation, consents, erasure, and the access trail."""
