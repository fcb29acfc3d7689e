"""Helpers shared by the tests and the benchmarks: a throwaway PostgreSQL server, webhook workers
behind a proxy, and the bot's store opened directly."""
