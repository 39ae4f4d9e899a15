"""Local receivers for the alert tests: an SMTP server (aiosmtpd) and a JSON webhook endpoint.

Apprise delivers to them through real ``mailto://`` and ``json://`` URLs, so
the tests see the messages exactly as an operator's mailbox or chat bridge
would.  Both listen on free ports on 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from tests.runner.process_support import free_port

MAIL_USER = "storebridge"
MAIL_PASSWORD = "smtp-pw-7f3a9c"  # must never appear in a log line
HOOK_USER = "hooks"
HOOK_PASSWORD = "hook-pw-51d2e8"


@dataclass(frozen=True)
class Mail:
    subject: str
    to: str
    text: str


class MailSink:
    """An SMTP server that accepts only `MAIL_USER`/`MAIL_PASSWORD` and keeps each mail."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
        )

    @staticmethod
    def _authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            MAIL_USER.encode(),
            MAIL_PASSWORD.encode(),
        )
        return AuthResult(success=ok)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
        self.mails.append(Mail(str(message["Subject"]), str(message["To"]), text))
        return "250 OK"

    @property
    def url(self) -> str:
        return (
            f"mailto://{MAIL_USER}:{MAIL_PASSWORD}@127.0.0.1:{self.port}"
            "?to=ops@example.com&from=storebridge@example.com"
        )

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


class HookSink:
    """An HTTP endpoint that keeps each JSON body; `status` is what it answers."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.status = 200
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if sink.status == 200:
                    sink.bodies.append(json.loads(body))
                self.send_response(sink.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"json://{HOOK_USER}:{HOOK_PASSWORD}@127.0.0.1:{self.port}/alerts"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
