"""Terminal chat client: sign in to the Auth emulator, write turns as that user, and show each
reply streaming in through a Firestore realtime listener, as the PWA does.

    python -m tools.chat_cli                      # the seeded demo user
    python -m tools.chat_cli --email me@x.dev --password secret123 --sign-up
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import uuid
from typing import Any, TextIO

from google.cloud import firestore

from shared import paths
from shared.models.chat import TurnState

from .emulator_auth import AuthRefused, sign_in, sign_up
from .local_stack import DEMO_EMAIL, DEMO_PASSWORD, PROJECT_ID
from .user_firestore import user_client

_TERMINAL = {TurnState.COMPLETED.value, TurnState.ERROR.value, TurnState.BLOCKED.value}


class ReplyPrinter:
    """Prints the growing `response` of one turn; `done` is set when the turn ends."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.shown = 0
        self.done = threading.Event()
        self.final: dict[str, Any] = {}

    def on_snapshot(self, docs: list[Any], _changes: object, _read_time: object) -> None:
        for doc in docs:
            data = doc.to_dict() or {}
            response = str(data.get("response") or "")
            if len(response) > self.shown and response.startswith(response[: self.shown]):
                self.out.write(response[self.shown :])
                self.out.flush()
                self.shown = len(response)
            if (data.get("status") or {}).get("state") in _TERMINAL:
                self.final = data
                self.done.set()


def send_and_stream(
    *, db: Any, uid: str, cid: str, prompt: str, out: TextIO, timeout_s: float = 300
) -> dict[str, Any]:
    """Write one turn as the user and print its reply as it streams; returns the final turn."""
    turn_id = uuid.uuid4().hex
    ref = db.document(paths.turn(uid, cid, turn_id))
    ref.create({"prompt": prompt, "createTime": firestore.SERVER_TIMESTAMP})
    printer = ReplyPrinter(out)
    watch = ref.on_snapshot(printer.on_snapshot)
    try:
        if not printer.done.wait(timeout_s):
            out.write("\n[no reply yet: is ai_service running?]\n")
            return {}
    finally:
        watch.unsubscribe()
    status = printer.final.get("status") or {}
    if status.get("state") == TurnState.ERROR.value:
        out.write(f"[error] {(status.get('error') or {}).get('message', '')}")
    usage = printer.final.get("usage") or {}
    intent = (printer.final.get("intent") or {}).get("name", "-")
    out.write(
        f"\n  ({status.get('state')}, intent {intent}, {usage.get('provider', '-')}/"
        f"{usage.get('model', '-')}, {usage.get('latencyMs', '-')} ms)\n"
    )
    return printer.final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chat with AuraOS on the local emulators.")
    parser.add_argument("--email", default=DEMO_EMAIL)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--sign-up", action="store_true", help="create the account first")
    parser.add_argument("--conversation", help="continue this conversation id")
    parser.add_argument("--message", "-m", action="append", help="send these and exit")
    args = parser.parse_args(argv)
    os.environ.setdefault("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080")
    out = sys.stdout
    try:
        user = (sign_up if args.sign_up else sign_in)(args.email, args.password)
    except AuthRefused as refused:
        out.write(f"sign-in refused: {refused.reason}\n")
        return 1
    db = user_client(project=PROJECT_ID, id_token=user.id_token)
    cid = args.conversation or uuid.uuid4().hex[:20]
    if not args.conversation:
        db.document(paths.conversation(user.uid, cid)).create(
            {"createdAt": firestore.SERVER_TIMESTAMP}
        )
    out.write(f"Signed in as {user.email}; conversation {cid}. Empty line or Ctrl-D quits.\n")
    prompts = iter(args.message) if args.message else None
    while True:
        if prompts is not None:
            prompt = next(prompts, "")
            if prompt:
                out.write(f"you> {prompt}\n")
        else:
            try:
                prompt = input("you> ")
            except EOFError:
                prompt = ""
        if not prompt.strip():
            return 0
        out.write("aura> ")
        out.flush()
        send_and_stream(db=db, uid=user.uid, cid=cid, prompt=prompt, out=out)


if __name__ == "__main__":
    raise SystemExit(main())
