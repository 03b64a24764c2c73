// The advisor's dashboard: presence, the live queue, taking contacts, the current contact, wrap-up.
import { connectQueue, inQueueOrder, waitedSince, word, api, element, showConnection } from "./live-queue.js";

const page = document.getElementById("dashboard");
const me = page.dataset.userId;
const mayTakeAny = page.dataset.supervisor === "true";
const message = document.getElementById("message");
let details = { id: null, data: null };
let currentStatus = null;

const live = connectQueue({ onChange: render, onStatus: showConnection });

function say(text, isError = false) {
  message.textContent = text;
  message.classList.toggle("error", isError);
}

function myAdvisor(state) {
  return state.advisors.get(me);
}

function myContact(state) {
  return [...state.contacts.values()].find((c) => c.advisorId === me && ["Connecting", "InProgress", "WrapUp"].includes(c.status));
}

function speaks(advisor, language) {
  return mayTakeAny || (advisor?.languages ?? "").split(",").map((l) => l.trim()).includes(language);
}

function render(state) {
  const advisor = myAdvisor(state);
  const presence = advisor?.presence ?? "Offline";
  document.getElementById("my-presence").textContent = word(presence) + (advisor?.presenceReason ? ` (${advisor.presenceReason})` : "");
  for (const input of document.querySelectorAll("input[name=presence]")) {
    input.checked = input.value === presence;
    input.disabled = presence === "Busy" || presence === "WrapUp";
  }

  const busy = presence === "Busy" || presence === "WrapUp";
  document.getElementById("take-next").disabled = busy;

  const waiting = [...state.contacts.values()].filter((c) => c.status === "Waiting").sort(inQueueOrder);
  document.getElementById("waiting-count").textContent = `${waiting.length} waiting`;
  const body = document.getElementById("queue-rows");
  body.replaceChildren(...waiting.map((c, i) => element("tr", { "data-contact": c.contactId },
    element("td", {}, i + 1),
    element("td", {}, word(c.channel)),
    element("td", { class: "waited", "data-since": c.queuedAt }, waitedSince(c.queuedAt)),
    element("td", {}, c.priority === "Urgent" ? element("strong", {}, "Urgent") : "Normal"),
    element("td", {}, word(c.language)),
    element("td", {}, word(c.for)),
    element("td", {}, c.region ?? "—"),
    element("td", {}, c.maskedNumber),
    element("td", {}, element("button", {
      type: "button",
      disabled: busy || !speaks(advisor, c.language),
      "aria-label": `Take contact ${i + 1}`,
      onclick: () => take(c.contactId),
    }, "Take")))));
  document.getElementById("queue-empty").hidden = waiting.length > 0;

  const onCalls = [...state.contacts.values()].filter((c) => c.status !== "Waiting");
  document.getElementById("in-progress").replaceChildren(...onCalls.map((c) =>
    element("li", {}, `${word(c.status)} · ${word(c.channel)} · ${c.maskedNumber} · ${state.advisors.get(c.advisorId)?.displayName ?? "—"}`)));

  const team = [...state.advisors.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  document.getElementById("team").replaceChildren(...team.map((a) =>
    element("li", {}, `${a.displayName}: ${word(a.presence)}${a.presenceReason ? ` (${a.presenceReason})` : ""}`)));

  renderCurrent(myContact(state));
}

async function renderCurrent(contact) {
  const panel = document.getElementById("current");
  if (!contact) {
    panel.hidden = true;
    details = { id: null, data: null };
    return;
  }
  panel.hidden = false;
  currentStatus = contact.status;
  document.getElementById("current-status").textContent = word(contact.status);
  document.getElementById("wrap-up").hidden = contact.status !== "WrapUp";
  document.getElementById("crisis").disabled = contact.status !== "InProgress";
  if (details.id === contact.contactId) return;
  details = { id: contact.contactId, data: null };
  try {
    // Opening the details is audited on the server.
    const data = await api("GET", `/api/contacts/${contact.contactId}`);
    if (details.id !== contact.contactId) return;
    details.data = data;
    showDetails(data);
  } catch (error) {
    say(error.message, true);
  }
}

function showDetails(d) {
  const consent = (kind) => {
    const last = d.consents.filter((c) => c.kind === kind).at(-1);
    return last ? `${last.granted ? "yes" : "no"} (${last.source}, text ${last.textVersion}, ${new Date(last.recordedAt).toLocaleString()})` : "not asked";
  };
  const callback = d.callbacks.at(-1);
  const rows = [
    ["Number", d.callerNumber ?? "withheld"],
    ["Name", d.callerName ?? "—"],
    ["Calling for", word(d.for)],
    ["Language", word(d.language)],
    ["Region", d.region ?? "—"],
    ["Caller's time zone", d.callerTimeZone ?? "—"],
    ["May we call back", consent("CallBack")],
    ["Callback window", callback ? `${callback.windowStartLocal}–${callback.windowEndLocal} ${callback.timeZone}, due ${new Date(callback.dueAt).toLocaleString()}` : "—"],
    ["Disclosure given", d.disclosureVersion ?? "—"],
  ];
  document.getElementById("follow-up").disabled = !d.callerNumber;
  document.getElementById("current-details").replaceChildren(...rows.flatMap(([k, v]) => [element("dt", {}, k), element("dd", {}, v)]));
  document.getElementById("earlier").replaceChildren(...(d.earlierContacts.length === 0
    ? [element("li", {}, "None")]
    : d.earlierContacts.map((e) => element("li", {}, `${new Date(e.createdAt).toLocaleString()} · ${word(e.channel)} · ${e.disposition ?? word(e.status)}`))));
  const player = document.getElementById("voicemail");
  player.replaceChildren();
  if (d.hasRecording) {
    player.append(element("h3", {}, "Voicemail"), element("audio", { controls: true, preload: "none", src: `/api/contacts/${d.id}/recording` }));
  }
}

async function take(contactId) {
  try {
    await api("POST", `/api/contacts/${contactId}/take`);
    say("Taken. Your phone will ring: answer it to be connected.");
  } catch (error) {
    say(error.message, true);
  }
}

async function takeNext() {
  try {
    await api("POST", "/api/queue/take-next");
    say("Taken. Your phone will ring: answer it to be connected.");
  } catch (error) {
    say(error.message, true);
  }
}

document.getElementById("take-next").addEventListener("click", takeNext);

document.getElementById("presence").addEventListener("change", async (event) => {
  try {
    await api("PUT", "/api/presence", { presence: event.target.value });
    say(`You are ${word(event.target.value).toLowerCase()}.`);
  } catch (error) {
    say(error.message, true);
  }
});

document.getElementById("crisis").addEventListener("click", async () => {
  if (!details.id) return;
  try {
    await api("POST", `/api/contacts/${details.id}/crisis-transfer`);
    say("The crisis line is being called into this call. Stay on until they answer, then you may hang up.");
  } catch (error) {
    say(error.message, true);
  }
});

// Refer to treatment: find facilities, then record "number given" or dial the facility into the call.
function referQuery(where, service) {
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

async function refer(facility, how) {
  if (!details.id) return;
  try {
    await api("POST", `/api/contacts/${details.id}/referrals`, { facilityId: facility.id, how });
    document.getElementById("disposition").value = "ReferredToTreatment";
    const noted = document.getElementById("referral");
    if (!noted.value.includes(facility.name)) noted.value = [noted.value.trim(), facility.name].filter(Boolean).join("; ");
    say(how === "WarmTransfer"
      ? `${facility.name} is being called into this call. Stay on until they answer, then you may hang up.`
      : `Referral to ${facility.name} recorded.`);
  } catch (error) {
    say(error.message, true);
  }
}

document.getElementById("refer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const results = document.getElementById("refer-results");
  try {
    const found = await api("GET", `/api/directory/search?${referQuery(form.where.value, form.service.value)}`);
    const talking = currentStatus === "InProgress";
    results.replaceChildren(...(found.facilities.length === 0
      ? [element("li", {}, "No facilities found.")]
      : found.facilities.map((f) => element("li", { class: "facility" },
          element("strong", {}, f.name), f.paid ? element("span", { class: "paid" }, " · Paid listing") : null,
          element("br"),
          `${f.street1 ?? ""}, ${f.city}, ${f.state} ${f.zip}${f.miles != null ? ` · ${f.miles.toFixed(1)} miles` : ""}`,
          element("br"),
          `Intake: ${f.intakePhone ?? f.phone ?? "no number listed"}${f.services.length ? ` · ${f.services.join(", ")}` : ""}`,
          element("br"),
          element("button", { type: "button", onclick: () => refer(f, "NumberGiven") }, "Number given"), " ",
          element("button", { type: "button", disabled: !talking || !(f.intakePhone ?? f.phone), onclick: () => refer(f, "WarmTransfer") }, "Warm transfer")))));
  } catch (error) {
    say(error.message, true);
  }
});

document.getElementById("wrap-up").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!details.id) return;
  const form = event.target;
  const referral = form.referral.value.trim();
  const notes = [form.notes.value.trim(), referral ? `Referral: ${referral}` : ""].filter(Boolean).join("\n");
  const followUp = form.followUp.checked
    ? { date: form.followUpDate.value, windowStart: form.followUpFrom.value, windowEnd: form.followUpUntil.value, callerAgreed: form.followUpAgreed.checked }
    : null;
  try {
    await api("POST", `/api/contacts/${details.id}/complete`, { disposition: form.disposition.value, notes, followUp });
    form.reset();
    say("Completed. You are available again.");
  } catch (error) {
    say(error.message, true);
  }
});

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest("input, textarea, select, button")) return;
  if (event.key === "n") {
    event.preventDefault();
    takeNext();
  } else if (event.key === "c" && !document.getElementById("wrap-up").hidden) {
    event.preventDefault();
    document.getElementById("wrap-up").requestSubmit();
  }
});

setInterval(() => {
  for (const cell of document.querySelectorAll(".waited")) cell.textContent = waitedSince(cell.dataset.since);
}, 1000);

window.helplineQueue = live;
