// Upvote without reloading the page: post the vote form with fetch and update its count.
// Without JavaScript the form posts normally and the server redirects back.
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote-form")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin",
    });
    if (!response.ok) { form.submit(); return; }
    const result = await response.json();
    form.querySelector(".vote-count").textContent = result.upvotes.toLocaleString("en-US");
    form.classList.toggle("voted", result.voted);
    button.setAttribute("aria-pressed", String(result.voted));
    const shown = result.upvotes.toLocaleString("en-US");
    button.title = `${shown} ${result.upvotes === 1 ? "upvote" : "upvotes"} · ${result.voted ? "undo your upvote" : "upvote"}`;
    form.querySelector('input[name="vote"]').value = result.voted ? "undo" : "up";
  } finally {
    button.disabled = false;
  }
});
