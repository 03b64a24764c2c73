// The person's side of a web chat. The conversation's secret lives only in this tab's session
// storage: a reload resumes the chat, closing the tab or the quick exit forgets it. The secret is
// traded for a short-lived token on each (re)connection, so the WebSocket's URL never carries it.
/* global signalR */
import { retryDelay, element, newId } from "./live-queue.js";

const page = document.getElementById("chat-page");
const t = page.dataset;
const key = "helpline-chat";
const startForm = document.getElementById("chat-start");
const chat = document.getElementById("chat");
const transcript = document.getElementById("transcript");
const statusLine = document.getElementById("chat-status");
const typingLine = document.getElementById("typing");
const composer = document.getElementById("composer");
const textarea = document.getElementById("message");
const sendError = document.getElementById("send-error");
const startError = document.getElementById("start-error");

let connection = null;
let lastSequence = 0;
let ended = false;
let lastStatus = null;
let statusTimer = null;
let typingTimer = null;
let lastTyping = 0;
let readUpTo = 0;
// Messages sent and not yet acknowledged, by their client id: resent after a reconnect.
const pending = new Map();
const shown = new Set();

const secret = () => sessionStorage.getItem(key);
const forget = () => sessionStorage.removeItem(key);

/** Leaves the chat without waiting for an answer: the page may be gone a moment later. */
function leaveByBeacon() {
  const s = secret();
  if (s) navigator.sendBeacon("/chat/api/leave", new Blob([JSON.stringify({ secret: s })], { type: "application/json" }));
}

document.getElementById("quick-exit").addEventListener("click", () => {
  leaveByBeacon();
  try {
    sessionStorage.clear();
  } catch {
    // Nothing to clear.
  }
  location.replace(t.exit);
});

startForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = document.getElementById("start");
  button.disabled = true;
  button.textContent = t.starting;
  startError.textContent = "";
  try {
    const response = await fetch("/chat/api/start", {
      method: "POST",
      headers: { "content-type": "application/json", RequestVerificationToken: startForm.querySelector("input[name=__RequestVerificationToken]").value },
      body: JSON.stringify({ nickname: document.getElementById("nickname").value, lang: t.lang }),
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(data?.detail ?? t.couldNotSend);
    sessionStorage.setItem(key, data.secret);
    await open();
  } catch (error) {
    startError.textContent = error.message;
    button.disabled = false;
    button.textContent = t.start;
  }
});

async function token() {
  const response = await fetch("/chat/api/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ secret: secret() }),
  });
  if (response.status === 404) {
    // Over, or no longer resumable: nothing to come back to.
    forget();
    showEnded();
    throw new Error("ended");
  }
  if (!response.ok) throw new Error(`token ${response.status}`);
  return (await response.json()).token;
}

async function open() {
  startForm.hidden = true;
  chat.hidden = false;
  connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/chat", { accessTokenFactory: token })
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ({ previousRetryCount }) => (ended ? null : retryDelay(previousRetryCount)) })
    .build();
  connection.on("Message", show);
  connection.on("Status", showStatus);
  connection.on("Typing", showTyping);
  connection.on("Read", showRead);
  connection.onreconnecting(() => {
    statusLine.textContent = t.reconnecting;
  });
  connection.onreconnected(join);
  connection.onclose(() => {
    if (!ended) setTimeout(connect, retryDelay(3));
  });
  await connect();
}

async function connect() {
  if (ended) return;
  try {
    await connection.start();
    await join();
  } catch {
    if (!ended) {
      statusLine.textContent = t.reconnecting;
      setTimeout(connect, retryDelay(3));
    }
  }
}

/** After every (re)connection: back in the conversation's group, with what was missed, and unsent messages sent again. */
async function join() {
  const view = await connection.invoke("Join", lastSequence);
  view.messages.forEach(show);
  showStatus(view.status);
  for (const [clientId, text] of pending) await send(clientId, text);
}

document.getElementById("start-new").addEventListener("click", () => location.reload());

function showStatus(status) {
  lastStatus = status;
  clearInterval(statusTimer);
  if (status.ended) {
    showEnded();
    return;
  }
  if (status.status === "Waiting") {
    const parts = [t.waiting];
    if (status.place) parts.push(t.place.replace("{0}", status.place));
    if (status.recentWaitMinutes) parts.push(t.recentWait.replace("{0}", status.recentWaitMinutes));
    // Written only when it changes, so a screen reader is not told the same again every 15 seconds.
    if (statusLine.textContent !== parts.join(" ")) statusLine.textContent = parts.join(" ");
    // The place in line moves as others are taken: asked again every 15 seconds.
    statusTimer = setInterval(() => connection.invoke("Status").then(showStatus).catch(() => {}), 15000);
  } else if (statusLine.textContent !== t.joined) {
    statusLine.textContent = t.joined;
  }
}

function showEnded() {
  ended = true;
  // Over: nothing of it stays in the tab for a reload or a restored tab to show again.
  forget();
  document.getElementById("start-new").hidden = false;
  clearInterval(statusTimer);
  statusLine.textContent = t.ended;
  startForm.hidden = true;
  chat.hidden = false;
  textarea.disabled = true;
  document.getElementById("send").disabled = true;
  document.getElementById("leave").hidden = true;
  typingLine.textContent = "";
}

function show(message) {
  if (shown.has(message.sequence)) return;
  shown.add(message.sequence);
  // Rejoining asks for what came after the last message with none missing before it.
  while (shown.has(lastSequence + 1)) lastSequence++;
  const mine = message.sender === "Person";
  let item = message.clientMessageId ? transcript.querySelector(`li[data-client="${CSS.escape(message.clientMessageId)}"]`) : null;
  if (message.clientMessageId) pending.delete(message.clientMessageId);
  const fresh = bubble(message.sender, message.text, message.sentAt);
  fresh.dataset.sequence = message.sequence;
  if (item) item.replaceWith(fresh);
  else {
    // In order, whatever order they arrive in.
    const after = [...transcript.children].find((li) => Number(li.dataset.sequence) > message.sequence);
    transcript.insertBefore(fresh, after ?? null);
  }
  fresh.scrollIntoView({ block: "end" });
  if (!mine) {
    typingLine.textContent = "";
    markRead(message.sequence);
  }
}

function bubble(sender, text, sentAt) {
  const who = sender === "Person" ? t.you : sender === "Advisor" ? t.advisor : "";
  const time = sentAt ? new Date(sentAt).toLocaleTimeString(t.lang, { hour: "numeric", minute: "2-digit" }) : "";
  return element("li", { class: `message ${sender.toLowerCase()}` },
    who ? element("span", { class: "who" }, who) : null,
    element("p", { class: "text" }, text),
    element("span", { class: "when muted" }, time),
    element("span", { class: "read muted" }));
}

function markRead(sequence) {
  if (document.visibilityState !== "visible" || sequence <= readUpTo) return;
  readUpTo = sequence;
  connection.invoke("Read", sequence).catch(() => {});
}

document.addEventListener("visibilitychange", () => markRead(lastSequence));

function showRead(sequence) {
  for (const item of transcript.querySelectorAll("li.person[data-sequence]")) {
    item.querySelector(".read").textContent = Number(item.dataset.sequence) <= sequence ? t.read : "";
  }
}

function showTyping() {
  typingLine.textContent = t.typing ?? "";
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => (typingLine.textContent = ""), 4000);
}

async function send(clientId, text) {
  try {
    const result = await connection.invoke("Send", clientId, text);
    if (result.outcome === "Sent") {
      show(result.message);
      sendError.textContent = "";
    } else {
      pending.delete(clientId);
      transcript.querySelector(`li[data-client="${clientId}"]`)?.remove();
      sendError.textContent = { Empty: t.writeFirst, TooLong: t.tooLong, TooFast: t.tooFast }[result.outcome] ?? t.ended;
      if (!textarea.value) textarea.value = text;
    }
  } catch {
    // Kept in pending: sent again once reconnected.
    sendError.textContent = t.couldNotSend;
  }
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = textarea.value.trim();
  if (!text || ended) return;
  const clientId = newId();
  pending.set(clientId, text);
  const item = bubble("Person", text, null);
  item.dataset.client = clientId;
  item.classList.add("pending");
  transcript.append(item);
  textarea.value = "";
  textarea.focus();
  send(clientId, text);
});

textarea.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

textarea.addEventListener("input", () => {
  const now = Date.now();
  if (now - lastTyping < 2000 || !connection || connection.state !== "Connected" || lastStatus?.status !== "InProgress") return;
  lastTyping = now;
  connection.invoke("Typing").catch(() => {});
});

// Asking for a call back instead leaves the chat first, so no advisor takes a chat with nobody there.
document.getElementById("callback-instead").addEventListener("click", () => {
  leaveByBeacon();
  forget();
});

document.getElementById("leave").addEventListener("click", async () => {
  if (!confirm(t.leaveConfirm)) return;
  try {
    await connection.invoke("Leave");
  } catch {
    leaveByBeacon();
  }
  forget();
  showEnded();
  await connection.stop();
});

if (secret()) open();
