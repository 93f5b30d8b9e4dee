"""Memory: what the user tells Aura about themselves, kept across conversations."""
