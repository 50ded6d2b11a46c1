"""What a browser (or a link previewer) gets at the bot's own URLs."""
