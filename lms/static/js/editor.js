// The studio's editors: a live preview of Markdown (rendered by the server with the same
// sanitizer as the lesson page), and a warning before leaving a form with unsaved changes.
document.addEventListener("DOMContentLoaded", () => {
  const preview = document.getElementById("markdown-preview");
  if (preview) {
    const source = document.getElementById(preview.dataset.source);
    const token = document.querySelector("input[name='csrf_token']").value;
    let timer = null;
    let sent = 0;
    const render = async () => {
      const number = ++sent;
      const body = new URLSearchParams({ text: source.value, csrf_token: token });
      try {
        const response = await fetch(preview.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" });
        if (response.ok && number === sent) preview.innerHTML = await response.text();
      } catch {
        // Offline for a moment: the preview catches up at the next keystroke.
      }
    };
    source.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
  }

  document.querySelectorAll("form[data-warn-unsaved]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) event.preventDefault();
    });
  });
});
