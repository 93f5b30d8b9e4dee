/**
 * The signed-in views, a chunk of their own: main.js imports it dynamically, so the sign-in
 * screen loads without Firestore, Functions or the chat UI.
 */
export { ChatView } from "./chat.js";
export { clearDeviceData } from "./data.js";
export { Panel } from "./panel.js";
