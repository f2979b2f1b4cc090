"""The render stage: one Jinja environment over templates/, its filters (one escaping per output) and caches."""
