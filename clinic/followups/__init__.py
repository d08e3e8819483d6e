"""Follow-ups: post-procedure check-ins, registered, sent, answered."""
