// Enhancements only: every page works without this file.

// A form sent once stays sent: its submit button is disabled while the
// next page loads, so a double click does not post twice.
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
  for (const button of form.querySelectorAll('button[type="submit"]')) {
    // After this event, so the button's own name and value are still sent.
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

// A page restored from the back-forward cache gets its buttons back.
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  for (const button of document.querySelectorAll('button[disabled]')) button.disabled = false;
});
