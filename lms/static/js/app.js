// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Put keyboard focus on the first field with an error, so screen readers announce it.
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();

  // Directory filters: open beside the results on wide screens, folded above them on phones.
  const folded = document.querySelector("details[data-open-wide]");
  if (folded && window.matchMedia("(min-width: 56rem)").matches) folded.open = true;

  // "Copy" buttons next to a read-only field (share links).
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
      } catch {
        document.execCommand("copy");
      }
      const label = button.textContent;
      button.textContent = button.dataset.copied;
      setTimeout(() => { button.textContent = label; }, 2000);
    });
  });
});
