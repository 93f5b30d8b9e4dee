"""Natural-language understanding: intent, entities and sentiment behind one interface."""
