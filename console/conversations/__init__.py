"""Conversations as staff read them: the filtered list, one transcript, masking for display."""
