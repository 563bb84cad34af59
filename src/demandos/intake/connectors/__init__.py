"""One module per export format; each registers its connector (``intake.registry.register``)."""
