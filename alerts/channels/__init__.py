"""Channel kinds: one notifier a module, each naming the config model it serves (core.config.CHANNEL_MODELS).

``base`` holds what they share; ``alerts.notifiers`` registers them (``NOTIFIER_CLASSES``).
"""
