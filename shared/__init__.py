"""The contract that `functions/` and `ai_service/` share: models, paths, topics, messages, errors.

This package imports nothing of ours, so either side can carry a copy of it (see README, "Deploying
shared code").
"""
