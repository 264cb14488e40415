"""Mail domain: where delivery to each address stands (bounces, holds); past-tense events, errors named for rules."""
