// Drag and drop for the course outline in the studio. The arrow buttons beside each item do the
// same one step at a time, with the keyboard and without this file.
document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector(".content-modules");
  if (!list) return;
  const status = document.getElementById("order-status");
  let dragged = null;

  // After an arrow button moved an item, keep the keyboard on that item.
  const moved = location.hash && document.getElementById(location.hash.slice(1));
  if (moved && list.contains(moved)) {
    moved.setAttribute("tabindex", "-1");
    moved.focus();
  }

  const orderText = () =>
    [...list.querySelectorAll(":scope > .content-module")]
      .map((module) => {
        const lessons = [...module.querySelectorAll(".content-lesson")].map((li) => li.dataset.lessonId);
        return `${module.dataset.moduleId}:${lessons.join(",")}`;
      })
      .join(";");

  const save = async () => {
    const body = new URLSearchParams({ order: orderText(), csrf_token: list.dataset.csrf });
    try {
      const response = await fetch(list.dataset.orderUrl, { method: "POST", body, credentials: "same-origin" });
      const answer = await response.json();
      status.textContent = answer.message;
      status.classList.toggle("is-error", !answer.saved);
    } catch {
      status.textContent = status.dataset.failed || "!";
      status.classList.add("is-error");
    }
  };

  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".content-lesson, .content-module");
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    dragged.classList.add("is-dragging");
  });

  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const isLesson = dragged.classList.contains("content-lesson");
    const over = event.target.closest(isLesson ? ".content-lesson, .content-lessons" : ".content-module");
    if (!over || over === dragged) return;
    event.preventDefault();
    if (isLesson && over.classList.contains("content-lessons")) {
      if (!over.querySelector(".content-lesson")) {
        over.querySelector(".content-empty")?.remove();
        over.appendChild(dragged);
      }
      return;
    }
    const box = over.getBoundingClientRect();
    const after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  list.addEventListener("dragend", () => {
    if (!dragged) return;
    dragged.classList.remove("is-dragging");
    dragged = null;
    save();
  });
});
