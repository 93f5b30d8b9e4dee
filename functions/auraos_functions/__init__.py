"""AuraOS Cloud Functions: `handlers` adapt Firebase events to the typed `services`."""
