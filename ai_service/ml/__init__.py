"""Trained models of ai_service, served without torch (ONNX Runtime, scikit-learn, implicit).

One module per model plus the shared sentence encoder; `registry.ModelRegistry` loads them once at
start-up, `routes.ml_api` serves them, `analyzer.TrainedAnalyzer` is the chat pipeline's analyzer.
"""
