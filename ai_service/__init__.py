"""AuraOS ai_service: the Cloud Run service that hosts the ML models and writes chat replies."""
