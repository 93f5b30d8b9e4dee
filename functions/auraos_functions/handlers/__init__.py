"""The only modules that import firebase_functions: parse, authorise, call a service, map errors."""
