"""Plain typed business logic, called by handlers with keyword-only arguments."""
