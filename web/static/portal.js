// Enhancements of the partner portal only: every page works without this file.

// Copy buttons: each [data-copy] button (hidden without JavaScript) copies
// its referral link and says so for a moment.
for (const button of document.querySelectorAll('button[data-copy]')) {
  button.hidden = false;
  const label = button.firstChild.textContent;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.firstChild.textContent = 'Copied';
    } catch {
      button.firstChild.textContent = 'Copy failed: select the link';
    }
    setTimeout(() => { button.firstChild.textContent = label; }, 2000);
  });
}
