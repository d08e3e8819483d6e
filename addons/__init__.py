"""Rasa-server side extensions: NLU components, the guarded REST channel and the NLG."""
