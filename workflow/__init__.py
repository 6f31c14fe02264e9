"""The use cases: one function per command, the permissions, and the ports they need."""
