"""ai_service's data access: the only modules that touch Firestore (turns, conversations, the
user's assistant data and memories, analytics, flags). They take and return shared models
(`to_document` / `from_document`), never raw dicts; the rules are `ai_service.domain`'s."""
