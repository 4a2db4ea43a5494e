"""The operators' one-screen cockpit: a FastAPI app over the twin, with its static front end."""
