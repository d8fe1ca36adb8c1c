"""claimwatch: alerts — compose change events into messages and deliver them.

filters.py   which channel wants which event (kinds, metrics, minimum change)
context.py   AlertContext: what the caller knows about metrics, history and sources
figures.py   figures as people read them ("over 1 billion", "+43%")
compose.py   subject, plain text and HTML (templates/*.j2), probe messages
payload.py   the webhook JSON payload (webhook_payload.schema.json, webhook_payload.example.json)
notifiers.py NOTIFIERS: the notifier of each channel kind, keyed by its config model's kind
channels/    one notifier a module: email, webhook (Standard Webhooks), apprise
secrets.py   SecretResolver, env_secret_resolver, scrubbing
deliver.py   deliver(pending, ...) with backoff; test_channel(channel, ...)
"""
