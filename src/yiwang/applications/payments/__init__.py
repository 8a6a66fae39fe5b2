"""Payment providers behind a registry, and the 非税收入电子票据-style receipt.

Private to the applications app: views, commands and other apps use ``services.payments`` only.
"""
