"""Dead letters: the record format, publishing them, and the ``citytwin dlq`` tool that lists, shows and replays them."""
