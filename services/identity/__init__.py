"""Identity: accounts, roles, sessions, API keys, sign-in limits, and the policy of which role may call each route."""
