// "Save" without reloading the page: post the toggle (or the new collection) with fetch and put the
// control the server answers in place of the old one, still open. Without JavaScript the forms post
// normally and the server redirects back to the same page.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("save-form")) return;
  event.preventDefault();
  const control = form.closest(".save-control");
  const chosen = form.querySelector('input[name="collection_id"]')?.value;
  const buttons = control.querySelectorAll("button");
  buttons.forEach((button) => { button.disabled = true; });
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) { form.submit(); return; }  // the server's page says what went wrong
    const result = await response.json();
    const holder = document.createElement("div");
    holder.innerHTML = result.html;
    const fresh = holder.firstElementChild;
    fresh.className = control.className;  // a card's control or the paper page's
    fresh.open = true;
    control.replaceWith(fresh);
    // Keep the keyboard where it was: on the same collection's toggle (or the first one, after "new").
    const same = chosen && fresh.querySelector(`input[name="collection_id"][value="${chosen}"]`);
    (same ? same.form : fresh).querySelector("button, summary").focus();
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
  }
});

// One menu open at a time: a click outside an open "Save" or "Cite" closes it, so does Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.save-control[open], details.cite-control[open]").forEach((open) => {
    if (!open.contains(event.target)) open.open = false;
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.save-control[open], details.cite-control[open]").forEach((open) => {
    open.open = false;
    open.querySelector("summary").focus();
  });
});
