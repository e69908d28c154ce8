"""Shared machinery of the emulated workspace: store, errors, identities, access checks, state."""
