"""Channels behind the notifier port: SMTP email and a JSON webhook. The in-app inbox lives in the ledger.

Email and webhooks are delivered at least once. Each message carries an idempotency key derived from its ledger key
only (the same on every try, from every process): the mail's Message-ID and X-Huizhen-Reminder-Key, the webhook's
Idempotency-Key and X-Huizhen-Reminder-Key headers. The rare resend after a crash between the receiver's acceptance
and the ledger's update carries the same key, so a receiver that de-duplicates on it sees each message once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate

from huizhen.config import Email, Webhook
from workflow.ports import Message, User


def message_id(key: str) -> str:
    """The stable Message-ID of a ledger key: the same bytes on every retry, so receivers can de-duplicate."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@huizhen>"


class EmailChannel:
    name = "email"

    def __init__(self, settings: Email) -> None:
        self.settings = settings

    def accepts(self, user: User) -> bool:
        return bool(user.email) and user.email_notices  # the person's preference (issue 12): every mail asks

    def send(self, message: Message) -> None:
        s = self.settings
        mail = EmailMessage()
        mail["From"] = s.sender
        mail["To"] = message.recipient.email or ""
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = message_id(message.key)
        mail["X-Huizhen-Reminder-Key"] = message.key
        mail.set_content(message.body)
        for a in message.attachments:
            # "text/calendar; method=REQUEST" → text, calendar, {method: REQUEST}: calendar clients need the method.
            kind, _, rest = a.mime.partition(";")
            maintype, _, subtype = kind.strip().partition("/")
            params = dict(p.strip().split("=", 1) for p in rest.split(";") if "=" in p)
            if maintype == "text":
                mail.add_attachment(a.data.decode("utf-8"), subtype=subtype, filename=a.filename, params=params)
            else:
                mail.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds) as smtp:
            if s.starttls:
                smtp.starttls()
            if s.username:
                smtp.login(s.username, os.environ.get("HUIZHEN_SMTP_PASSWORD", ""))
            smtp.send_message(mail)


class WebhookChannel:
    name = "webhook"

    def __init__(self, settings: Webhook) -> None:
        self.settings = settings

    def accepts(self, user: User) -> bool:
        return True

    def send(self, message: Message) -> None:
        body = json.dumps({
            "key": message.key,
            "case": message.case_number,
            "deadline_kind": message.deadline_kind,
            "reminder_kind": message.reminder_kind,
            "due_at": message.due_at.isoformat(),
            "recipient": message.recipient.name,
            "institution": message.recipient.institution,
            "subject": message.subject,
            "body": message.body,
            # The receiver gets the files themselves (an .ics, the minutes' PDF), base64-encoded.
            "attachments": [{"filename": a.filename, "mime": a.mime, "sha256": hashlib.sha256(a.data).hexdigest(),
                             "base64": base64.b64encode(a.data).decode("ascii")} for a in message.attachments],
        }, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Huizhen-Reminder-Key": message.key,
                   "Idempotency-Key": message_id(message.key).strip("<>")}
        secret = os.environ.get("HUIZHEN_WEBHOOK_SECRET")
        if secret:
            headers["X-Huizhen-Signature"] = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(self.settings.url or "", data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout_seconds) as response:
                if response.status >= 300:
                    raise RuntimeError(f"webhook answered HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"webhook answered HTTP {exc.code}") from None
