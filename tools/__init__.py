"""Developer and operator tools: local stack bootstrap, demo seed, the terminal chat client."""
