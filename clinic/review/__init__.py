"""Staff review of conversations: the transcript index over Rasa's events, training exports."""
