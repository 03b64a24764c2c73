// The supervisor's wallboard: the line now (live from the hub) and today's figures.
import { connectQueue, inQueueOrder, waitedSince, word, api, element, showConnection } from "./live-queue.js";

let figuresTimer = null;
let longestSince = null;

const live = connectQueue({
  onChange: (state) => {
    render(state);
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(refreshFigures, 300);
  },
  onStatus: showConnection,
});

function set(id, value) {
  document.getElementById(id).textContent = value;
}

function render(state) {
  const contacts = [...state.contacts.values()];
  const waiting = contacts.filter((c) => c.status === "Waiting").sort(inQueueOrder);
  set("waiting-now", waiting.length);
  longestSince = waiting.map((c) => c.queuedAt).filter(Boolean).sort()[0] ?? null;
  set("longest-wait", longestSince ? waitedSince(longestSince) : "—");
  set("in-progress", contacts.filter((c) => c.status === "Connecting" || c.status === "InProgress").length);
  set("wrap-up", contacts.filter((c) => c.status === "WrapUp").length);
  const advisors = [...state.advisors.values()];
  for (const presence of ["Available", "Busy", "WrapUp", "Break", "Offline"]) {
    set(`presence-${presence}`, advisors.filter((a) => a.presence === presence).length);
  }
  // Callers waiting with nobody to answer them (e.g. the only available advisor missed a call): say so.
  const available = advisors.filter((a) => a.presence === "Available").length;
  const alarm = document.getElementById("nobody-available");
  const onBreak = advisors.filter((a) => a.presence === "Break").map((a) => `${a.displayName}${a.presenceReason ? ` (${a.presenceReason})` : ""}`);
  alarm.hidden = !(waiting.length > 0 && available === 0);
  alarm.textContent = alarm.hidden ? "" : `${waiting.length} waiting and nobody available.${onBreak.length ? ` On break: ${onBreak.join(", ")}.` : ""}`;
  document.getElementById("on-break").replaceChildren(...advisors.filter((a) => a.presence === "Break").map((a) =>
    element("li", {}, `${a.displayName}${a.presenceReason ? `: ${a.presenceReason}` : ""}`)));
}

function minutesAndSeconds(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

async function refreshFigures() {
  try {
    const f = await api("GET", "/api/wallboard");
    // A short figure, readable from across the room; the label says why there is none.
    set("service-level", f.serviceLevelToday == null ? "—" : `${Math.round(f.serviceLevelToday * 100)}%`);
    set("service-level-label", f.serviceLevelToday == null ? "service level (no calls yet)" : "service level");
    set("answered-today", f.answeredToday);
    set("abandoned-today", f.abandonedToday);
    set("short-abandoned-today", f.shortAbandonedToday);
    set("callbacks-due", f.callbacksDueNextHour);
    set("callbacks-missed", f.callbacksMissedToday);
    document.getElementById("missed-callbacks").replaceChildren(...f.missedCallbacks.map((c) =>
      element("li", {}, `${c.maskedNumber}: ${c.attempts} attempt${c.attempts === 1 ? "" : "s"}, last ${word(c.lastOutcome ?? "none")}; missed ${new Date(c.missedAt).toLocaleString()}`)));
    document.getElementById("no-missed-callbacks").hidden = f.missedCallbacks.length > 0;
    document.getElementById("channel-rows").replaceChildren(...f.channels.map((c) => element("tr", {},
      element("th", { scope: "row" }, word(c.channel)), element("td", {}, c.offered), element("td", {}, c.answered), element("td", {}, c.abandoned),
      element("td", {}, c.averageHandleSeconds == null ? "—" : minutesAndSeconds(c.averageHandleSeconds)))));
    set("chats-under-way", f.chats.underWay);
    set("chats-per-advisor", f.chats.advisorsChatting === 0 ? "—" : `${f.chats.averagePerAdvisor} (${f.chats.mostPerAdvisor})`);
    set("chats-per-advisor-label", f.chats.advisorsChatting === 0 ? "chats per advisor (nobody chatting)" : `chats per advisor chatting: average (most), ${f.chats.advisorsChatting} chatting`);
    set("first-reply", f.chats.averageFirstReplySecondsToday == null ? "—" : minutesAndSeconds(f.chats.averageFirstReplySecondsToday));
    set("first-reply-label", f.chats.firstRepliesToday === 0 ? "average time to first reply (no chat answered yet)" : `average time to first reply, ${f.chats.firstRepliesToday} chats today`);
    set("figures-at", new Date(f.at).toLocaleTimeString());
  } catch (error) {
    set("figures-at", error.message);
  }
}

refreshFigures();
setInterval(refreshFigures, 30000);
setInterval(() => set("longest-wait", longestSince ? waitedSince(longestSince) : "—"), 1000);
window.helplineQueue = live;
