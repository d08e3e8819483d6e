"""SMS: consent (STOP/START), keywords, message text and the Twilio sender."""
