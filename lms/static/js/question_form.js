// The question form without this file shows every part, each saying which kind it is for.
// With it, only the parts for the chosen kind are shown (hidden parts keep what was typed).
document.addEventListener("DOMContentLoaded", () => {
  const kind = document.getElementById("kind");
  const parts = document.querySelectorAll("[data-kinds]");
  if (!kind || !parts.length) return;
  const show = () => {
    parts.forEach((part) => {
      part.hidden = !part.dataset.kinds.split(" ").includes(kind.value);
    });
  };
  kind.addEventListener("change", show);
  show();
});
