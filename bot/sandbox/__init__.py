"""Try the bot in a terminal (`python -m bot sandbox [--team]`): the real Application against the
built-in fake Bot API, no token; as an athlete, or as a coach with a simulated team."""
