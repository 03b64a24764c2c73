// The advisor's dashboard: presence, the live queue, taking contacts, the current contact, wrap-up.
import { connectQueue, inQueueOrder, waitedSince, word, written, api, element, showConnection, referQuery, facilityItem } from "./live-queue.js";

const page = document.getElementById("dashboard");
const me = page.dataset.userId;
const mayTakeAny = page.dataset.supervisor === "true";
const message = document.getElementById("message");
const wrapUp = document.getElementById("wrap-up");
const queueRows = document.getElementById("queue-rows");
const pageTitle = document.title;
let details = { id: null, data: null };
let currentStatus = null;
// The "Taken" message belongs to one contact, and goes when its call connects or is missed.
let taken = null;
// Set when the crisis line was called into the current call (here, or before a reload).
let crisisCalled = false;
let lastWaitingForMe = null;
let lastMissed = false;

const live = connectQueue({ onChange: render, onStatus: showConnection });

function say(text, isError = false) {
  taken = null;
  message.textContent = text;
  message.classList.toggle("error", isError);
}

function myAdvisor(state) {
  return state.advisors.get(me);
}

// The call this advisor is on; chats have a page each (see "My chats").
function myContact(state) {
  return [...state.contacts.values()].find((c) => c.advisorId === me && !written(c) && ["Connecting", "InProgress", "WrapUp"].includes(c.status));
}

function myChats(state) {
  return [...state.contacts.values()].filter((c) => c.advisorId === me && written(c) && ["InProgress", "WrapUp"].includes(c.status));
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
  // Busy with chats only: more chats may be taken (the server holds the limit), calls may not.
  const chats = myChats(state);
  const onACall = busy && !(chats.length > 0 && !myContact(state));
  document.getElementById("take-next").disabled = onACall;

  const waiting = [...state.contacts.values()].filter((c) => c.status === "Waiting").sort(inQueueOrder);
  document.getElementById("waiting-count").textContent = `${waiting.length} waiting`;
  renderQueue(waiting, (c) => (written(c) ? onACall : busy) || !speaks(advisor, c.language));
  renderChats(chats);
  document.getElementById("queue-empty").hidden = waiting.length > 0;

  const onCalls = [...state.contacts.values()].filter((c) => c.status !== "Waiting");
  document.getElementById("in-progress").replaceChildren(...onCalls.map((c) => {
    const line = `${written(c) && c.status === "InProgress" ? (c.channel === "Sms" ? "Texting" : "In a chat") : word(c.status)} · ${word(c.channel)} · ${c.maskedNumber} · ${state.advisors.get(c.advisorId)?.displayName ?? "—"}`;
    // Supervisors may read a chat under way (audited).
    return element("li", {}, written(c) && mayTakeAny ? element("a", { href: `/staff/conversations/${c.contactId}` }, line) : line);
  }));

  const team = [...state.advisors.values()].sort((a, b) => a.displayName.localeCompare(b.displayName));
  document.getElementById("team").replaceChildren(...team.map((a) =>
    element("li", {}, `${a.displayName}: ${word(a.presence)}${a.presenceReason ? ` (${a.presenceReason})` : ""}`)));

  const missed = presence === "Break" && advisor?.presenceReason === "missed a call";
  document.getElementById("missed").hidden = !missed;
  document.getElementById("missed-waiting").textContent = missed && waiting.length > 0
    ? `${waiting.length} waiting now: go available so someone answers.`
    : "";
  const contact = myContact(state);
  if (taken) {
    const mine = contact?.contactId === taken.contactId;
    if (mine) taken.seen = true;
    if (taken.seen && !(mine && contact.status === "Connecting")) say("");
  }
  alertWhenNeeded(presence, missed, waiting.filter((c) => speaks(advisor, c.language)).length);
  renderCurrent(contact);
}

/**
 * The waiting rows, kept in place: a row is drawn once (by the server or here) and afterwards only
 * its changed cells are written and, when the order changes, it is moved.
 */
function renderQueue(waiting, cannotTake) {
  const existing = new Map([...queueRows.children].map((tr) => [tr.dataset.contact, tr]));
  let at = queueRows.firstElementChild;
  waiting.forEach((c, i) => {
    const key = String(c.contactId);
    let tr = existing.get(key);
    if (tr) existing.delete(key);
    else tr = element("tr", { "data-contact": key }, ...Array.from({ length: 9 }, () => element("td")));
    const cells = tr.children;
    text(cells[0], String(i + 1));
    text(cells[1], word(c.channel));
    cells[2].classList.add("waited");
    if (cells[2].dataset.since !== c.queuedAt) {
      cells[2].dataset.since = c.queuedAt ?? "";
      cells[2].textContent = waitedSince(c.queuedAt);
    }
    const urgent = c.priority === "Urgent";
    const priority = urgent ? (c.risk ? `Urgent: ${c.risk}` : "Urgent") : "Normal";
    if (cells[3].textContent !== priority) cells[3].replaceChildren(urgent ? element("strong", {}, priority) : priority);
    text(cells[4], word(c.language));
    text(cells[5], word(c.for));
    text(cells[6], c.region ?? "—");
    text(cells[7], c.maskedNumber);
    let button = cells[8].querySelector("button");
    if (!button) cells[8].replaceChildren(button = element("button", { type: "button" }, "Take"));
    if (button.getAttribute("aria-label") !== `Take contact ${i + 1}`) button.setAttribute("aria-label", `Take contact ${i + 1}`);
    button.disabled = cannotTake(c);
    if (tr !== at) queueRows.insertBefore(tr, at);
    else at = at.nextElementSibling;
  });
  for (const gone of existing.values()) gone.remove();
}

/** This advisor's open chats, each a link to its page. */
function renderChats(chats) {
  const panel = document.getElementById("my-chats");
  panel.hidden = chats.length === 0;
  const list = document.getElementById("my-chats-list");
  const key = chats.map((c) => `${c.contactId}:${c.status}`).join(",");
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...chats.map((c) => element("li", {},
    element("a", { href: `/staff/conversations/${c.contactId}` }, `${c.channel === "Sms" ? "Texts" : "Chat"} ${c.contactId}`),
    ` · ${c.status === "WrapUp" ? "ended: wrap-up to do" : "under way"} · ${word(c.language)}`)));
}

function text(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

queueRows.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (button && !button.disabled) take(Number(button.closest("tr").dataset.contact));
});

function renderCurrent(contact) {
  const panel = document.getElementById("current");
  if (!contact) {
    if (details.id !== null) closeContact();
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  currentStatus = contact.status;
  document.getElementById("current-status").textContent = statusText(contact);
  const complete = document.getElementById("complete");
  complete.disabled = contact.status !== "WrapUp";
  document.getElementById("complete-hint").textContent = contact.status === "WrapUp" ? "" : "Complete once the call has ended.";
  if (details.id !== contact.contactId) openContact(contact);
  showCrisis();
}

function statusText(contact) {
  if (contact.status !== "Connecting") return word(contact.status);
  return contact.callerRinging ? "Ringing the caller" : "Connecting: answer your phone";
}

async function openContact(contact) {
  details = { id: contact.contactId, data: null, loading: true };
  crisisCalled = false;
  clearDraftTimer();
  wrapUp.reset();
  clearFieldErrors();
  document.getElementById("draft-status").textContent = "";
  document.getElementById("refer").reset();
  document.getElementById("refer-results").replaceChildren();
  document.getElementById("wishes-list").replaceChildren();
  document.getElementById("discretion").hidden = true;
  document.getElementById("current-details").replaceChildren();
  try {
    // Opening the details is audited on the server.
    const data = await api("GET", `/api/contacts/${contact.contactId}`);
    if (details.id !== contact.contactId) return;
    details.data = data;
    details.loading = false;
    // A transfer made while the details were on their way counts too: they were read before it.
    crisisCalled = crisisCalled || data.crisisTransferredAt != null;
    showDetails(data);
    showDraft(data.draft);
    showCrisis();
  } catch (error) {
    say(error.message, true);
  }
}

function closeContact() {
  details = { id: null, data: null };
  currentStatus = null;
  crisisCalled = false;
  clearDraftTimer();
  document.getElementById("refer").reset();
  document.getElementById("refer-results").replaceChildren();
}

function showCrisis() {
  const button = document.getElementById("crisis");
  button.disabled = currentStatus !== "InProgress" || crisisCalled;
  document.getElementById("crisis-status").textContent = crisisCalled ? "The crisis line was called into this call." : "";
  // After a crisis transfer the wrap-up starts from the crisis disposition, unless the advisor chose another.
  const disposition = document.getElementById("disposition");
  if (crisisCalled && !disposition.dataset.chosen) disposition.value = "CrisisEscalated988";
}

function showDetails(d) {
  const consent = (kind) => {
    const last = d.consents.filter((c) => c.kind === kind).at(-1);
    return last ? `${last.granted ? "yes" : "no"} (${last.source}, text ${last.textVersion}, ${last.recorded})` : "not asked";
  };
  const yesNo = (value, yes, no) => (value == null ? "not asked" : value ? yes : no);
  const w = d.wishes;
  document.getElementById("discretion").hidden = w.discretion !== true;
  const wishes = [
    ["Safe to call", yesNo(w.safeToCall, "Yes", "No: they did not say it is safe to call this number"), "safe-to-call", w.safeToCall !== true],
    ["Voicemail", yesNo(w.voicemailAllowed, "May leave a voicemail", "No voicemail"), "voicemail", w.voicemailAllowed !== true],
    ["Discretion", yesNo(w.discretion, "Asked: neutral caller name and voicemail", "Not asked"), "discretion", w.discretion === true],
    ["Texts", yesNo(w.textsAllowed, "May text", "No texts"), "texts", w.textsAllowed !== true],
    ["Other number", d.alternateNumber ?? "none given", "other-number", false],
    ["Substance", d.substance ? substanceWord(d.substance) : "not said", "substance", false],
  ];
  document.getElementById("wishes-list").replaceChildren(...wishes.flatMap(([k, v, key, careful]) => [
    element("dt", {}, k),
    element("dd", { "data-wish": key, class: careful ? "careful" : null }, v)]));

  const callback = d.callbacks.at(-1);
  const rows = [
    ["Number", d.callerNumber ?? "withheld"],
    ["Name", d.callerName ?? "—"],
    ["Calling for", word(d.for)],
    ["Language", word(d.language)],
    ["Region", d.region ?? "—"],
    ["Caller's time zone", d.callerTimeZone ?? "—"],
    ["May we call back", consent("CallBack")],
    ["Callback window", callback ? `${callback.window}, due ${callback.due}` : "—"],
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

function substanceWord(substance) {
  return { PrescriptionOpioids: "Prescription opioids" }[substance] ?? substance;
}

// Drafts: the wrap-up as the advisor writes it, saved on the server (never in the browser's storage).
let draftTimer = null;
let draftSaving = Promise.resolve();

function showDraft(draft) {
  if (!draft) return;
  const disposition = document.getElementById("disposition");
  if (draft.disposition) {
    disposition.value = draft.disposition;
    disposition.dataset.chosen = "true";
  }
  wrapUp.referral.value = draft.referral ?? "";
  wrapUp.notes.value = draft.notes ?? "";
}

function clearDraftTimer() {
  clearTimeout(draftTimer);
  draftTimer = null;
  delete document.getElementById("disposition").dataset.chosen;
}

function scheduleDraft() {
  if (!details.id) return;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraft, 800);
}

function saveDraft() {
  draftTimer = null;
  const id = details.id;
  if (!id) return draftSaving;
  const disposition = document.getElementById("disposition");
  const draft = {
    disposition: disposition.dataset.chosen || crisisCalled ? disposition.value : null,
    referral: wrapUp.referral.value,
    notes: wrapUp.notes.value,
  };
  draftSaving = draftSaving.then(async () => {
    try {
      await api("PUT", `/api/contacts/${id}/draft`, draft);
      if (details.id === id) document.getElementById("draft-status").textContent = `Draft saved at ${new Date().toLocaleTimeString()}.`;
    } catch (error) {
      if (details.id === id) document.getElementById("draft-status").textContent = `Draft not saved: ${error.message}`;
    }
  });
  return draftSaving;
}

document.getElementById("disposition").addEventListener("change", (event) => {
  event.target.dataset.chosen = "true";
});
wrapUp.addEventListener("input", (event) => {
  if (event.target.closest("#follow-up")) return;
  scheduleDraft();
});

async function take(contactId) {
  try {
    const row = await api("POST", `/api/contacts/${contactId}/take`);
    sayTaken(row);
  } catch (error) {
    say(error.message, true);
  }
}

async function takeNext() {
  try {
    sayTaken(await api("POST", "/api/queue/take-next"));
  } catch (error) {
    say(error.message, true);
  }
}

function sayTaken(row) {
  if (written(row)) {
    // A chat or a text conversation needs no phone: it is under way at once, on its own page.
    location.assign(`/staff/conversations/${row.contactId}`);
    return;
  }
  say("Taken. Your phone will ring: answer it to be connected.");
  taken = { contactId: row.contactId, seen: false };
  render(live.state);
}

document.getElementById("take-next").addEventListener("click", takeNext);

async function setPresence(presence) {
  try {
    await api("PUT", "/api/presence", { presence });
    say(`You are ${word(presence).toLowerCase()}.`);
  } catch (error) {
    say(error.message, true);
  }
}

document.getElementById("presence").addEventListener("change", (event) => setPresence(event.target.value));
document.getElementById("go-available").addEventListener("click", () => setPresence("Available"));

document.getElementById("crisis").addEventListener("click", async () => {
  if (!details.id) return;
  try {
    await api("POST", `/api/contacts/${details.id}/crisis-transfer`);
    crisisCalled = true;
    delete document.getElementById("disposition").dataset.chosen;
    showCrisis();
    saveDraft();
    say("The crisis line is being called into this call. Stay on until they answer, then you may hang up.");
  } catch (error) {
    say(error.message, true);
  }
});

// Alerts, only when the advisor asks for them: a short tone and the tab's title.
const alertsBox = document.getElementById("alerts");
let audio = null;
alertsBox.checked = localStorage.getItem("helpline.alerts") === "on";
// A browser lets a page make sound only after a click or key press: after a reload, the first one turns the tone back on.
const wakeAudio = () => { if (alertsBox.checked) audio ??= new AudioContext(); };
document.addEventListener("pointerdown", wakeAudio, { once: true });
document.addEventListener("keydown", wakeAudio, { once: true });
alertsBox.addEventListener("change", () => {
  // A preference, not caller data: it is the only thing this page keeps in the browser.
  localStorage.setItem("helpline.alerts", alertsBox.checked ? "on" : "off");
  if (alertsBox.checked) audio ??= new AudioContext();
  if (!alertsBox.checked) document.title = pageTitle;
});

function tone() {
  if (!audio) return;
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  gain.gain.value = 0.15;
  oscillator.frequency.value = 660;
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start();
  oscillator.stop(audio.currentTime + 0.25);
}

function alertWhenNeeded(presence, missed, waitingForMe) {
  const newCaller = lastWaitingForMe !== null && waitingForMe > lastWaitingForMe && presence === "Available";
  const putOnBreak = missed && !lastMissed;
  lastWaitingForMe = waitingForMe;
  lastMissed = missed;
  if (!alertsBox.checked) return;
  if (newCaller || putOnBreak) tone();
  document.title = missed ? `On break: you missed a call · ${pageTitle}`
    : presence === "Available" && waitingForMe > 0 ? `(${waitingForMe}) waiting · ${pageTitle}`
    : pageTitle;
}

// Refer to treatment: find facilities, then record "number given" or dial the facility into the call.
async function refer(facility, how) {
  if (!details.id) return;
  try {
    await api("POST", `/api/contacts/${details.id}/referrals`, { facilityId: facility.id, how });
    const disposition = document.getElementById("disposition");
    if (!crisisCalled) {
      disposition.value = "ReferredToTreatment";
      disposition.dataset.chosen = "true";
    }
    const noted = document.getElementById("referral");
    if (!noted.value.includes(facility.name)) noted.value = [noted.value.trim(), facility.name].filter(Boolean).join("; ");
    saveDraft();
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
  const forContact = details.id;
  try {
    const found = await api("GET", `/api/directory/search?${referQuery(form.where.value, form.service.value)}`);
    if (details.id !== forContact) return;
    const talking = currentStatus === "InProgress";
    results.replaceChildren(...(found.facilities.length === 0
      ? [element("li", {}, "No facilities found.")]
      : found.facilities.map((f) => facilityItem(f,
          element("button", { type: "button", onclick: () => refer(f, "NumberGiven") }, "Number given"), " ",
          element("button", { type: "button", disabled: !talking || !(f.intakePhone ?? f.phone), onclick: () => refer(f, "WarmTransfer") }, "Warm transfer")))));
  } catch (error) {
    results.replaceChildren(element("li", { class: "error" }, error.message));
  }
});

// Errors of the wrap-up appear by their field, and focus goes there.
const fieldOf = { followUp: "follow-up-wanted", followUpDate: "follow-up-date", followUpFrom: "follow-up-from", followUpUntil: "follow-up-until", followUpAgreed: "follow-up-agreed" };

function clearFieldErrors() {
  for (const [name, id] of Object.entries(fieldOf)) {
    document.getElementById(id).removeAttribute("aria-invalid");
    const note = document.getElementById(`${name}-error`);
    if (note) note.textContent = "";
  }
  document.getElementById("complete-error").textContent = "";
}

function showFieldError(field, text) {
  const input = document.getElementById(fieldOf[field] ?? "complete");
  const note = document.getElementById(`${field}-error`) ?? document.getElementById("complete-error");
  note.textContent = text;
  if (fieldOf[field]) input.setAttribute("aria-invalid", "true");
  input.focus();
}

wrapUp.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!details.id || currentStatus !== "WrapUp") return;
  const form = event.target;
  clearFieldErrors();
  // A draft still on its way must not arrive after the contact is completed.
  clearTimeout(draftTimer);
  draftTimer = null;
  await draftSaving;
  const referral = form.referral.value.trim();
  const notes = [form.notes.value.trim(), referral ? `Referral: ${referral}` : ""].filter(Boolean).join("\n");
  const followUp = form.followUp.checked
    ? { date: form.followUpDate.value || null, windowStart: form.followUpFrom.value, windowEnd: form.followUpUntil.value, callerAgreed: form.followUpAgreed.checked }
    : null;
  if (followUp && !followUp.date) return showFieldError("followUpDate", "Choose the day of the follow-up call.");
  let callerToday = null;
  try {
    if (details.data?.callerTimeZone) callerToday = new Intl.DateTimeFormat("en-CA", { timeZone: details.data.callerTimeZone }).format(new Date());
  } catch {
    // A zone this browser does not know: the server checks the date in the caller's zone anyway.
  }
  if (followUp && callerToday && followUp.date < callerToday) {
    return showFieldError("followUpDate", "The follow-up date must be between today and 60 days from now (the caller's date).");
  }
  let response;
  try {
    response = await fetch(`/api/contacts/${details.id}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ disposition: form.disposition.value, notes, followUp }),
      credentials: "same-origin",
    });
  } catch {
    return showFieldError("complete", "The server could not be reached. Nothing was lost: try Complete again.");
  }
  if (response.ok) {
    form.reset();
    say("Completed. You are available again.");
    return;
  }
  const problem = await response.json().catch(() => null);
  showFieldError(problem?.field ?? "complete", problem?.detail ?? `The server answered ${response.status}.`);
});

document.addEventListener("keydown", (event) => {
  // Radio buttons and checkboxes take no letters: right after choosing Available, "n" still takes next.
  const typing = event.target.closest("textarea, select, button, input:not([type=radio]):not([type=checkbox])");
  if (event.ctrlKey || event.metaKey || event.altKey || typing) return;
  if (event.key === "n") {
    event.preventDefault();
    takeNext();
  } else if (event.key === "c" && currentStatus === "WrapUp" && details.id) {
    event.preventDefault();
    wrapUp.requestSubmit();
  }
});

setInterval(() => {
  for (const cell of document.querySelectorAll(".waited")) cell.textContent = waitedSince(cell.dataset.since);
}, 1000);

window.helplineQueue = live;
