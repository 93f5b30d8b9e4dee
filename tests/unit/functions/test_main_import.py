"""The Firebase CLI imports main.py to discover functions: no network, no credentials, no env."""

import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"
ROOT = FUNCTIONS.parent

# Any connection attempt during import fails loudly.
PROBE = """
import socket
def refuse(*args, **kwargs):
    raise AssertionError(f"network use at import time: {args}")
socket.socket.connect = refuse
socket.create_connection = refuse
import main
names = sorted(n for n in dir(main) if hasattr(getattr(main, n), "__firebase_endpoint__"))
print(",".join(names))
"""


def test_importing_main_discovers_functions_without_network_or_environment() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=FUNCTIONS,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{FUNCTIONS}:{ROOT}", "HOME": "/nonexistent"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(",") == [
        "acknowledgeAlert",
        "addNote",
        "addTask",
        "before_user_created",
        "before_user_signed_in",
        "cancelReminder",
        "completeTask",
        "createReminder",
        "deleteMyAccount",
        "deleteNote",
        "deleteTask",
        "exportMyData",
        "fire_reminders",
        "getAnalyticsSummary",
        "getProfile",
        "getRecommendations",
        "listSecurityAlerts",
        "markNotificationsRead",
        "on_analytics_event",
        "on_dead_letter",
        "on_turn_created",
        "on_turn_updated",
        "on_user_deletion_requested",
        "registerDevice",
        "resume_deletions",
        "searchConversations",
        "sendMessage",
        "setConsent",
        "setUserActive",
        "setUserRole",
        "sweep_turns",
        "trackEvents",
        "unregisterDevice",
        "updateProfile",
    ]
