"""Performance benchmarks of the bot's real code paths against baselines (`python -m bench`)."""
