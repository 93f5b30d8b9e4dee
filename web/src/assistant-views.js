/**
 * Reminders, lists, notes and notifications (issue #16), a chunk of their own: main.js imports it
 * after the signed-in chunk, so neither the sign-in screen nor the chat waits for it.
 */
export { ListsPanel } from "./lists.js";
export { NotificationTray } from "./notifications.js";
