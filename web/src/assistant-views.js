/**
 * Reminders, lists, notes and notifications (issue #16), memories and conversation search (issue
 * #17), a chunk of their own: main.js imports it after the signed-in chunk, so neither the
 * sign-in screen nor the chat waits for it. The views are made here, so the sign-in chunk only
 * starts and stops them.
 */
import { ListsPanel } from "./lists.js";
import { MemoriesPanel } from "./memories.js";
import { NotificationTray } from "./notifications.js";
import { ConversationSearch } from "./search.js";

export { ConversationSearch, ListsPanel, MemoriesPanel, NotificationTray };

/**
 * The views, each with `start(uid)` and `stop()`. `showPanel()` brings up the panel (a drawer on
 * narrow screens) before a notification's *Show* focuses its reminder there;
 * `openConversation(cid, turnId)` opens a search result in the chat.
 */
export function assistantViews({ showPanel, openConversation }) {
  const lists = new ListsPanel();
  return {
    lists,
    notifications: new NotificationTray({
      onShow(notification) {
        showPanel();
        lists.focusReminder(notification.ref);
      },
    }),
    memories: new MemoriesPanel(),
    search: new ConversationSearch({ onOpen: openConversation }),
  };
}
