// "Cite": show the Copy buttons (hidden without JavaScript, where a click selects the text) and
// copy a format's text to the clipboard.
document.querySelectorAll(".copy-button").forEach((button) => { button.hidden = false; });
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".copy-button");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(text.textContent);
    status.textContent = "Copied.";
  } catch {
    // No clipboard (an insecure origin, or refused): select the text for Ctrl+C instead.
    window.getSelection().selectAllChildren(text);
    status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
  setTimeout(() => { status.textContent = ""; }, 4000);
});
