"""Training and evaluation commands for ai_service's models (need the training venv: torch...)."""
