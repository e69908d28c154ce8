"""Models behind the emulated serving endpoints: reference (default), scripted, passthrough."""
