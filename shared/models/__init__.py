"""Typed documents and messages, one module per area of docs/design.md's Firestore layout."""
