"""Typed documents and messages; each module covers one area of design.md's Firestore layout."""
