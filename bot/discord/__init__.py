"""Discord front end: HTTP interactions (slash commands, buttons), registration, gateway worker."""
