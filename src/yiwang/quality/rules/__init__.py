"""Quality rules as code: each a plugin of the ``quality rules`` registry (``yiwang.core.registry``)."""
