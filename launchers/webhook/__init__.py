"""The webhook launcher: GitHub-style webhooks, verified by HMAC-SHA256, mapped to process launches.

The rules file (``etc/webhooks.yaml``) is :mod:`.config`; the signature is :mod:`.signature`; which rules
an event matches and the fields it gives is :mod:`.rules`; the HTTP endpoint is :mod:`.app` and its command
line :mod:`.cli`.
"""

from __future__ import annotations

from launchers.webhook.app import create_app
from launchers.webhook.config import Rule, WebhookConfig, load_webhooks
from launchers.webhook.signature import sign, verify

__all__ = ["Rule", "WebhookConfig", "create_app", "load_webhooks", "sign", "verify"]
