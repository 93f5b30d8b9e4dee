"""ai_service's data access: the only modules that call Firestore for the user's assistant data.
They take and return shared models (`to_document` / `from_document`), never raw dicts."""
