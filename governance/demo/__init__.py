"""The demo world: a deterministic set of subjects, users, consents, files and grants."""
