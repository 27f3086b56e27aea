// The time-zone select, with search: a box above it keeps only the zones whose city or region holds
// what is typed, and picks the first of them; a button picks this device's zone. Without
// JavaScript the select alone works (grouped by region; typing a city's first letters jumps to it).
for (const select of document.querySelectorAll("select[data-zone-filter]")) {
  const options = [...select.querySelectorAll("option")];
  const words = (text) => text.toLowerCase().replaceAll("_", " ");
  const search = document.createElement("input");
  search.type = "search";
  search.className = "zone-search";
  search.placeholder = "Search: a city or a region (Tokyo, Europe…)";
  search.setAttribute("aria-label", "Search time zones");
  search.setAttribute("aria-controls", select.id);
  const count = document.createElement("p");
  count.className = "hint zone-count";
  count.setAttribute("aria-live", "polite");
  select.before(search);
  select.after(count);

  search.addEventListener("input", () => {
    const wanted = words(search.value.trim());
    const shown = options.filter((option) => {
      const group = option.parentElement.label || "";
      const match = !wanted || words(`${option.textContent} ${option.value} ${group}`).includes(wanted);
      option.hidden = !match;
      return match;
    });
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = ![...group.children].some((option) => !option.hidden);
    }
    if (shown.length && !shown.includes(select.selectedOptions[0])) select.value = shown[0].value;
    const matches = shown.length === 1 ? "1 zone matches" : `${shown.length} zones match`;
    count.textContent = !wanted ? "" : shown.length ? `${matches}; picked: ${select.value}`
      : "No zone matches; the one picked stays.";
  });

  // Set on this device, when the site knows the zone and it is not the one picked already.
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (here && here !== select.value && options.some((option) => option.value === here)) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small";
    button.textContent = `Use this device's time zone (${here})`;
    button.addEventListener("click", () => { select.value = here; button.remove(); });
    count.after(button);
  }
}
