"""Aura's tools: one registry over the user's reminders, tasks, notes and events, used by the
cloud providers' function calling and by the deterministic NLU path alike."""
