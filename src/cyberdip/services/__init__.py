"""Use cases: one function per question a user asks. Interfaces call these and nothing lower."""
