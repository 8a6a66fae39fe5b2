"""Self-service terminal (自助终端) login: the enrolled devices, card readers and the phone-approved QR login.

docs/terminal.md describes the flows. The web layer (``yiwang.portal.views.terminal``) calls
``services`` and ``selectors`` here; a card reader is a plugin of the ``terminal-card-reader`` registry.
"""
