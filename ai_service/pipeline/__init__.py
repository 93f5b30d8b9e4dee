"""The chat turn pipeline: claim, understand, retrieve context, generate, stream, complete."""
