"""Firestore access: the only modules that know document paths and transactions."""
