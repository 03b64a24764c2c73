// The live queue on a staff page: a snapshot with its version on (re)connect, then only the next
// deltas; a gap (a version not seen, or a heartbeat ahead) means a new snapshot.
/* global signalR */

// The hub answers 401 once the sign-in has ended (signed out, disabled, password changed): the
// client reports it only inside its error's text.
const signedOut = (error) => /Status code '401'/.test(String(error));

// Reconnecting: soon, then doubling up to about 5 s, never giving up while the server answers. Each
// delay is drawn between half and all of its step, so the dashboards of a node that went down do
// not all come back to the other at the same instant.
export function retryDelay(previousRetryCount, random = Math.random) {
  const step = Math.min(5000, 500 * 2 ** previousRetryCount);
  return Math.round(step * (0.5 + random() / 2));
}

export function connectQueue({ onChange, onStatus }) {
  const state = { version: 0, contacts: new Map(), advisors: new Map() };
  let refused = false;
  // The server says so while it cannot use Redis and feeds this page from the database every second.
  let delayed = false;
  const connection = new signalR.HubConnectionBuilder()
    .withUrl("/hubs/queue")
    .withAutomaticReconnect({
      nextRetryDelayInMilliseconds: ({ previousRetryCount, retryReason }) => {
        refused = signedOut(retryReason);
        return refused ? null : retryDelay(previousRetryCount);
      },
    })
    .build();
  let resyncing = null;
  let connected = false;
  const live = () => onStatus(delayed ? "delayed" : "live");

  async function resync() {
    if (resyncing) return resyncing;
    resyncing = (async () => {
      try {
        const snapshot = await connection.invoke("GetSnapshot");
        if (snapshot.version < state.version) return;
        state.contacts = new Map(snapshot.contacts.map((c) => [c.contactId, c]));
        state.advisors = new Map(snapshot.advisors.map((a) => [a.id, a]));
        state.version = snapshot.version;
        onChange(state, null);
      } finally {
        resyncing = null;
      }
    })();
    return resyncing;
  }

  function apply(delta) {
    if (delta.version <= state.version) return;
    if (delta.version !== state.version + 1) {
      resync();
      return;
    }
    if (delta.contact) state.contacts.set(delta.contact.contactId, delta.contact);
    if (delta.removedContactId != null) state.contacts.delete(delta.removedContactId);
    if (delta.advisor) state.advisors.set(delta.advisor.id, delta.advisor);
    state.version = delta.version;
    onChange(state, delta);
  }
  connection.on("QueueChanged", apply);
  // A busy line sends the changes that piled up together, in version order.
  connection.on("QueueChangedBatch", (deltas) => deltas.forEach(apply));
  connection.on("Heartbeat", (version) => {
    if (version > state.version) resync();
  });
  connection.on("UpdatesDelayed", (value) => {
    delayed = value;
    if (connected) live();
  });
  connection.onreconnecting(() => {
    connected = false;
    delayed = false;
    onStatus("reconnecting");
  });
  connection.onreconnected(async () => {
    await resync();
    connected = true;
    live();
  });
  connection.onclose(() => {
    connected = false;
    if (refused) return onStatus("signed-out");
    onStatus("offline");
    setTimeout(start, retryDelay(4));
  });

  async function start() {
    try {
      onStatus("connecting");
      delayed = false;
      await connection.start();
      // "Live" only once the snapshot is in: until then the page shows what the server rendered.
      await resync();
      connected = true;
      live();
    } catch (error) {
      if (signedOut(error)) return onStatus("signed-out");
      onStatus("offline");
      setTimeout(start, retryDelay(4));
    }
  }

  start();
  return { state, connection, resync };
}

export const activeStatuses = ["Waiting", "Connecting", "InProgress", "WrapUp"];

/** Queue order: priority (urgent first), then place in line, then id. */
export function inQueueOrder(a, b) {
  const priority = (p) => (p === "Urgent" ? 1 : 0);
  return priority(b.priority) - priority(a.priority)
    || (a.queuedAt ?? "").localeCompare(b.queuedAt ?? "")
    || a.contactId - b.contactId;
}

export function waitedSince(iso, now = Date.now()) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A written conversation (a web chat or texts): taken without a phone ringing, several at once, each on its own page. */
export function written(contact) {
  return contact.channel === "Chat" || contact.channel === "Sms";
}

export const words = {
  Phone: "Phone", WebForm: "Web form", Callback: "Callback", Voicemail: "Voicemail", Chat: "Chat", Sms: "Text",
  Waiting: "Waiting", Connecting: "Connecting", InProgress: "On a call", WrapUp: "Wrap-up",
  Self: "Themselves", LovedOne: "Someone they love", Unknown: "—",
  English: "English", Spanish: "Spanish",
  Available: "Available", Busy: "Busy", Break: "On break", Offline: "Offline",
  Normal: "Normal", Urgent: "Urgent",
  Reached: "reached", NoAnswer: "no answer", VoicemailLeft: "voicemail left", WrongNumber: "wrong number", none: "none",
};

export function word(value) {
  return words[value] ?? value ?? "—";
}

/** Sends JSON with the staff cookie; returns the parsed body or throws the problem's detail. */
export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(data?.detail ?? data?.title ?? `The server answered ${response.status}.`);
    error.status = response.status;
    throw error;
  }
  return data;
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function showConnection(status) {
  const banner = document.getElementById("connection");
  if (!banner) return;
  const texts = {
    connecting: "Connecting…",
    live: "Live",
    delayed: "Live updates delayed: the queue refreshes every second or two.",
    reconnecting: "Connection lost. Reconnecting…",
    offline: "Offline. Trying again in a few seconds…",
  };
  if (status === "signed-out") {
    const back = `/sign-in?ReturnUrl=${encodeURIComponent(location.pathname)}`;
    banner.replaceChildren("You are signed out, so this page no longer updates. ", element("a", { href: back }, "Sign in again"));
  } else {
    banner.textContent = texts[status] ?? status;
  }
  banner.dataset.status = status;
}

/** The directory search's parameters from what an advisor typed: a ZIP code, "City, ST", a state, or words. */
export function referQuery(where, service) {
  const params = new URLSearchParams({ take: "10" });
  const text = where.trim();
  const cityState = text.match(/^(.+),\s*([A-Za-z]{2})$/);
  if (/^\d{5}$/.test(text)) params.set("near", text);
  else if (cityState) { params.set("city", cityState[1]); params.set("state", cityState[2]); }
  else if (/^[A-Za-z]{2}$/.test(text)) params.set("state", text);
  else if (text) params.set("q", text);
  if (service) params.set("service", service);
  return params;
}

/** A directory search result as the advisor reads it: name, paid label, address and distance, intake number and services, then the actions. */
export function facilityItem(f, ...actions) {
  return element("li", { class: "facility" },
    element("strong", {}, f.name), f.paid ? element("span", { class: "paid" }, " · Paid listing") : null,
    element("br"),
    `${f.street1 ?? ""}, ${f.city}, ${f.state} ${f.zip}${f.miles != null ? ` · ${f.miles.toFixed(1)} miles` : ""}`,
    element("br"),
    `Intake: ${f.intakePhone ?? f.phone ?? "no number listed"}${f.services?.length ? ` · ${f.services.join(", ")}` : ""}`,
    element("br"),
    ...actions);
}

/** A random id for a message, so a resend is stored once. */
export function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
