"""The action server process: rasa-sdk's app, bound to loopback, behind a shared secret."""
