// The form works without this script; with it, the time zone is the browser's, the day and
// window fields show only when "a day and time I choose" is picked, and a refused form starts
// from its list of what to fix.
document.getElementById("form-problem")?.focus();
const zone = document.getElementById("TimeZone");
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (zone && browserZone && !document.querySelector("[aria-invalid=true]")) {
  if (![...zone.options].some((o) => o.value === browserZone)) zone.add(new Option(browserZone, browserZone));
  zone.value = browserZone;
}
const later = document.getElementById("later-fields");
function showLater() {
  later.hidden = !document.querySelector("input[name=When][value=later]").checked;
}
for (const radio of document.querySelectorAll("input[name=When]")) radio.addEventListener("change", showLater);
showLater();
