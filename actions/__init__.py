"""Custom actions for the spine clinic assistant (served by rasa-sdk)."""
