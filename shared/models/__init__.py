"""Typed documents and messages; each module covers one area of docs/design.md's data layout."""
