"""Safety: staff alerts for red flags, kept even when the database fails."""
