"""Events API callbacks the bot subscribes to."""
