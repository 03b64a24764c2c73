// An advisor's conversation, a web chat or texts: the transcript (read through the audited API),
// live messages, typing and read signs (chats) or delivery reports (texts) through the staff hub,
// replies with the SMS segment count, the crisis template, ending the conversation and its wrap-up.
import { connectQueue, api, element, showConnection, referQuery, facilityItem, newId } from "./live-queue.js";
import { smsSegments, maxLength as smsMaxLength } from "./sms-segments.js";

const page = document.getElementById("conversation");
const contactId = Number(page.dataset.contactId);
const me = page.dataset.userId;
const transcript = document.getElementById("transcript");
const replyText = document.getElementById("reply-text");
const typingLine = document.getElementById("typing");
const statusLine = document.getElementById("conversation-status");
const shown = new Set();
let lastSequence = 0;
let readByPerson = 0;
let status = null;
let typingTimer = null;
let lastTyping = 0;
let loading = null;
// A supervisor may read another advisor's chat (audited) but not write in it.
let mine = true;
// Texts (channel Sms) rather than a web chat: replies go to the person's phone.
let texts = false;
const deliveries = new Map();

const deliveryWords = {
  Saved: "Sending…", Queued: "Queued at Twilio", Sending: "Sending", Sent: "Sent", Delivered: "Delivered",
  Undelivered: "Not delivered", Failed: "Not sent",
};
const errorWords = {
  21610: "this number texted STOP",
  30003: "the phone is off or out of reach",
  30005: "the number does not exist",
  30006: "the number cannot receive texts",
  30007: "the carrier filtered it",
};

const statusWords = {
  Waiting: "Waiting for an advisor.",
  InProgress: "Under way: the person sees what you write.",
  WrapUp: "The conversation has ended: complete the wrap-up.",
  Completed: "Completed.",
  Abandoned: "The person left before anyone answered.",
};

const live = connectQueue({
  onChange: (state, delta) => {
    const row = state.contacts.get(contactId);
    if (row) {
      // Handed to someone else (a transfer): this page is now only for reading.
      if (mine && row.advisorId && row.advisorId !== me) mine = false;
      // Ended from the other side (the person left, or texted STOP): read why, and what came with it.
      if (status && row.status !== status) load();
      setStatus(row.status);
    }
    showTeam(state);
    // A snapshot (the first, or after a reconnect): fetch whatever came meanwhile.
    if (!delta) load();
    if (delta && delta.removedContactId === contactId) load();
  },
  onStatus: showConnection,
});
live.connection.on("ChatMessage", (message) => {
  if (message.contactId === contactId) show(message);
});
live.connection.on("ChatTyping", (id) => {
  if (id !== contactId) return;
  typingLine.textContent = "The person is typing…";
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => (typingLine.textContent = ""), 4000);
});
live.connection.on("TextDelivery", (report) => {
  if (report.contactId !== contactId) return;
  noteDelivery(report);
  showRead();
});

/** Keeps the furthest report of each text, whatever order reports and reloads bring them in (the endings are final). */
function noteDelivery(report) {
  const steps = Object.keys(deliveryWords);
  const rank = (r) => Math.min(steps.indexOf(r.delivery), steps.indexOf("Delivered"));
  const known = deliveries.get(report.sequence);
  if (!known || rank(report) > rank(known)) deliveries.set(report.sequence, report);
}
live.connection.on("ChatRead", (id, sequence) => {
  if (id !== contactId) return;
  readByPerson = Math.max(readByPerson, sequence);
  showRead();
});

/** The whole transcript (audited on the server); messages already shown are skipped. */
function load() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const view = await api("GET", `/api/conversations/${contactId}`);
      showKind(view);
      const risk = document.getElementById("risk");
      risk.hidden = !view.riskReason;
      risk.textContent = view.riskReason ? `Raised to urgent: the person wrote "${view.riskReason}". Check for immediate danger first.` : "";
      readByPerson = view.readByPerson;
      mine = view.mine;
      document.getElementById("opted-out").hidden = !view.optedOut;
      view.messages.forEach(show);
      setStatus(view.status, view.personLeft);
      document.getElementById("load-error").textContent = "";
    } catch (error) {
      document.getElementById("load-error").textContent = error.message;
    } finally {
      loading = null;
    }
  })();
  return loading;
}

/** A chat or texts: the heading, the reply box's limit and segment count, the closing message. */
function showKind(view) {
  texts = view.channel === "Sms";
  document.getElementById("kind").textContent = texts ? "Texts" : "Chat";
  document.getElementById("who").textContent = texts ? `with ${view.maskedNumber}` : view.nickname ? `with ${view.nickname}` : "(anonymous)";
  document.title = `${texts ? "Texts" : "Chat"} – Helpline`;
  if (texts && !replyText.dataset.texts) {
    replyText.dataset.texts = "true";
    replyText.maxLength = smsMaxLength;
    document.querySelector("label[for=reply-text]").textContent = "Your reply (sent as a text)";
    document.getElementById("segments").hidden = false;
    const closing = document.getElementById("closing");
    if (closing.value === closing.defaultValue) closing.value = "Thank you for texting us. You can text or call us again any time.";
    showSegments();
  }
}

/** Under the reply box of a text conversation: how many characters and SMS parts, and why a text is UCS-2. */
function showSegments() {
  if (!texts) return;
  const count = smsSegments(replyText.value);
  const parts = count.segments === 1 ? "1 text" : `${count.segments} texts`;
  const why = count.unicode ? ` · "${count.firstUnicode}" makes it Unicode: 70 characters a text (67 when split)` : "";
  document.getElementById("segments").textContent = `${count.characters} / ${smsMaxLength} characters · ${parts}${why}`;
}

function setStatus(value, personLeft = false) {
  status = value;
  const words = texts && value === "InProgress" ? "Under way: each reply is texted to the person's phone." : statusWords[value];
  statusLine.textContent = (words ?? value) + (personLeft && value !== "Completed" ? " The person has left." : "");
  const underWay = value === "InProgress" && mine;
  replyText.disabled = !underWay;
  document.getElementById("send").disabled = !underWay;
  document.getElementById("crisis-template").disabled = !underWay;
  document.getElementById("end-chat").disabled = !underWay;
  document.getElementById("closing").disabled = !underWay;
  document.getElementById("transfer-button").disabled = !underWay;
  const complete = document.getElementById("complete");
  complete.disabled = value !== "WrapUp";
  document.getElementById("complete-hint").textContent = value === "InProgress" ? "Complete once the conversation has ended." : "";
}

/** Who a chat can be handed to: the rest of the team, signed in and not on a call. */
function showTeam(state) {
  const select = document.getElementById("transfer-to");
  const team = [...state.advisors.values()]
    .filter((a) => a.id !== me && (a.presence === "Available" || a.presence === "Busy"))
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  const key = team.map((a) => `${a.id}:${a.presence}`).join(",");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  select.replaceChildren(element("option", { value: "" }, "Choose…"),
    ...team.map((a) => element("option", { value: a.id }, `${a.displayName}${a.presence === "Busy" ? " (busy)" : ""}`)));
  select.value = team.some((a) => a.id === chosen) ? chosen : "";
}

document.getElementById("transfer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("transfer-error");
  const to = document.getElementById("transfer-to").value;
  if (!to) {
    error.textContent = "Choose an advisor.";
    return;
  }
  try {
    await api("POST", `/api/conversations/${contactId}/transfer`, { advisorId: to });
    error.textContent = "";
    location.assign("/staff");
  } catch (failure) {
    error.textContent = failure.message;
  }
});

function show(message) {
  if (message.delivery) noteDelivery({ sequence: message.sequence, delivery: message.delivery, errorCode: message.errorCode });
  if (shown.has(message.sequence)) {
    showRead();
    return;
  }
  shown.add(message.sequence);
  // A supervisor reading a chat is not its advisor: "You" only on the advisor's own screen.
  const who = { Person: "Person", Advisor: mine ? "You" : "Advisor", System: "" }[message.sender] ?? "";
  const time = new Date(message.sentAt).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  const item = element("li", { class: `message ${message.sender.toLowerCase()}`, "data-sequence": message.sequence },
    who ? element("span", { class: "who" }, who) : null,
    element("p", { class: "text" }, message.text),
    ...(message.media ?? []).map(pictureButton),
    element("span", { class: "when muted" }, time),
    element("span", { class: "read muted" }));
  // In order, whatever order they arrive in.
  const after = [...transcript.children].find((li) => Number(li.dataset.sequence) > message.sequence);
  transcript.insertBefore(item, after ?? null);
  item.scrollIntoView({ block: "end" });
  if (message.sequence > lastSequence) lastSequence = message.sequence;
  if (message.sender === "Person") {
    typingLine.textContent = "";
    markRead();
  }
  showRead();
}

/** Read signs (a chat), or how far each text got (texts), by each message the helpline sent. */
function showRead() {
  for (const item of transcript.querySelectorAll("li.advisor, li.system")) {
    const sequence = Number(item.dataset.sequence);
    const report = deliveries.get(sequence);
    const sign = item.querySelector(".read");
    if (report) {
      const why = errorWords[report.errorCode] ?? (report.errorCode ? `error ${report.errorCode}` : "");
      sign.textContent = `${deliveryWords[report.delivery] ?? report.delivery}${why ? `: ${why}` : ""}`;
      item.classList.toggle("failed", report.delivery === "Undelivered" || report.delivery === "Failed");
    } else if (item.classList.contains("advisor")) {
      sign.textContent = sequence <= readByPerson ? "Read" : "";
    }
  }
}

/**
 * A picture the person texted: fetched through the app only when the advisor asks (each look is
 * audited), never from Twilio directly.
 */
function pictureButton(media) {
  const source = `/api/conversations/${contactId}/media/${media.id}`;
  // The types the server shows in the page; any other (SVG, HEIC…) comes as a download.
  if (!["image/jpeg", "image/png", "image/gif", "image/webp"].includes(media.contentType)) {
    return element("a", { href: source, class: "media" }, `Download the file they sent (${media.contentType})`);
  }
  const button = element("button", { type: "button", class: "secondary media" }, "Show the picture they sent");
  button.addEventListener("click", () => {
    button.replaceWith(element("img", { src: source, alt: "A picture the person texted", class: "media" }));
  });
  return button;
}

let readSent = 0;
function markRead() {
  if (document.visibilityState !== "visible" || lastSequence <= readSent || status !== "InProgress") return;
  readSent = lastSequence;
  api("POST", `/api/conversations/${contactId}/read`, { sequence: lastSequence }).catch(() => {});
}
document.addEventListener("visibilitychange", markRead);

document.getElementById("reply").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = replyText.value.trim();
  if (!text) return;
  const error = document.getElementById("reply-error");
  try {
    show(await api("POST", `/api/conversations/${contactId}/messages`, { clientMessageId: newId(), text }));
    replyText.value = "";
    showSegments();
    error.textContent = "";
  } catch (failure) {
    error.textContent = failure.message;
  }
  replyText.focus();
});

replyText.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    document.getElementById("reply").requestSubmit();
  }
});

replyText.addEventListener("input", () => {
  showSegments();
  if (texts) return;
  const now = Date.now();
  if (now - lastTyping < 2000 || live.connection.state !== "Connected") return;
  lastTyping = now;
  live.connection.invoke("ChatTyping", contactId).catch(() => {});
});

document.getElementById("crisis-template").addEventListener("click", () => {
  replyText.value = page.dataset.crisisTemplate;
  showSegments();
  document.getElementById("disposition").value = "CrisisEscalated988";
  replyText.focus();
});

/** A facility as the person reads it in the chat: name, address, intake number, website. */
function facilityText(f) {
  return [
    f.name,
    [f.street1, `${f.city}, ${f.state} ${f.zip}`].filter(Boolean).join(", "),
    (f.intakePhone ?? f.phone) ? `Intake: ${f.intakePhone ?? f.phone}` : null,
    f.website,
  ].filter(Boolean).join("\n");
}

async function sendFacility(f) {
  const error = document.getElementById("reply-error");
  try {
    show(await api("POST", `/api/conversations/${contactId}/messages`, { clientMessageId: newId(), text: facilityText(f) }));
    await api("POST", `/api/contacts/${contactId}/referrals`, { facilityId: f.id, how: "NumberGiven" });
    document.getElementById("disposition").value = "ReferredToTreatment";
    error.textContent = "";
  } catch (failure) {
    error.textContent = failure.message;
  }
}

document.getElementById("refer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const results = document.getElementById("refer-results");
  try {
    const found = await api("GET", `/api/directory/search?${referQuery(form.where.value, form.service.value)}`);
    results.replaceChildren(...(found.facilities.length === 0
      ? [element("li", {}, "No facilities found.")]
      : found.facilities.map((f) => facilityItem(f,
          element("button", { type: "button", disabled: status !== "InProgress", onclick: () => sendFacility(f) }, "Send to the person")))));
  } catch (failure) {
    results.replaceChildren(element("li", { class: "error" }, failure.message));
  }
});

document.getElementById("end").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("end-error");
  try {
    await api("POST", `/api/conversations/${contactId}/end`, { closingMessage: document.getElementById("closing").value });
    error.textContent = "";
    await load();
    document.getElementById("disposition").focus();
  } catch (failure) {
    error.textContent = failure.message;
  }
});

document.getElementById("wrap-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("complete-error");
  try {
    await api("POST", `/api/contacts/${contactId}/complete`, {
      disposition: document.getElementById("disposition").value,
      notes: document.getElementById("notes").value,
    });
    error.textContent = "";
    location.assign("/staff");
  } catch (failure) {
    error.textContent = failure.message;
    document.getElementById("complete").focus();
  }
});

load();
