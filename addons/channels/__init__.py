"""Input channels for the Rasa server."""
