"""Entry point the Firebase CLI imports to discover functions: re-exports handlers only, no I/O."""

from auraos_functions.handlers.admin import setUserActive, setUserRole
from auraos_functions.handlers.analytics import (
    acknowledgeAlert,
    getAnalyticsSummary,
    getRecommendations,
    listSecurityAlerts,
    on_analytics_event,
    trackEvents,
)
from auraos_functions.handlers.auth import before_user_created, before_user_signed_in
from auraos_functions.handlers.boundary import quiet_get_probes
from auraos_functions.handlers.chat import (
    on_dead_letter,
    on_turn_created,
    on_turn_updated,
    sendMessage,
    sweep_turns,
)
from auraos_functions.handlers.panels import (
    addNote,
    addTask,
    completeTask,
    deleteNote,
    deleteTask,
    markNotificationsRead,
    registerDevice,
    unregisterDevice,
)
from auraos_functions.handlers.privacy import (
    deleteMyAccount,
    exportMyData,
    on_user_deletion_requested,
    resume_deletions,
)
from auraos_functions.handlers.profile import getProfile, setConsent, updateProfile
from auraos_functions.handlers.reminders import cancelReminder, createReminder, fire_reminders
from auraos_functions.handlers.search import searchConversations

# A log filter, no I/O: it must be in place before the emulator's first GET probe.
quiet_get_probes()

__all__ = [
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
