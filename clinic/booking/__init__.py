"""Booking: reading the form's answers, storing requests, the scheduling hand-off."""
