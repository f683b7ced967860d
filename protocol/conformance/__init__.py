"""Known-answer material for implementations of the standard: fixed keys, a fixed directory,
one sample of every message type, and the vectors built from them (schemas/vectors/)."""
