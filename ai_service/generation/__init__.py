"""Response generation: deterministic skills first, then a provider router over LLM back ends."""
